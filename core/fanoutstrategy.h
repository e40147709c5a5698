#pragma once

// One way for a synchronous view to fan out to many tasks and fan back in by a deadline.
// A route maps to one strategy.
#include "fanoutresult.h"
#include "fanoutspec.h"
#include "workbudget.h"

#include <QMutex>
#include <QHash>
#include <QString>
#include <QUrl>

#include <atomic>
#include <functional>
#include <memory>

class Abandonment;
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

    // Whether a request holds a worker thread while it waits. Those that do run through
    // execute() on a worker; the others through start(), on the server's thread.
    virtual bool holdsWorker() const { return true; }

    // Runs one request on the calling thread and blocks it until every task is final or the
    // spec's deadline, which starts now. Tasks not finished by then are cancelled (or, if they
    // cannot be, left to run on) and reported TimedOut; none of them changes the result afterwards.
    // If `abandonment` is tripped first (the client hung up), the request is given up on at
    // once: unfinished tasks end Cancelled and the result's status is TraceEvent::AbandonedStatus.
    FanOutResult execute(const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment = {});
    // Called once with the result of a start()ed request, on whichever thread ends it.
    using Done = std::function<void(const FanOutResult &)>;
    // For strategies that hold no worker: starts the request and returns at once; `done` gets
    // the result by the deadline, or at once when abandoned. A plain callback, not a QFuture:
    // Qt 6.4's continuations across threads crash under load (issue 12). The default runs
    // execute() on the calling thread and calls `done` before it returns.
    virtual void start(
        const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment, Done done);

    // Where kind=http tasks call.
    void setUpstream(const QUrl &upstream) { m_upstream = upstream; }
    QUrl upstream() const { return m_upstream; }
    // Connections to it per thread that runs kind=http tasks; 0: the default.
    void setUpstreamConnections(int count) { m_upstreamConnections = count; }

    // The server's budget of work in flight, shared by its strategies: a request whose tasks
    // (or blocking pool time) would not fit is refused before any task starts, its result
    // TraceEvent::RefusedStatus with errorParam "tasks". None: no limit.
    void setBudget(std::shared_ptr<WorkBudget> budget) { m_budget = std::move(budget); }
    // Threads held now by tasks whose request gave up on them and that could not be stopped.
    virtual int threadsHeldPastDeadline() const { return 0; }

    // Gives up on every request running now, and on any that starts from now on (the server is
    // stopping): their views return at once with unfinished tasks TimedOut.
    virtual void abortAll();

protected:
    // One request between open() and close().
    struct Run {
        FanOutResult result;
        std::shared_ptr<FanIn> fanIn; // none if refused
        bool isRefused() const { return !fanIn; }
    };
    // Records the request's start (on `lane`, or the calling thread's), draws its plan and
    // starts its deadline. If the server is stopping, the fan-in comes back aborted; if the
    // request was abandoned already, abandoned. If its work does not fit in the budget, the
    // request is recorded refused and over, and comes back with no fan-in and its result final:
    // do not close() it.
    Run open(const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment, int lane = -1);
    // Expires what is unfinished, records the end and returns the result. Any thread.
    FanOutResult close(Run &run);

    // Starts the fan-in's tasks and waits for them until fanIn->deadline() (for execute()).
    virtual void fanOut(const std::shared_ptr<FanIn> &fanIn) = 0;
    // The spec this strategy runs: /await-one runs one task whatever was asked.
    virtual FanOutSpec shape(const FanOutSpec &spec) const { return spec; }
    // The answer's status, and its "error" when that is not 200.
    virtual void judge(FanOutResult &) const { }
    // Milliseconds of pool threads the spec would hold at most (for the pool's budget).
    virtual qint64 blockingMs(const FanOutSpec &) const { return 0; }
    TraceRecorder &recorder() const { return m_recorder; }

private:
    int routeId();
    // Makes the result that of a request refused for `refusal`, and records its end.
    void refuse(FanOutResult &result, WorkBudget::Refusal refusal);

    TraceRecorder &m_recorder;
    QUrl m_upstream;
    int m_upstreamConnections = 0;
    std::shared_ptr<WorkBudget> m_budget;
    std::atomic<int> m_routeId { -1 };
    QMutex m_activeMutex;
    // Weak: abortAll() aborts outside the lock (an abort may finish a request, which closes
    // it, which takes the lock), and a request may end and go meanwhile.
    QHash<FanIn *, std::weak_ptr<FanIn>> m_active;
    bool m_aborting = false;
};
