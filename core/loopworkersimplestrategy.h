#pragma once

// /async-worker-simple: as /async-worker, written with the waitResults helper, which hands the
// view only the successful results (the original demo's simplest view).
#include "loopworkerstrategy.h"

class LoopWorkerSimpleStrategy : public LoopWorkerStrategy
{
public:
    using LoopWorkerStrategy::LoopWorkerStrategy;
    QString name() const override { return QStringLiteral("async-worker-simple"); }

protected:
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;
};
