#include "fanin.h"

#include "tracerecorder.h"

#include <QMutexLocker>
#include <QtCore/qtsan_impl.h>

namespace {

// QWaitCondition::wait() unlocks and relocks the mutex inside libQt6Core, which Debian does not
// build with ThreadSanitizer, while QMutex's inline lock() and unlock() in our code tell TSan
// about themselves (QtTsan). Say that the wait let go of the mutex and took it back, or TSan
// takes the next lock by a task for a double lock and misses the order that the wait gives.
// QtTsan's calls are empty unless built with TSan.
bool waitOn(QWaitCondition &condition, QMutex &mutex, QDeadlineTimer deadline)
{
    QtTsan::mutexPreUnlock(&mutex, 0u);
    QtTsan::mutexPostUnlock(&mutex, 0u);
    const bool woken = condition.wait(&mutex, deadline);
    QtTsan::mutexPreLock(&mutex, 0u);
    QtTsan::mutexPostLock(&mutex, 0u, 0);
    return woken;
}

} // namespace

FanIn::FanIn(TraceRecorder &recorder, quint64 requestId, FanOutPlan plan, QDeadlineTimer deadline)
    : m_recorder(recorder)
    , m_requestId(requestId)
    , m_plan(std::move(plan))
    , m_deadline(deadline)
    , m_outcomes(m_plan.size())
{
    for (int i = 0; i < m_outcomes.size(); ++i)
        m_outcomes[i].index = i;
}

bool FanIn::begin(int index, bool stoppable)
{
    const qint64 now = m_recorder.now();
    const int lane = m_recorder.currentLane();
    QMutexLocker locker(&m_mutex);
    TaskOutcome &outcome = m_outcomes[index];
    // Too late is too late: a thread that gets to a task after its request's deadline (a busy
    // loop thread, a queue for a pool thread) leaves it for the request to expire.
    if (outcome.status != TaskStatus::Queued || m_deadline.hasExpired())
        return false;
    outcome.status = TaskStatus::Running;
    outcome.startNs = now;
    outcome.lane = lane;
    outcome.outlives = !stoppable;
    // Recorded under the lock, like every event of the fan-in, so that the trace tells them in
    // the order they happened: no task's end after its request's.
    m_recorder.taskStarted(m_requestId, index, m_plan.task(index).kind, now);
    return true;
}

bool FanIn::finish(int index, TaskStatus status, const QString &error, std::optional<double> balance)
{
    Q_ASSERT(isFinal(status));
    const qint64 now = m_recorder.now();
    int lane = -1;
    bool allFinal = false;
    {
        QMutexLocker locker(&m_mutex);
        TaskOutcome &outcome = m_outcomes[index];
        if (isFinal(outcome.status)) {
            // Given up on already. A task that could not be stopped has only now let go of its
            // thread: that is worth seeing, it is what blocking costs.
            if (outcome.outlives)
                m_recorder.taskReleased(m_requestId, index, outcome.lane, now);
            return false;
        }
        // Done, but after the deadline: the view has given up on it, or is about to (a thread
        // busy under load notices a deadline late). Its result is not used, whatever it was.
        const bool late = (status == TaskStatus::Ok || status == TaskStatus::Failed) && m_deadline.hasExpired();
        if (late)
            status = TaskStatus::TimedOut;
        outcome.status = status;
        outcome.endNs = now;
        outcome.error = late ? QString() : error;
        if (status == TaskStatus::Ok)
            outcome.balance = balance.value_or(m_plan.task(index).balance);
        lane = outcome.lane;
        // Before anyone waiting is woken: the request's end must come after this in the trace.
        m_recorder.taskEnded(m_requestId, index, lane, status, now);
        if (++m_finalCount == m_outcomes.size()) {
            m_allFinal.wakeAll();
            allFinal = true;
        }
    }
    if (allFinal)
        notifyAllFinal();
    return true;
}

bool FanIn::isGivenUp(int index) const
{
    QMutexLocker locker(&m_mutex);
    return wasGivenUp(m_outcomes.at(index).status);
}

