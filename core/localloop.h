#pragma once

// Runs a request's tasks on the calling thread, in a QEventLoop made for this call, at most
// maxInFlight at a time, until all are final or the deadline passes. When it returns, every task
// object it made is gone: unfinished timers are stopped, not left to fire later.
#include <memory>

class FanIn;

class LocalLoop
{
public:
    static void run(const std::shared_ptr<FanIn> &fanIn, int maxInFlight);
};
