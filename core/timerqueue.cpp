#include "timerqueue.h"

#include <QSocketNotifier>
#include <QThreadStorage>

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

namespace {

QThreadStorage<TimerQueue *> s_queues; // deletes each thread's queue when the thread ends

} // namespace

TimerQueue *TimerQueue::forCurrentThread()
{
    if (!s_queues.hasLocalData())
        s_queues.setLocalData(new TimerQueue);
    return s_queues.localData();
}

qint64 TimerQueue::nowNs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

TimerQueue::TimerQueue()
{
    m_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (m_fd < 0)
        qFatal("timerfd_create failed: no precise timers on this system");
    m_notifier = new QSocketNotifier(qintptr(m_fd), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &TimerQueue::onExpired);
}

TimerQueue::~TimerQueue()
{
    delete m_notifier;
    ::close(m_fd);
}

TimerQueue::Id TimerQueue::schedule(qint64 dueNs, std::function<void()> fn)
{
    const Id id = m_nextId++;
    m_callbacks.emplace(id, std::move(fn));
    m_heap.push({ dueNs, id });
    if (m_armedFor < 0 || dueNs < m_armedFor)
        rearm();
    return id;
}

void TimerQueue::cancel(Id id)
{
    // The heap entry stays until it comes up; then it finds no callback and is dropped.
    m_callbacks.erase(id);
    if (m_callbacks.empty()) {
        m_heap = {};
        rearm();
    }
}

void TimerQueue::onExpired()
{
    quint64 expirations = 0;
    [[maybe_unused]] const auto bytes = ::read(m_fd, &expirations, sizeof expirations);
    m_armedFor = -1;
    // Run everything due, including what a callback schedules for a time already past.
    while (!m_heap.empty() && m_heap.top().dueNs <= nowNs()) {
        const Entry entry = m_heap.top();
        m_heap.pop();
        auto it = m_callbacks.find(entry.id);
        if (it == m_callbacks.end())
            continue; // cancelled
        std::function<void()> fn = std::move(it->second);
        m_callbacks.erase(it);
        fn();
    }
    rearm();
}

void TimerQueue::rearm()
{
    while (!m_heap.empty() && m_callbacks.count(m_heap.top().id) == 0)
        m_heap.pop();
    itimerspec spec {};
    if (m_heap.empty()) {
        m_armedFor = -1; // all zero: disarm
    } else {
        // A due time already past is armed 1 ns ahead: zero would disarm the timer.
        m_armedFor = std::max<qint64>(m_heap.top().dueNs, 1);
        spec.it_value.tv_sec = time_t(m_armedFor / 1000000000);
        spec.it_value.tv_nsec = long(m_armedFor % 1000000000);
    }
    timerfd_settime(m_fd, TFD_TIMER_ABSTIME, &spec, nullptr);
}
