#include "fanoutstrategy.h"

#include "fanin.h"
#include "tracerecorder.h"

FanOutStrategy::FanOutStrategy(TraceRecorder &recorder)
    : m_recorder(recorder)
{
}

FanOutStrategy::~FanOutStrategy() = default;

FanOutResult FanOutStrategy::execute(const FanOutSpec &spec)
{
    Run run = open(spec);
    if (!run.fanIn->isAborted())
        fanOut(run.fanIn);
    return close(run);
}

QFuture<FanOutResult> FanOutStrategy::start(const FanOutSpec &spec)
{
    return QtFuture::makeReadyFuture(execute(spec));
}

FanOutStrategy::Run FanOutStrategy::open(const FanOutSpec &asked, int lane)
{
    const FanOutSpec spec = shape(asked);
    // The deadline starts when the view starts, as the original demo's timeout did: time spent
    // queued for a worker is the server's, not the view's.
    const QDeadlineTimer deadline(spec.timeoutMs, Qt::PreciseTimer);
    Run run;
    FanOutResult &result = run.result;
    result.strategy = name();
    result.timeoutMs = spec.timeoutMs;
    result.requestId = m_recorder.requestStarted(routeId(), spec.timeoutMs, spec.tasks, lane);
    result.startNs = m_recorder.now();

    FanOutPlan plan(spec);
    plan.setUpstream(m_upstream);
    result.seed = plan.seed();
    run.fanIn = std::make_shared<FanIn>(m_recorder, result.requestId, std::move(plan), deadline);
    bool aborting = false;
    {
        QMutexLocker locker(&m_activeMutex);
        m_active.insert(run.fanIn.get(), run.fanIn);
        aborting = m_aborting;
    }
    if (aborting)
        run.fanIn->abort();
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
    m_recorder.requestEnded(result.requestId, result.httpStatus);
    return result;
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
