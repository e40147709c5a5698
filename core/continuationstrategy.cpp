#include "continuationstrategy.h"

#include "fanin.h"
#include "handover.h"
#include "loopworker.h"
#include "tracerecorder.h"

#include <QThread>

#include <algorithm>

ContinuationStrategy::ContinuationStrategy(TraceRecorder &recorder, LoopWorker &worker)
    : FanOutStrategy(recorder)
    , m_worker(worker)
    , m_lane(recorder.virtualLane(ThreadKind::NoThread, QStringLiteral("continuations")))
{
    // Twice as many openings and expiries at once as there are cores, so that a small one
    // seldom waits for big ones; their threads go 2 s after the last.
    m_closers->setObjectName(QStringLiteral("closers"));
    m_closers->setMaxThreadCount(2 * std::max(1, QThread::idealThreadCount()));
    m_closers->setExpiryTimeout(2000);
}

void ContinuationStrategy::start(
    const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment, Done done)
{
    // Opening draws the request's plan and makes its fan-in, in proportion to its tasks: 5-10 ms
    // for 10,000 (most of it faulting in fresh memory). Not on the caller's thread, the server's,
    // which every other client waits on: on a closer, as the expiry.
    m_closers->start(handOver([this, spec, abandonment, done = std::move(done)] {
        openAndSchedule(spec, abandonment, done);
    }));
}

void ContinuationStrategy::openAndSchedule(
    const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment, Done done)
{
    auto run = std::make_shared<Run>(open(spec, abandonment, m_lane));
    // Refused by the budget: the result is final already (nothing to schedule or close).
    if (run->isRefused()) {
        done(run->result);
        return;
    }
    const std::shared_ptr<FanIn> fanIn = run->fanIn;
    const TaskBatch batch = m_worker.schedule(fanIn);
    // The deadline: a timer on the deadline thread, which hands the expiry to a closer. It holds
    // the fan-in and the closers weakly, so a request that is over early (or a strategy that is
    // gone) leaves nothing behind but a timer that finds them gone.
    m_worker.callAt(fanIn->deadline().deadlineNSecs(),
        [closers = std::weak_ptr<QThreadPool>(m_closers), weak = std::weak_ptr<FanIn>(fanIn)] {
            const auto fanIn = weak.lock();
            const auto pool = closers.lock();
            if (fanIn && pool && !fanIn->isDone()) {
                pool->start([weak] {
                    if (const auto fanIn = weak.lock())
                        fanIn->expireUnfinished();
                });
            }
        });
    // Runs once, on the thread that made the last task final: a loop thread, a closer at the
    // deadline, or one that gave the request up.
    fanIn->setOnAllFinal([this, run, done = std::move(done), batch] {
        m_worker.release(batch);
        done(close(*run));
    });
}

void ContinuationStrategy::abortAll()
{
    // Every request is final after this; one that its deadline ended a moment before may be
    // on its way to the closers still, from the deadline thread.
    FanOutStrategy::abortAll();
    m_worker.waitForDeadlineThread();
    m_closers->waitForDone();
}

void ContinuationStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    // execute() already opened the request; run its tasks the same way and wait here.
    m_worker.waitFor(m_worker.schedule(fanIn));
}
