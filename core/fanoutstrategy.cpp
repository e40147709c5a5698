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
    // The deadline starts when the view starts, as the original demo's timeout did: time spent
    // queued for a worker is the server's, not the view's.
    const QDeadlineTimer deadline(spec.timeoutMs, Qt::PreciseTimer);
    FanOutResult result;
    result.strategy = name();
    result.timeoutMs = spec.timeoutMs;
    result.requestId = m_recorder.requestStarted(routeId(), spec.timeoutMs, spec.tasks);
    result.startNs = m_recorder.now();

    FanOutPlan plan(spec);
    result.seed = plan.seed();
    auto fanIn = std::make_shared<FanIn>(m_recorder, result.requestId, std::move(plan), deadline);
    bool aborting = false;
    {
        QMutexLocker locker(&m_activeMutex);
        m_active.insert(fanIn.get());
        aborting = m_aborting;
    }
    if (aborting)
        fanIn->abort();
    else
        fanOut(fanIn);
    fanIn->expireUnfinished();
    {
        QMutexLocker locker(&m_activeMutex);
        m_active.remove(fanIn.get());
    }

    result.endNs = m_recorder.now();
    result.tasks = fanIn->outcomes();
    for (const ThreadLane &lane : m_recorder.lanes())
        result.laneNames.append(lane.name);
    result.httpStatus = httpStatus(result);
    m_recorder.requestEnded(result.requestId, result.httpStatus);
    return result;
}

void FanOutStrategy::abortAll()
{
    QMutexLocker locker(&m_activeMutex);
    m_aborting = true;
    for (FanIn *fanIn : std::as_const(m_active))
        fanIn->abort();
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
