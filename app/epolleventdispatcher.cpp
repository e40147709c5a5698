#include "epolleventdispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace {

// What wakes each kind of notifier, as QEventDispatcherUNIX does with poll(): a hang-up or an
// error wakes the reader (which then reads the end of the stream or the error), and the writer
// too, so that a socket watched only for writing does not spin on a hang-up no one takes.
constexpr quint32 ReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr quint32 WriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;
constexpr quint32 ExceptionEvents = EPOLLPRI;
constexpr quint32 WatchedFor[3] = { EPOLLIN | EPOLLRDHUP, EPOLLOUT, EPOLLPRI };
constexpr quint32 WakesOn[3] = { ReadEvents, WriteEvents, ExceptionEvents };

// Ready descriptors taken from the kernel per wait; more stay ready for the next turn, after the
// posted events (answers handed back) and due timers. 256 let a burst of new requests keep the
// thread 24-87 ms in one turn under bench_abuse (20 turns over 10 ms a minute); 64, 13-30 ms (4-18).
constexpr int MaxEventsPerWait = 64;

int epollWait(int epoll, epoll_event *events, int maxEvents, qint64 timeoutNs)
{
    // epoll_pwait2 takes nanoseconds; epoll_wait, rounded up to milliseconds, where the kernel
    // is older than 5.11 (ENOSYS) or a seccomp filter refuses the newer call (EPERM, Docker's).
    static bool precise = true;
    if (precise) {
        timespec timeout { time_t(timeoutNs / 1000000000), long(timeoutNs % 1000000000) };
        const int n
            = ::epoll_pwait2(epoll, events, maxEvents, timeoutNs < 0 ? nullptr : &timeout, nullptr);
        if (n >= 0 || (errno != ENOSYS && errno != EPERM))
            return n;
        precise = false;
    }
    const int timeoutMs
        = timeoutNs < 0 ? -1 : int(std::min<qint64>((timeoutNs + 999999) / 1000000, 1 << 30));
    return ::epoll_wait(epoll, events, maxEvents, timeoutMs);
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
    , m_epoll(::epoll_create1(EPOLL_CLOEXEC))
    , m_wakeOnly(::epoll_create1(EPOLL_CLOEXEC))
    , m_wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
    if (m_epoll < 0 || m_wakeOnly < 0 || m_wake < 0)
        qFatal("EpollEventDispatcher: cannot create its descriptors: %s", strerror(errno));
    epoll_event wake {};
    wake.events = EPOLLIN;
    wake.data.fd = m_wake;
    ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &wake);
    ::epoll_ctl(m_wakeOnly, EPOLL_CTL_ADD, m_wake, &wake);
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wake);
    ::close(m_wakeOnly);
    ::close(m_epoll);
}

qint64 EpollEventDispatcher::nowNs()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1000000000 + now.tv_nsec;
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    // A member, so that resetTurns() can restart the turn under way; saved for nested loops.
    const qint64 outerStartedNs = std::exchange(m_turnStartedNs, nowNs());
    qint64 waitedNs = 0;
    const bool handled = processTurn(flags, &waitedNs);
    countTurn(std::max<qint64>(0, nowNs() - m_turnStartedNs - waitedNs));
    m_turnStartedNs = outerStartedNs;
    return handled;
}

void EpollEventDispatcher::countTurn(qint64 busyNs)
{
    const double busyS = double(busyNs) / 1e9;
    for (size_t i = 0; i < Turns::BoundsS.size(); ++i) {
        if (busyS <= Turns::BoundsS[i])
            ++m_turns.atMost[i];
    }
    ++m_turns.count;
    m_turns.sumS += busyS;
    m_turns.longestS = std::max(m_turns.longestS, busyS);
}

