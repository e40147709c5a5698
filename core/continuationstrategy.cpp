#include "continuationstrategy.h"

#include "fanin.h"
#include "loopworker.h"
#include "tracerecorder.h"

ContinuationStrategy::ContinuationStrategy(TraceRecorder &recorder, LoopWorker &worker)
    : FanOutStrategy(recorder)
    , m_worker(worker)
    , m_lane(recorder.virtualLane(ThreadKind::NoThread, QStringLiteral("continuations")))
{
}

void ContinuationStrategy::start(
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
    // The deadline: a timer on a loop thread. It holds the fan-in weakly, so a request that is
    // over early leaves nothing behind but a timer that finds it gone.
    m_worker.callAt(fanIn->deadline().deadlineNSecs(), [weak = std::weak_ptr<FanIn>(fanIn)] {
        if (auto fanIn = weak.lock())
            fanIn->expireUnfinished();
    });
    // Runs once, on the thread that made the last task final.
    fanIn->setOnAllFinal([this, run, done = std::move(done), batch] {
        m_worker.release(batch);
        done(close(*run));
    });
}

void ContinuationStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    // execute() already opened the request; run its tasks the same way and wait here.
    m_worker.waitFor(m_worker.schedule(fanIn));
}
