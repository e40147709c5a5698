#include "loopworkerstrategy.h"

#include "loopworker.h"

LoopWorkerStrategy::LoopWorkerStrategy(TraceRecorder &recorder, LoopWorker &worker)
    : FanOutStrategy(recorder)
    , m_worker(worker)
{
}

void LoopWorkerStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    m_worker.waitFor(m_worker.schedule(fanIn));
}
