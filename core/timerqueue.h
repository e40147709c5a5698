#pragma once

// Precise timers for the calling thread's event loop: one Linux timerfd per thread, armed for
// the earliest of any number of deadlines, watched by a QSocketNotifier.
//
// Why not QTimer: Qt 6.4 sleeps in poll() until its next timer, and Linux lets poll() oversleep
// by 0.1 % of its timeout, so a 1 s QTimer fires 1-2 ms late even as a PreciseTimer. An absolute
// timerfd wakes within microseconds, and one fd serves every timer of the thread, so 10 000
// pending tasks cost a heap, not 10 000 file descriptors.
#include <QObject>

#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

class QSocketNotifier;

class TimerQueue : public QObject
{
    Q_OBJECT
public:
    using Id = quint64;

    // The queue of the calling thread, made on first use and deleted when the thread ends.
    static TimerQueue *forCurrentThread();
    // Nanoseconds on CLOCK_MONOTONIC: the clock of QElapsedTimer and QDeadlineTimer on Linux.
    static qint64 nowNs();

    ~TimerQueue() override;

    // Calls fn in this thread's event loop once CLOCK_MONOTONIC reaches dueNs.
    Id schedule(qint64 dueNs, std::function<void()> fn);
    // The callback will not run. Harmless for ids that ran or were cancelled already.
    void cancel(Id id);
    int pendingCount() const { return int(m_callbacks.size()); }

private:
    TimerQueue();
    void onExpired();
    void rearm();

    struct Entry {
        qint64 dueNs;
        Id id;
        bool operator>(const Entry &other) const { return dueNs != other.dueNs ? dueNs > other.dueNs : id > other.id; }
    };

    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> m_heap; // may hold cancelled ids
    std::unordered_map<Id, std::function<void()>> m_callbacks; // only live ones
    Id m_nextId = 1;
    qint64 m_armedFor = -1;
};
