#include "scopedloopstrategy.h"

#include "fanin.h"
#include "localloop.h"

void ScopedLoopStrategy::fanOut(const std::shared_ptr<FanIn> &fanIn)
{
    LocalLoop::run(fanIn, std::max(1, fanIn->size()));
}
