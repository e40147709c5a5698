#pragma once

// Lets whoever asked for a request give it up before its deadline, from any thread: an HTTP
// client that hangs up. A request that runs is given up on at once, as at an early deadline (its
// unfinished tasks end Cancelled, its view returns); one that has not started yet starts given
// up, so that none of its tasks ever runs.
#include <QMutex>

#include <memory>

class FanIn;

class Abandonment
{
public:
    Abandonment() = default;
    Abandonment(const Abandonment &) = delete;
    Abandonment &operator=(const Abandonment &) = delete;

    // Any thread, any number of times: only the first call counts.
    void abandon();
    bool isAbandoned() const;

    // The request's side (FanOutStrategy): the fan-in to give up on. Held weakly, so that an
    // abandonment that comes after the request is over finds nothing to do.
    void attach(const std::shared_ptr<FanIn> &fanIn);

private:
    mutable QMutex m_mutex; // guards both members
    bool m_abandoned = false;
    std::weak_ptr<FanIn> m_fanIn;
};
