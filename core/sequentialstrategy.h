#pragma once

// /sequential: the baseline. Tasks run one after another on the view's own thread, so a request
// takes the sum of its latencies, cut at the deadline.
#include "fanoutstrategy.h"

class SequentialStrategy : public FanOutStrategy
{
public:
    using FanOutStrategy::FanOutStrategy;
    QString name() const override { return QStringLiteral("sequential"); }

protected:
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;
};
