#pragma once

// /async-continuation: no thread is held while the tasks run. start() hands the request to a
// closer thread, which opens it (its plan and fan-in), starts its tasks on the loop threads and
// returns; the result goes to a callback on whichever thread ends the request: the last task
// finishing, or the deadline (a timer on LoopWorker's deadline thread) expiring the rest. That
// expiry, and the answer it ends with, run on a closer thread too: the deadline thread keeps
// every request's deadline, and giving up on 10,000 tasks and making their answer takes
// 40-60 ms, which would make each deadline due meanwhile that late. The server hands the answer
// back to its own thread with a queued call.
#include "fanoutstrategy.h"

#include <QThreadPool>

#include <memory>

class LoopWorker;

class ContinuationStrategy : public FanOutStrategy
{
public:
    ContinuationStrategy(TraceRecorder &recorder, LoopWorker &worker);
    QString name() const override { return QStringLiteral("async-continuation"); }
    bool holdsWorker() const override { return false; }

    void start(const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment,
        Done done) override;
    // Also waits for the expiries and answers under way on the closer threads: their answers
    // are handed back before this returns.
    void abortAll() override;

protected:
    // For execute(): start() and block on its future (tests, or a caller that wants to block).
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;

private:
    void openAndSchedule(
        const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment, Done done);

    LoopWorker &m_worker;
    int m_lane; // the virtual "continuations" lane: these requests are on no thread
    // Shared with the deadline timers, which hold it weakly. Last, so that it is the first to go:
    // its destructor waits for what runs on it.
    std::shared_ptr<QThreadPool> m_closers = std::make_shared<QThreadPool>();
};