bool EpollEventDispatcher::processTurn(QEventLoop::ProcessEventsFlags flags, qint64 *waitedNs)
{
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    // Posted events (queued calls, answers handed back, deleteLater) of this thread. One posted
    // meanwhile wakes the wait below at once.
    QCoreApplication::sendPostedEvents();
    if (m_interrupted.load(std::memory_order_relaxed))
        return false;

    const bool withNotifiers = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    const bool withTimers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    qint64 timeoutNs = withTimers ? waitNs() : -1;
    if (!flags.testFlag(QEventLoop::WaitForMoreEvents))
        timeoutNs = 0;
    if (timeoutNs != 0)
        Q_EMIT aboutToBlock();

    syncWatches();
    epoll_event events[MaxEventsPerWait];
    const qint64 waitStartNs = nowNs();
    const int ready
        = epollWait(withNotifiers ? m_epoll : m_wakeOnly, events, MaxEventsPerWait, timeoutNs);
    *waitedNs = nowNs() - waitStartNs;
    if (ready < 0 && errno != EINTR)
        qErrnoWarning("EpollEventDispatcher: epoll_wait");
    if (timeoutNs != 0)
        Q_EMIT awake();

    int handled = 0;
    for (int i = 0; i < ready; ++i) {
        if (events[i].data.fd == m_wake) {
            drainWakeUps();
            ++handled;
        } else if (withNotifiers) {
            handled += activateNotifiers(events[i].data.fd, events[i].events);
        }
    }
    if (withTimers)
        handled += activateTimers();
    return handled > 0;
}

void EpollEventDispatcher::drainWakeUps()
{
    // Read first, then cleared. The other way round, a wakeUp() between the two would write
    // after the flag was cleared and its count be read away here, leaving the flag set with
    // nothing to read: every later wakeUp() would trust one to be on its way, and posted events
    // would wait for some socket or timer. This way a wakeUp() that finds the flag still set
    // posted its event before this read, and the next turn starts by sending posted events.
    quint64 count = 0;
    while (::read(m_wake, &count, sizeof count) < 0 && errno == EINTR) { }
    m_wakePending.store(false);
}

void EpollEventDispatcher::wakeUp()
{
    if (m_wakePending.exchange(true))
        return; // one is on its way
    const quint64 one = 1;
    while (::write(m_wake, &one, sizeof one) < 0 && errno == EINTR) { }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

// Socket notifiers

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int descriptor = int(notifier->socket());
    Watch &watch = m_watches[descriptor];
    if (!watch.notifiers.contains(notifier))
        watch.notifiers.append(notifier);
    m_changed.push_back(descriptor);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int descriptor = int(notifier->socket());
    const auto it = m_watches.find(descriptor);
    if (it == m_watches.end())
        return;
    auto &notifiers = it->second.notifiers;
    notifiers.erase(std::remove(notifiers.begin(), notifiers.end(), notifier), notifiers.end());
    if (!notifiers.isEmpty()) {
        m_changed.push_back(descriptor);
        return;
    }
    // The last one: out of the set now, while the descriptor is still this socket's. Left for
    // later, the socket may be closed first, the kernel drop it by itself, and a new socket
    // given its number be taken for one already in the set.
    if (it->second.registered)
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, descriptor, nullptr);
    m_watches.erase(it);
}

void EpollEventDispatcher::syncWatches()
{
    std::vector<int> changed;
    changed.swap(m_changed);
    for (const int descriptor : changed) {
        const auto it = m_watches.find(descriptor);
        if (it != m_watches.end())
            syncWatch(descriptor, it->second);
    }
    // The next turn's list reuses this one's storage.
    changed.clear();
    if (m_changed.empty())
        m_changed.swap(changed);
}

void EpollEventDispatcher::syncWatch(int descriptor, Watch &watch)
{
    quint32 wanted = 0;
    for (const QSocketNotifier *notifier : std::as_const(watch.notifiers))
        wanted |= WatchedFor[notifier->type()];
    // A descriptor without notifiers has left m_watches already (unregisterSocketNotifier).
    if (wanted == watch.registered)
        return;
    epoll_event event {};
    event.events = wanted;
    event.data.fd = descriptor;
    // The kernel forgets a descriptor when it is closed, and the number may come back for a new
    // socket before we heard: add or modify, whichever the kernel takes.
    const int first = watch.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int result = ::epoll_ctl(m_epoll, first, descriptor, &event);
    if (result < 0 && (errno == ENOENT || errno == EEXIST))
        result = ::epoll_ctl(
            m_epoll, first == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, descriptor, &event);
    if (result < 0) {
        qErrnoWarning("EpollEventDispatcher: cannot watch descriptor %d", descriptor);
        watch.registered = 0;
        return;
    }
    watch.registered = wanted;
}

int EpollEventDispatcher::activateNotifiers(int descriptor, quint32 events)
{
    const auto it = m_watches.find(descriptor);
    if (it == m_watches.end())
        return 0;
    const QVarLengthArray<QSocketNotifier *, 2> notifiers = it->second.notifiers;
    int activated = 0;
    for (QSocketNotifier *notifier : notifiers) {
        // Looked up again for each: an earlier handler in this turn may have disabled or
        // deleted this one, or closed the descriptor and let a new socket have its number.
        const auto now = m_watches.find(descriptor);
        if (now == m_watches.end() || !now->second.notifiers.contains(notifier))
            continue;
        if (!(events & WakesOn[notifier->type()]))
            continue;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &event);
        ++activated;
    }
    return activated;
}