bool FanIn::isDone() const
{
    QMutexLocker locker(&m_mutex);
    return m_finalCount == m_outcomes.size();
}

bool FanIn::waitUntilDone(QDeadlineTimer deadline)
{
    QMutexLocker locker(&m_mutex);
    while (m_finalCount < m_outcomes.size()) {
        if (!waitOn(m_allFinal, m_mutex, deadline))
            break;
    }
    return m_finalCount == m_outcomes.size();
}

int FanIn::expireUnfinished()
{
    return giveUpUnfinished(TaskStatus::TimedOut);
}

int FanIn::giveUpUnfinished(TaskStatus status)
{
    const qint64 now = m_recorder.now();
    int expired = 0;
    {
        QMutexLocker locker(&m_mutex);
        for (TaskOutcome &outcome : m_outcomes) {
            if (isFinal(outcome.status))
                continue;
            outcome.status = status;
            outcome.endNs = now;
            ++m_finalCount;
            ++expired;
            // A task that never started has no lane: its end still goes on record so that
            // every task of the request is accounted for.
            m_recorder.taskEnded(m_requestId, outcome.index, outcome.lane, status, now, outcome.outlives);
        }
        if (expired > 0)
            m_allFinal.wakeAll();
    }
    if (expired > 0)
        notifyAllFinal();
    return expired;
}

void FanIn::abort()
{
    {
        QMutexLocker locker(&m_mutex);
        m_aborted = true;
    }
    giveUpUnfinished(TaskStatus::TimedOut);
    wakeWaiter();
}

void FanIn::abandon()
{
    {
        QMutexLocker locker(&m_mutex);
        m_abandoned = true;
    }
    giveUpUnfinished(TaskStatus::Cancelled);
    wakeWaiter();
}

void FanIn::wakeWaiter()
{
    // Called under the mutex so that the waiter, which clears the hook under it before its event
    // loop goes away, cannot be woken through a dangling loop.
    QMutexLocker locker(&m_mutex);
    if (m_wakeUp)
        m_wakeUp();
}

void FanIn::setWakeUp(std::function<void()> wakeUp)
{
    QMutexLocker locker(&m_mutex);
    m_wakeUp = std::move(wakeUp);
}

bool FanIn::isAborted() const
{
    QMutexLocker locker(&m_mutex);
    return m_aborted;
}

bool FanIn::isAbandoned() const
{
    QMutexLocker locker(&m_mutex);
    return m_abandoned;
}

bool FanIn::isCancelled() const
{
    QMutexLocker locker(&m_mutex);
    return m_aborted || m_abandoned;
}

void FanIn::setOnAllFinal(std::function<void()> onAllFinal)
{
    bool already = false;
    {
        QMutexLocker locker(&m_mutex);
        already = m_finalCount == m_outcomes.size();
        if (!already)
            m_onAllFinal = std::move(onAllFinal);
    }
    if (already)
        onAllFinal();
}

void FanIn::notifyAllFinal()
{
    std::function<void()> onAllFinal;
    {
        QMutexLocker locker(&m_mutex);
        std::swap(onAllFinal, m_onAllFinal); // once only
    }
    if (onAllFinal)
        onAllFinal();
}

TaskOutcome FanIn::outcome(int index) const
{
    QMutexLocker locker(&m_mutex);
    return m_outcomes.at(index);
}

QVector<TaskOutcome> FanIn::outcomes() const
{
    QMutexLocker locker(&m_mutex);
    // A deep copy, made under the lock. A shallow one would share m_outcomes' buffer with the
    // caller's thread: a task finishing here detaches it under the lock while the caller,
    // iterating its copy, detaches or reads it outside the lock (issue 12, a race TSan saw).
    return QVector<TaskOutcome>(m_outcomes.cbegin(), m_outcomes.cend());
}

int FanIn::finishedCount() const
{
    QMutexLocker locker(&m_mutex);
    return m_finalCount;
}
