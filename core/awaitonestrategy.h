#pragma once

// /await-one: one task through the loop worker's awaitOne helper, as the original demo's
// await_one(coro, timeout): 200 with its result, 504 {"error": "timeout"} at the deadline, 502
// when the task failed. The tasks parameter is ignored: it is always one.
#include "fanoutstrategy.h"

class LoopWorker;

class AwaitOneStrategy : public FanOutStrategy
{
public:
    AwaitOneStrategy(TraceRecorder &recorder, LoopWorker &worker);
    QString name() const override { return QStringLiteral("await-one"); }

protected:
    void fanOut(const std::shared_ptr<FanIn> &fanIn) override;
    FanOutSpec shape(const FanOutSpec &spec) const override;
    void judge(FanOutResult &result) const override;

private:
    LoopWorker &m_worker;
};