// Timers

void EpollEventDispatcher::registerTimer(
    int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    Timer &timer = m_timers[timerId];
    timer.object = object;
    timer.intervalMs = std::max<qint64>(interval, 0);
    timer.type = timerType;
    timer.firing = false;
    timer.dueNs = nowNs() + timer.intervalMs * 1000000;
    schedule(timerId, timer);
}

void EpollEventDispatcher::schedule(int timerId, Timer &timer)
{
    timer.generation = ++m_generation;
    m_due.push({ timer.dueNs, timer.generation, timerId });
    compactHeap();
}

void EpollEventDispatcher::compactHeap()
{
    // A stopped or restarted timer leaves its old entry behind; when they outnumber the live
    // ones, the heap is built again from the timers.
    if (m_due.size() < 64 || m_due.size() < 4 * m_timers.size())
        return;
    std::vector<Due> live;
    live.reserve(m_timers.size());
    for (const auto &[id, timer] : m_timers)
        live.push_back({ timer.dueNs, timer.generation, id });
    m_due = decltype(m_due)(std::greater<Due>(), std::move(live));
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    return m_timers.erase(timerId) > 0;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object == object) {
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(
    QObject *object) const
{
    QList<TimerInfo> timers;
    for (const auto &[id, timer] : m_timers) {
        if (timer.object == object)
            timers.append(TimerInfo(id, int(timer.intervalMs), timer.type));
    }
    return timers;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return -1;
    const qint64 leftNs = std::max<qint64>(it->second.dueNs - nowNs(), 0);
    return int((leftNs + 999999) / 1000000);
}

qint64 EpollEventDispatcher::waitNs()
{
    // Stale entries on top are dropped here, so the wait is for a live timer.
    while (!m_due.empty()) {
        const Due &top = m_due.top();
        const auto it = m_timers.find(top.timerId);
        if (it != m_timers.end() && it->second.generation == top.generation) {
            // A timer whose handler runs a nested loop is not fired again there: a loop nested
            // in it looks again at least every millisecond for the others behind it.
            const qint64 leftNs = std::max<qint64>(top.dueNs - nowNs(), 0);
            return it->second.firing ? std::max<qint64>(leftNs, 1000000) : leftNs;
        }
        m_due.pop();
    }
    return -1;
}

int EpollEventDispatcher::activateTimers()
{
    const qint64 now = nowNs();
    // Taken off the heap first and put back after: a 0 ms timer is due again at once, and must
    // wait for the next turn.
    std::vector<Due> due;
    std::vector<Due> busy; // their handler runs (we are in a nested loop): kept as they are
    while (!m_due.empty() && m_due.top().dueNs <= now) {
        const Due entry = m_due.top();
        m_due.pop();
        const auto it = m_timers.find(entry.timerId);
        if (it == m_timers.end() || it->second.generation != entry.generation)
            continue; // stopped or restarted since
        (it->second.firing ? busy : due).push_back(entry);
    }
    for (const Due &entry : busy)
        m_due.push(entry);
    // Each with the generation it was rescheduled under, to know it again below.
    std::vector<std::pair<int, quint64>> toFire;
    toFire.reserve(due.size());
    for (const Due &entry : due) {
        Timer &timer = m_timers[entry.timerId];
        // Next due one interval later; if the thread fell behind, one interval from now (no
        // burst of catch-up timeouts), as Qt's own timers do.
        timer.dueNs += timer.intervalMs * 1000000;
        if (timer.dueNs <= now)
            timer.dueNs = now + timer.intervalMs * 1000000;
        schedule(entry.timerId, timer);
        toFire.emplace_back(entry.timerId, timer.generation);
    }
    int fired = 0;
    for (const auto &[timerId, generation] : toFire) {
        // An earlier handler in this turn may have stopped this timer, or restarted it (a new
        // generation, due at its new time).
        auto it = m_timers.find(timerId);
        if (it == m_timers.end() || it->second.generation != generation)
            continue;
        it->second.firing = true;
        QTimerEvent event(timerId);
        QCoreApplication::sendEvent(it->second.object, &event);
        ++fired;
        it = m_timers.find(timerId);
        if (it != m_timers.end())
            it->second.firing = false;
    }
    return fired;
}
