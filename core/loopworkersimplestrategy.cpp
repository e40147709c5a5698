#include "loopworkersimplestrategy.h"

#include "loopworker.h"

void LoopWorkerSimpleStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    // The response's data lists successful tasks only, so waitResults' answer is all this view
    // needs; the task list of the response still reports every task from the fan-in.
    worker().waitResults(worker().schedule(fanIn));
}
