#pragma once

// /thread-pool: each task blocks a thread of its own QThreadPool until it is done, as a
// synchronous call in a ThreadPoolExecutor does; the view's thread waits with the deadline. A
// blocking call cannot be stopped: at the deadline its task is reported timed_out, but its pool
// thread runs it to the end, which the timeline shows. That is the real cost of this pattern.
#include "fanoutstrategy.h"

class QThreadPool;

class ThreadPoolStrategy : public FanOutStrategy
{
public:
    ThreadPoolStrategy(TraceRecorder &recorder, QThreadPool &pool);
    QString name() const override { return QStringLiteral("thread-pool"); }

    // Runs one task to its end on the calling thread, blocking it (a nested event loop that
    // runs only this task). Not stopped when the request gives up, only when it is aborted.
    static void runBlocking(const std::shared_ptr<FanIn> &fanIn, int index);

protected:
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;

private:
    QThreadPool &m_pool;
};
