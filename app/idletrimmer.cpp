#include "idletrimmer.h"

#include "workbudget.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

constexpr int CheckMs = IdleTrimmer::IdleMs / 2;

} // namespace

IdleTrimmer::IdleTrimmer(std::shared_ptr<const WorkBudget> budget, QObject *parent)
    : QObject(parent)
    , m_budget(std::move(budget))
{
    // Coarse on purpose: waking twice a second costs nothing, and only work admitted since the
    // last trim makes it trim again.
    m_timer.setInterval(CheckMs);
    m_timer.setTimerType(Qt::CoarseTimer);
    connect(&m_timer, &QTimer::timeout, this, &IdleTrimmer::check);
    m_timer.start();
}

void IdleTrimmer::configureAllocator()
{
#if defined(__GLIBC__)
    // Setting it at all turns glibc's moving threshold off.
    mallopt(M_MMAP_THRESHOLD, BigBlockBytes);
#endif
}

void IdleTrimmer::check()
{
    const WorkBudget::Counters counters = m_budget->counters();
    const bool idle = counters.tasksInFlight == 0 && counters.poolMsInFlight == 0;
    // Requests refused cost memory too (their connections and answers), so they count.
    quint64 requests = counters.admitted;
    for (const quint64 refused : counters.refused)
        requests += refused;
    if (!idle || requests == m_requestsAtTrim) {
        m_idleChecks = 0;
        return;
    }
    // Idle for a whole IdleMs: a burst is over, not merely between two requests.
    if (++m_idleChecks * CheckMs < IdleMs)
        return;
    m_idleChecks = 0;
    m_requestsAtTrim = requests;
    ++m_trims;
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
