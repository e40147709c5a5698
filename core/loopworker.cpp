#include "loopworker.h"

#include "fanin.h"
#include "loopthread.h"
#include "task.h"
#include "timerqueue.h"
#include "tracerecorder.h"

#include <QSemaphore>

struct TaskBatch::Shard
{
    LoopThread *thread = nullptr;
    QVector<int> indexes;
    QObject *scope = nullptr; // parent of the shard's tasks; touched only on its loop thread
};

LoopWorker::LoopWorker(TraceRecorder &recorder, int threadCount)
    : m_recorder(recorder)
{
    QSemaphore started;
    for (int i = 0; i < std::max(1, threadCount); ++i) {
        auto thread = std::make_unique<LoopThread>(&recorder);
        thread->start();
        // Register lanes in thread order (loop-1, loop-2 ...) before anything is scheduled.
        thread->post([&started] { started.release(); });
        started.acquire();
        m_threads.push_back(std::move(thread));
    }
    m_deadlines = std::make_unique<LoopThread>(nullptr);
    m_deadlines->setObjectName(QStringLiteral("deadlines"));
    m_deadlines->start();
}

LoopWorker::~LoopWorker() = default;

TaskBatch LoopWorker::schedule(const std::shared_ptr<FanIn> &fanIn)
{
    TaskBatch batch;
    batch.m_fanIn = fanIn;
    const int threads = threadCount();
    const int count = fanIn->size();
    const int shards = std::min(threads, count);
    // Rotate the first thread between requests so that small fan-outs spread out too.
    const unsigned first = m_nextThread.fetch_add(unsigned(std::max(1, shards)));
    for (int s = 0; s < shards; ++s) {
        auto shard = std::make_shared<TaskBatch::Shard>();
        shard->thread = m_threads[(first + unsigned(s)) % unsigned(threads)].get();
        for (int i = s; i < count; i += shards)
            shard->indexes.append(i);
        batch.m_shards.push_back(shard);
    }
    // One posted call per thread, however many tasks: posting is the cost on the view's thread.
    for (const auto &shard : batch.m_shards) {
        shard->thread->post([fanIn, shard] {
            shard->scope = new QObject(shard->thread->context());
            for (int index : std::as_const(shard->indexes)) {
                if (!fanIn->begin(index))
                    continue; // given up before this thread got to it
                Task::create(fanIn, index, shard->scope)->start();
            }
        });
    }
    return batch;
}

LoopWorker::Waited LoopWorker::waitFor(const TaskBatch &batch)
{
    const auto &fanIn = batch.fanIn();
    fanIn->waitUntilDone(fanIn->deadline());
    fanIn->expireUnfinished();
    release(batch);

    Waited waited;
    const QVector<TaskOutcome> outcomes = fanIn->outcomes();
    for (const TaskOutcome &outcome : outcomes) {
        if (wasGivenUp(outcome.status))
            waited.notDone.append(outcome);
        else
            waited.done.append(outcome);
    }
    return waited;
}

QVector<TaskOutcome> LoopWorker::waitResults(const TaskBatch &batch)
{
    QVector<TaskOutcome> results = waitFor(batch).done;
    results.erase(std::remove_if(results.begin(), results.end(),
                      [](const TaskOutcome &o) { return o.status != TaskStatus::Ok; }),
        results.end());
    return results;
}

TaskOutcome LoopWorker::awaitOne(const std::shared_ptr<FanIn> &fanIn)
{
    Q_ASSERT(fanIn->size() == 1);
    waitFor(schedule(fanIn));
    return fanIn->outcome(0);
}

void LoopWorker::callAt(qint64 dueNs, std::function<void()> fn)
{
    m_deadlines->post([dueNs, fn = std::move(fn)]() mutable {
        TimerQueue::forCurrentThread()->schedule(dueNs, std::move(fn));
    });
}

bool LoopWorker::isDeadlineThread() const
{
    return QThread::currentThread() == m_deadlines.get();
}

void LoopWorker::waitForDeadlineThread()
{
    QSemaphore reached;
    m_deadlines->post([&reached] { reached.release(); });
    reached.acquire();
}

void LoopWorker::release(const TaskBatch &batch)
{
    // Deleting a shard's scope deletes its tasks, which stops their timers. It must happen on the
    // loop thread, and it does after the shard's start: posted calls run in order.
    for (const auto &shard : batch.m_shards) {
        shard->thread->post([shard] {
            delete shard->scope;
            shard->scope = nullptr;
        });
    }
}
