#include "threadpoolstrategy.h"

#include "fanin.h"
#include "handover.h"
#include "task.h"
#include "tracerecorder.h"
#include "upstreamclient.h"

#include <QEventLoop>
#include <QMutexLocker>
#include <QThreadPool>

ThreadPoolStrategy::ThreadPoolStrategy(TraceRecorder &recorder, QThreadPool &pool)
    : FanOutStrategy(recorder)
    , m_pool(pool)
{
}

void ThreadPoolStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    for (int i = 0; i < fanIn->size(); ++i)
        m_pool.start(handOver([this, fanIn, i] { runBlocking(fanIn, i); }));
    fanIn->waitUntilDone(fanIn->deadline());
    // Tasks still queued for a pool thread are given up on here and will not start; those
    // running go on until they end.
}

void ThreadPoolStrategy::runBlocking(const std::shared_ptr<FanIn> &fanIn, int index)
{
    fanIn->recorder().registerCurrentThread(ThreadKind::Pool);
    QEventLoop loop;
    {
        QMutexLocker locker(&m_blockingMutex);
        if (m_stopping || !fanIn->begin(index, false))
            return;
        m_blocking.append({ &loop, fanIn, index });
    }
    std::unique_ptr<Task> task(Task::create(fanIn, index));
    task->setStoppable(false);
    bool done = false;
    QObject::connect(task.get(), &Task::finished, &loop, [&] {
        done = true;
        loop.quit();
    });
    task->start();
    if (!done)
        loop.exec(); // left early only by abortAll(): the task is then deleted, which stops it
    task.reset();
    // Pool threads run an event loop only while a task of theirs runs: idle upstream
    // connections could not time out in between.
    if (UpstreamClient *client = UpstreamClient::existingForCurrentThread())
        client->closeIdle();
    QMutexLocker locker(&m_blockingMutex);
    m_blocking.erase(std::remove_if(m_blocking.begin(), m_blocking.end(), [&loop](const Blocking &b) { return b.loop == &loop; }),
        m_blocking.end());
}

qint64 ThreadPoolStrategy::blockingMs(const FanOutSpec &spec) const
{
    return qint64(spec.tasks) * (qint64(spec.latencyMs) + qint64(spec.jitterMs));
}

int ThreadPoolStrategy::threadsHeldPastDeadline() const
{
    QMutexLocker locker(&m_blockingMutex);
    return int(std::count_if(m_blocking.cbegin(), m_blocking.cend(),
        [](const Blocking &b) { return b.fanIn->isGivenUp(b.index); }));
}

void ThreadPoolStrategy::abortAll()
{
    FanOutStrategy::abortAll();
    QMutexLocker locker(&m_blockingMutex);
    m_stopping = true;
    for (const Blocking &blocking : std::as_const(m_blocking)) {
        // CPU work polls its fan-in's abort; timers and calls end when their loop quits. Only
        // posted from here: the loop belongs to its pool thread.
        blocking.fanIn->abort();
        QMetaObject::invokeMethod(blocking.loop, &QEventLoop::quit, Qt::QueuedConnection);
    }
}
