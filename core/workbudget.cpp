#include "workbudget.h"

#include <QMutexLocker>

#include <utility>

const char *WorkBudget::refusalName(Refusal refusal)
{
    switch (refusal) {
    case Refusal::None:
        return "none";
    case Refusal::Tasks:
        return "tasks";
    case Refusal::PoolTime:
        return "pool_seconds";
    }
    return "none";
}

WorkBudget::Lease::~Lease()
{
    release();
}

WorkBudget::Lease::Lease(Lease &&other) noexcept
    : m_budget(std::move(other.m_budget))
    , m_tasks(std::exchange(other.m_tasks, 0))
    , m_poolMs(std::exchange(other.m_poolMs, 0))
    , m_refusal(std::exchange(other.m_refusal, Refusal::None))
{
}

WorkBudget::Lease &WorkBudget::Lease::operator=(Lease &&other) noexcept
{
    if (this != &other) {
        release();
        m_budget = std::move(other.m_budget);
        m_tasks = std::exchange(other.m_tasks, 0);
        m_poolMs = std::exchange(other.m_poolMs, 0);
        m_refusal = std::exchange(other.m_refusal, Refusal::None);
    }
    return *this;
}

void WorkBudget::Lease::release()
{
    if (const std::shared_ptr<WorkBudget> budget = std::exchange(m_budget, nullptr))
        budget->giveBack(m_tasks, m_poolMs);
}

WorkBudget::WorkBudget(qint64 maxTasks, qint64 maxPoolMs)
    : m_maxTasks(maxTasks)
    , m_maxPoolMs(maxPoolMs)
{
}

WorkBudget::Lease WorkBudget::tryAcquire(qint64 tasks, qint64 poolMs)
{
    Lease lease;
    tasks = std::max<qint64>(0, tasks);
    poolMs = std::max<qint64>(0, poolMs);
    QMutexLocker locker(&m_mutex);
    // Compared as "what would remain", so that no sum can overflow.
    if (m_maxTasks > 0 && tasks > m_maxTasks - m_counters.tasksInFlight)
        lease.m_refusal = Refusal::Tasks;
    else if (m_maxPoolMs > 0 && poolMs > m_maxPoolMs - m_counters.poolMsInFlight)
        lease.m_refusal = Refusal::PoolTime;
    if (!lease.isAdmitted()) {
        ++m_counters.refused[size_t(lease.m_refusal)];
        return lease;
    }
    m_counters.tasksInFlight += tasks;
    m_counters.poolMsInFlight += poolMs;
    ++m_counters.admitted;
    lease.m_budget = shared_from_this();
    lease.m_tasks = tasks;
    lease.m_poolMs = poolMs;
    return lease;
}

WorkBudget::Counters WorkBudget::counters() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters;
}

qint64 WorkBudget::tasksInFlight() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.tasksInFlight;
}

bool WorkBudget::isIdle() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.tasksInFlight == 0 && m_counters.poolMsInFlight == 0;
}

void WorkBudget::giveBack(qint64 tasks, qint64 poolMs)
{
    QMutexLocker locker(&m_mutex);
    m_counters.tasksInFlight -= tasks;
    m_counters.poolMsInFlight -= poolMs;
}
