#pragma once

// /async-scoped: the view creates an event loop on its own thread for this request, runs every
// task in it at once, and closes it at completion or at the deadline. Simple and isolated, but
// each request pays for its own loop and holds its worker thread throughout.
#include "fanoutstrategy.h"

class ScopedLoopStrategy : public FanOutStrategy
{
public:
    using FanOutStrategy::FanOutStrategy;
    QString name() const override { return QStringLiteral("async-scoped"); }

protected:
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;
};
