#include "awaitonestrategy.h"

#include "loopworker.h"

AwaitOneStrategy::AwaitOneStrategy(TraceRecorder &recorder, LoopWorker &worker)
    : FanOutStrategy(recorder)
    , m_worker(worker)
{
}

void AwaitOneStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    m_worker.awaitOne(fanIn);
}

FanOutSpec AwaitOneStrategy::shape(const FanOutSpec &spec) const
{
    FanOutSpec one = spec;
    one.tasks = 1;
    return one;
}

void AwaitOneStrategy::judge(FanOutResult &result) const
{
    const TaskOutcome &task = result.tasks.constFirst();
    if (task.status == TaskStatus::TimedOut) {
        result.httpStatus = 504;
        result.error = QStringLiteral("timeout");
    } else if (task.status == TaskStatus::Failed) {
        result.httpStatus = 502;
        result.error = task.error;
    }
}
