#pragma once

// /async-worker: tasks are scheduled on the shared long-lived event-loop thread(s); the view's
// thread only waits, with the deadline, through LoopWorker::waitFor.
#include "fanoutstrategy.h"

class LoopWorker;

class LoopWorkerStrategy : public FanOutStrategy
{
public:
    LoopWorkerStrategy(TraceRecorder &recorder, LoopWorker &worker);
    QString name() const override { return QStringLiteral("async-worker"); }

protected:
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;
    LoopWorker &worker() const { return m_worker; }

private:
    LoopWorker &m_worker;
};
