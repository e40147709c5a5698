#include "sequentialstrategy.h"

#include "localloop.h"

void SequentialStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    LocalLoop::run(fanIn, 1);
}
