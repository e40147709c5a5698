#pragma once

// One way for a synchronous view to fan out to many tasks and fan back in by a deadline.
// A route maps to one strategy; execute() is the whole view.
#include "fanoutresult.h"
#include "fanoutspec.h"

#include <QMutex>
#include <QSet>
#include <QString>

#include <atomic>
#include <memory>

class FanIn;
class TraceRecorder;

class FanOutStrategy
{
public:
    explicit FanOutStrategy(TraceRecorder &recorder);
    virtual ~FanOutStrategy();
    FanOutStrategy(const FanOutStrategy &) = delete;
    FanOutStrategy &operator=(const FanOutStrategy &) = delete;

    // "async-worker": the route is "/" + name().
    virtual QString name() const = 0;
    QString route() const { return QLatin1Char('/') + name(); }

    // Runs one request on the calling thread and blocks it until every task is final or the
    // spec's deadline, which starts now. Tasks not finished by then are cancelled and reported
    // TimedOut; none of them changes the result afterwards.
    FanOutResult execute(const FanOutSpec &spec);

    // Gives up on every request running now, and on any that starts from now on (the server is
    // stopping): their views return at once with unfinished tasks TimedOut.
    void abortAll();

protected:
    // Starts the fan-in's tasks and waits for them until fanIn->deadline().
    virtual void fanOut(const std::shared_ptr<FanIn> &fanIn) = 0;
    virtual int httpStatus(const FanOutResult &) const { return 200; }
    TraceRecorder &recorder() const { return m_recorder; }

private:
    int routeId();

    TraceRecorder &m_recorder;
    std::atomic<int> m_routeId { -1 };
    QMutex m_activeMutex;
    QSet<FanIn *> m_active;
    bool m_aborting = false;
};
