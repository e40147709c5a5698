#pragma once

// /thread-pool: each task blocks a thread of its own QThreadPool until it is done, as a
// synchronous call in a ThreadPoolExecutor does; the view's thread waits with the deadline. A
// blocking call cannot be stopped: at the deadline its task is reported timed_out, but its pool
// thread runs it to the end, which the timeline shows. That is the real cost of this pattern.
#include "fanoutstrategy.h"

#include <QList>
#include <QMutex>

class QEventLoop;
class QThreadPool;

class ThreadPoolStrategy : public FanOutStrategy
{
public:
    ThreadPoolStrategy(TraceRecorder &recorder, QThreadPool &pool);
    QString name() const override { return QStringLiteral("thread-pool"); }

    // Also interrupts the blocking tasks still running, those of answered requests too.
    void abortAll() override;
    // Pool threads still blocked by tasks their request gave up on (timed out or abandoned).
    int threadsHeldPastDeadline() const override;

protected:
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;
    // Each task may block a pool thread for its whole latency and jitter.
    qint64 blockingMs(const FanOutSpec &spec) const override;

private:
    // Runs one task to its end on the calling pool thread, blocking it (a nested event loop
    // that runs only this task). Not stopped when the request gives up, only by abortAll().
    void runBlocking(const std::shared_ptr<FanIn> &fanIn, int index);

    QThreadPool &m_pool;
    struct Blocking {
        QEventLoop *loop;
        std::shared_ptr<FanIn> fanIn;
        int index;
    };
    mutable QMutex m_blockingMutex; // guards m_blocking and m_stopping
    QList<Blocking> m_blocking;
    bool m_stopping = false;
};
