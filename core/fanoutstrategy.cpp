#include "fanoutstrategy.h"

#include "abandonment.h"
#include "fanin.h"
#include "tracerecorder.h"
#include "workbudget.h"

FanOutStrategy::FanOutStrategy(TraceRecorder &recorder)
    : m_recorder(recorder)
{
}

FanOutStrategy::~FanOutStrategy() = default;

FanOutResult FanOutStrategy::execute(const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment)
{
    Run run = open(spec, abandonment);
    if (run.isRefused())
        return run.result;
    if (!run.fanIn->isCancelled())
        fanOut(run.fanIn);
    return close(run);
}

void FanOutStrategy::start(
    const FanOutSpec &spec, const std::shared_ptr<Abandonment> &abandonment, Done done)
{
    done(execute(spec, abandonment));
}

FanOutStrategy::Run FanOutStrategy::open(const FanOutSpec &asked, const std::shared_ptr<Abandonment> &abandonment, int lane)
{
    const FanOutSpec spec = shape(asked);
    Run run;
    FanOutResult &result = run.result;
    result.strategy = name();
    result.timeoutMs = spec.timeoutMs;
    result.requestId = m_recorder.requestStarted(routeId(), spec.timeoutMs, spec.tasks, lane);
    result.startNs = m_recorder.now();
    // The deadline starts when the view starts, as the original demo's timeout did: time spent
    // queued for a worker is the server's, not the view's. After the start the answer reports,
    // never before: a deadline taken first made an answer 1.7 ms "early" (elapsed_ms 198.3 of
    // 200) on a machine busy enough to pause this thread between the two.
    const QDeadlineTimer deadline(spec.timeoutMs, Qt::PreciseTimer);

    // Before the plan: a refused request costs nothing but its trace events and its answer.
    WorkBudget::Lease lease;
    if (m_budget) {
        lease = m_budget->tryAcquire(spec.tasks, blockingMs(spec));
        if (!lease.isAdmitted()) {
            refuse(result, lease.refusal());
            return run;
        }
    }

    FanOutPlan plan(spec);
    plan.setUpstream(m_upstream);
    plan.setUpstreamConnections(m_upstreamConnections);
    result.seed = plan.seed();
    run.fanIn = std::make_shared<FanIn>(m_recorder, result.requestId, std::move(plan), deadline);
    run.fanIn->holdLease(std::move(lease));
    bool aborting = false;
    {
        QMutexLocker locker(&m_activeMutex);
        m_active.insert(run.fanIn.get(), run.fanIn);
        aborting = m_aborting;
    }
    if (aborting)
        run.fanIn->abort();
    // After the strategy's own bookkeeping, so that an abandonment arriving now finds a
    // complete request to give up on.
    if (abandonment)
        abandonment->attach(run.fanIn);
    return run;
}

FanOutResult FanOutStrategy::close(Run &run)
{
    run.fanIn->expireUnfinished();
    {
        QMutexLocker locker(&m_activeMutex);
        m_active.remove(run.fanIn.get());
    }
    FanOutResult &result = run.result;
    result.endNs = m_recorder.now();
    result.tasks = run.fanIn->outcomes();
    for (const ThreadLane &lane : m_recorder.lanes())
        result.laneNames.append(lane.name);
    judge(result);
    // Whatever the tasks did, nobody is left to read the answer: the request ends abandoned.
    if (run.fanIn->isAbandoned()) {
        result.httpStatus = TraceEvent::AbandonedStatus;
        result.error = QStringLiteral("client closed request");
    }
    m_recorder.requestEnded(result.requestId, result.httpStatus);
    return result;
}

void FanOutStrategy::refuse(FanOutResult &result, WorkBudget::Refusal refusal)
{
    result.httpStatus = TraceEvent::RefusedStatus;
    result.errorParam = QStringLiteral("tasks");
    if (refusal == WorkBudget::Refusal::PoolTime) {
        result.error = QStringLiteral("the pool's budget is spent: this request's blocking work (tasks x (latency_ms + jitter_ms)) "
                                      "does not fit in the %1 pool thread-seconds left to requests in flight; try again later or ask for less")
                           .arg(double(m_budget->maxPoolMs()) / 1000);
    } else {
        result.error = QStringLiteral("the work budget is spent: this request's tasks do not fit in the %1 tasks allowed in flight; "
                                      "try again later or ask for fewer")
                           .arg(m_budget->maxTasks());
    }
    result.endNs = m_recorder.now();
    m_recorder.requestEnded(result.requestId, result.httpStatus);
}

void FanOutStrategy::abortAll()
{
    QList<std::weak_ptr<FanIn>> active;
    {
        QMutexLocker locker(&m_activeMutex);
        m_aborting = true;
        active = m_active.values();
    }
    for (const std::weak_ptr<FanIn> &weak : std::as_const(active)) {
        if (const auto fanIn = weak.lock())
            fanIn->abort();
    }
}

int FanOutStrategy::routeId()
{
    int id = m_routeId.load(std::memory_order_acquire);
    if (id < 0) {
        id = m_recorder.routeId(route());
        m_routeId.store(id, std::memory_order_release);
    }
    return id;
}
