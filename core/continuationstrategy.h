#pragma once

// /async-continuation: no thread is held while the tasks run. The server's thread starts the
// tasks on the loop threads and returns a QFuture whose promise is kept by whichever event comes
// last: the last task finishing, or the deadline (a timer on a loop thread) expiring the rest.
// The answer is written by a continuation of that future on the server's thread.
#include "fanoutstrategy.h"

class LoopWorker;

class ContinuationStrategy : public FanOutStrategy
{
public:
    ContinuationStrategy(TraceRecorder &recorder, LoopWorker &worker);
    QString name() const override { return QStringLiteral("async-continuation"); }
    bool holdsWorker() const override { return false; }

    QFuture<FanOutResult> start(const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment = {}) override;

protected:
    // For execute(): start() and block on its future (tests, or a caller that wants to block).
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;

private:
    LoopWorker &m_worker;
    int m_lane; // the virtual "continuations" lane: these requests are on no thread
};
