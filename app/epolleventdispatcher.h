#pragma once

// An event dispatcher for the server's thread (Linux) whose cost per turn follows the sockets
// that are ready, not the sockets that are open.
//
// Qt's dispatchers (glib's and its own) hand every watched descriptor to poll() on every turn of
// the loop, and glib then looks at each one again: with the ~1000 connections an overloaded
// server holds, perf showed the server's thread spending over half of its time there, and every
// answer waiting for those turns (bench_abuse: 25-90 ms past the deadline at the client). Here an
// epoll set holds the descriptors and a turn costs what is ready; timers wait in a heap (Qt's
// timer list is searched from the front each time a timer stops, and every connection's idle
// timer stops and starts with each request).
//
// Same contract as QEventDispatcherUNIX: posted events first, then the ready socket notifiers,
// then the due timers; level-triggered notifiers; each timer fires at most once a turn and not
// again while its handler runs. Install on a QThread before it starts
// (QThread::setEventDispatcher). For sockets, pipes and the like: epoll cannot watch a regular file
// (Qt's dispatchers report one ready on every turn), and the server's thread watches none.
#include <QAbstractEventDispatcher>
#include <QVarLengthArray>

#include <array>
#include <atomic>
#include <queue>
#include <unordered_map>
#include <vector>

class QSocketNotifier;

class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(
        int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    // Any thread.
    void wakeUp() override;
    void interrupt() override;

    // Descriptors in the epoll set and timers registered now (for tests).
    int watchedDescriptors() const { return int(m_watches.size()); }
    int registeredTimerCount() const { return int(m_timers.size()); }

    // How long each turn of the loop kept the thread busy, from its start to its wait and from
    // the wait to its end: how long a request's bytes, or an answer handed back, may wait for
    // the thread. A histogram for /metrics; read on the dispatcher's thread.
    struct Turns
    {
        static constexpr std::array<double, 10> BoundsS { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
            0.005, 0.01, 0.025, 0.05, 0.1 };
        std::array<quint64, BoundsS.size()> atMost {}; // turns of at most BoundsS[i] (cumulative)
        quint64 count = 0;
        double sumS = 0;
        double longestS = 0;
    };
    const Turns &turns() const { return m_turns; }
    // Forgets the turns so far, the one under way included up to now (the server's set-up,
    // before it serves).
    void resetTurns()
    {
        m_turns = {};
        m_turnStartedNs = nowNs();
    }

private:
    // The notifiers of one descriptor, and what the kernel was last told to watch for it. A
    // descriptor may have two of a kind: QTcpServer keeps its own (disabled) read notifier on
    // the listening socket that HttpListener watches too.
    struct Watch
    {
        QVarLengthArray<QSocketNotifier *, 2> notifiers;
        quint32 registered = 0; // epoll events in the set now
    };
    struct Timer
    {
        QObject *object = nullptr;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        qint64 dueNs = 0;
        quint64 generation = 0; // which heap entry is this timer's current one
        bool firing = false; // its handler runs now: not again from a nested loop
    };
    struct Due
    {
        qint64 dueNs;
        quint64 generation;
        int timerId;
        bool operator>(const Due &other) const
        {
            return dueNs != other.dueNs ? dueNs > other.dueNs : generation > other.generation;
        }
    };

    static qint64 nowNs();
    bool processTurn(QEventLoop::ProcessEventsFlags flags, qint64 *waitedNs);
    void countTurn(qint64 busyNs);
    void schedule(int timerId, Timer &timer);
    void compactHeap();
    // How long the next epoll_wait may block: -1 for no timer, 0 if one is due.
    qint64 waitNs();
    // Tells the kernel what changed since the last wait, so that a notifier enabled and disabled
    // within one turn (a socket's write notifier, for each answer) costs no system call.
    void syncWatches();
    void syncWatch(int descriptor, Watch &watch);
    int activateNotifiers(int descriptor, quint32 events);
    int activateTimers();
    void drainWakeUps();

    int m_epoll = -1;
    int m_wakeOnly = -1; // an epoll set with only the wake-up: waits that exclude notifiers
    int m_wake = -1; // eventfd
    std::atomic<bool> m_wakePending { false };
    std::atomic<bool> m_interrupted { false };
    std::unordered_map<int, Watch> m_watches;
    std::vector<int> m_changed; // descriptors whose notifiers changed since the last wait
    std::unordered_map<int, Timer> m_timers;
    std::priority_queue<Due, std::vector<Due>, std::greater<Due>> m_due; // may hold stale entries
    quint64 m_generation = 0;
    Turns m_turns;
    qint64 m_turnStartedNs = 0;
};
