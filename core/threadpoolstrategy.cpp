#include "threadpoolstrategy.h"

#include "fanin.h"
#include "task.h"
#include "tracerecorder.h"

#include <QEventLoop>
#include <QThreadPool>

ThreadPoolStrategy::ThreadPoolStrategy(TraceRecorder &recorder, QThreadPool &pool)
    : FanOutStrategy(recorder)
    , m_pool(pool)
{
}

void ThreadPoolStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    for (int i = 0; i < fanIn->size(); ++i)
        m_pool.start([fanIn, i] { runBlocking(fanIn, i); });
    fanIn->waitUntilDone(fanIn->deadline());
    // Tasks still queued for a pool thread are given up on here and will not start; those
    // running go on until they end.
}

void ThreadPoolStrategy::runBlocking(const std::shared_ptr<FanIn> &fanIn, int index)
{
    fanIn->recorder().registerCurrentThread(ThreadKind::Pool);
    if (!fanIn->begin(index, false))
        return;
    QEventLoop loop;
    std::unique_ptr<Task> task(Task::create(fanIn, index));
    task->setStoppable(false);
    bool done = false;
    QObject::connect(task.get(), &Task::finished, &loop, [&] {
        done = true;
        loop.quit();
    });
    task->start();
    if (!done)
        loop.exec();
}
