#pragma once

// /async-continuation: no thread is held while the tasks run. The server's thread starts the
// tasks on the loop threads and returns; the result goes to a callback on whichever thread ends
// the request: the last task finishing, or the deadline (a timer on a loop thread) expiring the
// rest. The server hands the answer back to its own thread with a queued call.
#include "fanoutstrategy.h"

class LoopWorker;

class ContinuationStrategy : public FanOutStrategy
{
public:
    ContinuationStrategy(TraceRecorder &recorder, LoopWorker &worker);
    QString name() const override { return QStringLiteral("async-continuation"); }
    bool holdsWorker() const override { return false; }

    void start(const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment,
        Done done) override;

protected:
    // For execute(): start() and block on its future (tests, or a caller that wants to block).
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;

private:
    LoopWorker &m_worker;
    int m_lane; // the virtual "continuations" lane: these requests are on no thread
};
