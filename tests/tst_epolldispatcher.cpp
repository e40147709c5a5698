// SPDX-License-Identifier: GPL-3.0-or-later
// EpollEventDispatcher on the QThread it serves keeps QEventDispatcherUNIX's contract for posted
// events, timers, socket notifiers, real TCP sockets and quitting.
#include "epolleventdispatcher.h"
#include "handover.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHostAddress>
#include <QPointer>
#include <QScopeGuard>
#include <QSemaphore>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr qint64 Ms = 1000 * 1000;
// How long a queued call to the dispatcher's thread may take before the run is given up.
constexpr int CallTimeoutMs = 20000;

enum class Removal
{
    Stop,
    Delete,
    Restart
};
enum class NotifierRemoval
{
    Disable,
    Delete
};
enum class ZeroTimer
{
    Restarting,
    Repeating
};
enum class Pending
{
    NoTimer,
    FarTimer
};

bool writeByte(int descriptor)
{
    const char byte = 'x';
    return ::write(descriptor, &byte, 1) == 1;
}

void readByte(int descriptor)
{
    char byte;
    (void)!::read(descriptor, &byte, 1);
}

// Receives NumberEvents, so that posted events and queued calls can be interleaved.
class NumberSink : public QObject
{
public:
    static QEvent::Type eventType()
    {
        static const auto registered = QEvent::Type(QEvent::registerEventType());
        return registered;
    }
    struct Event : QEvent
    {
        explicit Event(int value)
            : QEvent(eventType())
        {
            // Released here and acquired where it is read: the posting thread's write is then
            // ordered before the read in ThreadSanitizer's eyes too.
            number.store(value, std::memory_order_release);
        }
        std::atomic<int> number { 0 };
    };

    explicit NumberSink(std::function<void(int)> onNumber, QObject *parent)
        : QObject(parent)
        , m_onNumber(std::move(onNumber))
    { }

    bool event(QEvent *event) override
    {
        if (event->type() != eventType())
            return QObject::event(event);
        m_onNumber(static_cast<Event *>(event)->number.load(std::memory_order_acquire));
        return true;
    }

private:
    std::function<void(int)> m_onNumber;
};

// Records the ids of its timer events (QObject::startTimer, not QTimer).
class TimerEventLog : public QObject
{
public:
    using QObject::QObject;
    QList<int> ids;
    std::atomic<int> count { 0 };

protected:
    void timerEvent(QTimerEvent *event) override
    {
        ids.append(event->timerId());
        ++count;
    }
};

// Posts a call that posts the next one, until told to stop: the queue is never empty.
void postChainLink(QObject *context, std::shared_ptr<std::atomic<bool>> stop,
    std::shared_ptr<std::atomic<int>> links)
{
    QMetaObject::invokeMethod(context, handOver([context, stop, links] {
        ++*links;
        if (!*stop)
            postChainLink(context, stop, links);
    }),
        Qt::QueuedConnection);
}

} // namespace

Q_DECLARE_METATYPE(Removal)
Q_DECLARE_METATYPE(NotifierRemoval)
Q_DECLARE_METATYPE(ZeroTimer)
Q_DECLARE_METATYPE(Pending)

class TestEpollDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    // Posted events and waking up.
    void postedCallsArriveInOrder();
    void postsFromManyThreadsAllArrive();
    void concurrentWakeUpsLoseNone();
    void postWakesASleepingLoop();
    void turnsCountBusyTimeNotWaiting();
    void turnOrderIsPostedNotifiersTimers();

    // Timers.
    void singleShotTimersFireInDueOrderNeverEarly();
    void repeatingTimerRepeats();
    void timerRemovedByEarlierTimerInSameTurn_data();
    void timerRemovedByEarlierTimerInSameTurn();
    void zeroTimerDoesNotStarvePostedCallsOrNotifiers_data();
    void zeroTimerDoesNotStarvePostedCallsOrNotifiers();
    void postedChainDoesNotStarveTimersOrNotifiers();
    void timerDoesNotFireInsideItsOwnHandler();
    void objectTimers();

    // Socket notifiers.
    void readNotifierIsLevelTriggeredAndCanBeDisabled();
    void writeNotifierFollowsWritability();
    void readAndWriteNotifiersOnOneDescriptor();
    void notifierRemovedByEarlierHandlerInSameTurn_data();
    void notifierRemovedByEarlierHandlerInSameTurn();
    void hangUpActivatesReadNotifier_data();
    void hangUpActivatesReadNotifier();
    void excludeSocketNotifiers();
    void manyDescriptors();

    // Real sockets, and the end.
    void tcpPingPong();
    void tcpBulkEcho();
    void quitEndsABlockedLoop_data();
    void quitEndsABlockedLoop();

private:
    // Runs work on the dispatcher's thread and waits for it.
    void onThread(const std::function<void()> &work);
    template<typename F> auto fromThread(F work) -> decltype(work())
    {
        decltype(work()) value {};
        onThread([&] { value = work(); });
        return value;
    }
    int watched()
    {
        return fromThread([this] { return m_dispatcher->watchedDescriptors(); });
    }
    int timerCount()
    {
        return fromThread([this] { return m_dispatcher->registeredTimerCount(); });
    }
    // A non-blocking AF_UNIX stream pair, closed by cleanup() after the thread has stopped (so
    // that no notifier outlives its descriptor); {-1, -1} on failure.
    std::array<int, 2> socketPair();
    // A non-blocking pipe, {read end, write end}, closed as socketPair()'s.
    std::array<int, 2> pipePair();
    void closeEarly(int descriptor);
    // Whether the dispatcher's thread is asleep (blocked in its wait), from /proc.
    bool threadSleeps() const;
    // Returns once the loop has polled its descriptors after this call and handled what it found:
    // a fresh pair written now has been reported. A notifier ready before this call and not
    // activated by then was left out on purpose.
    bool waitForAPoll();
    // A QTcpServer on the dispatcher's thread; each connection answers "pong" to "ping", or
    // echoes all it reads. Returns its port, 0 on failure.
    quint16 listenOnThread(bool echo);

    std::unique_ptr<QThread> m_thread;
    EpollEventDispatcher *m_dispatcher = nullptr;
    QObject *m_context = nullptr; // lives on m_thread; thread-side objects are its children
    pid_t m_threadId = 0;
    std::vector<int> m_descriptors;
};

void TestEpollDispatcher::init()
{
    m_thread = std::make_unique<QThread>();
    m_dispatcher = new EpollEventDispatcher;
    m_thread->setEventDispatcher(m_dispatcher);
    m_context = new QObject;
    m_context->moveToThread(m_thread.get());
    // Deleted on the thread while its dispatcher still exists (QThread sends DeferredDelete
    // after finished()), so that its children's timers and notifiers unregister there.
    connect(m_thread.get(), &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();

    bool installed = false;
    onThread([&] {
        m_threadId = ::gettid();
        installed = QAbstractEventDispatcher::instance() == m_dispatcher;
    });
    QVERIFY(installed);
}

void TestEpollDispatcher::cleanup()
{
    m_thread->quit();
    const bool stopped = m_thread->wait(10000);
    if (!stopped)
        (void)m_thread.release(); // a running QThread cannot be destroyed: leave it
    m_thread.reset();
    m_dispatcher = nullptr;
    m_context = nullptr;
    for (int descriptor : m_descriptors)
        ::close(descriptor);
    m_descriptors.clear();
    QVERIFY2(stopped, "the dispatcher's thread did not stop");
}

void TestEpollDispatcher::onThread(const std::function<void()> &work)
{
    // The semaphore waits; the flag orders what the call wrote before what follows here in a way
    // that ThreadSanitizer sees (Debian's Qt, not built with it, orders it with futexes), as
    // handOver() does on the way there. Shared: release() may still run as we return.
    struct Done
    {
        QSemaphore semaphore;
        std::atomic<bool> flag { false };
    };
    auto done = std::make_shared<Done>();
    QMetaObject::invokeMethod(m_context, handOver([&work, done] {
        work();
        done->flag.store(true, std::memory_order_release);
        done->semaphore.release();
    }),
        Qt::QueuedConnection);
    // Fatal rather than failed: the call, still queued, refers to this frame.
    if (!done->semaphore.tryAcquire(1, CallTimeoutMs)
        || !done->flag.load(std::memory_order_acquire))
        qFatal("EpollEventDispatcher did not run a queued call within %d ms", CallTimeoutMs);
}

std::array<int, 2> TestEpollDispatcher::socketPair()
{
    int pair[2] = { -1, -1 };
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0)
        return { -1, -1 };
    m_descriptors.push_back(pair[0]);
    m_descriptors.push_back(pair[1]);
    return { pair[0], pair[1] };
}

std::array<int, 2> TestEpollDispatcher::pipePair()
{
    int ends[2] = { -1, -1 };
    if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0)
        return { -1, -1 };
    m_descriptors.push_back(ends[0]);
    m_descriptors.push_back(ends[1]);
    return { ends[0], ends[1] };
}

void TestEpollDispatcher::closeEarly(int descriptor)
{
    m_descriptors.erase(
        std::remove(m_descriptors.begin(), m_descriptors.end(), descriptor), m_descriptors.end());
    ::close(descriptor);
}

bool TestEpollDispatcher::threadSleeps() const
{
    QFile stat(QStringLiteral("/proc/self/task/%1/stat").arg(m_threadId));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    // "tid (name) S ...": the state follows the last parenthesis.
    const QByteArray line = stat.readAll();
    const qsizetype end = line.lastIndexOf(')');
    return end >= 0 && line.size() > end + 2 && line.at(end + 2) == 'S';
}

bool TestEpollDispatcher::waitForAPoll()
{
    const auto pair = socketPair();
    if (pair[0] < 0)
        return false;
    auto reported = std::make_shared<std::atomic<bool>>(false);
    QSocketNotifier *witness = nullptr;
    onThread([&] {
        witness = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(witness, &QSocketNotifier::activated, witness, [witness, reported] {
            witness->setEnabled(false);
            *reported = true;
        });
    });
    const bool polled
        = writeByte(pair[1]) && QTest::qWaitFor([&] { return reported->load(); }, 10000);
    onThread([&] { delete witness; });
    return polled;
}

quint16 TestEpollDispatcher::listenOnThread(bool echo)
{
    return fromThread([this, echo]() -> quint16 {
        auto *server = new QTcpServer(m_context);
        if (!server->listen(QHostAddress::LocalHost, 0))
            return 0;
        connect(server, &QTcpServer::newConnection, server, [server, echo] {
            while (QTcpSocket *peer = server->nextPendingConnection()) {
                auto pending = std::make_shared<QByteArray>();
                connect(peer, &QTcpSocket::readyRead, peer, [peer, echo, pending] {
                    if (echo) {
                        peer->write(peer->readAll());
                        return;
                    }
                    *pending += peer->readAll();
                    while (pending->startsWith("ping")) {
                        pending->remove(0, 4);
                        peer->write("pong");
                    }
                });
                connect(peer, &QTcpSocket::disconnected, peer, &QObject::deleteLater);
            }
        });
        return server->serverPort();
    });
}

// Posted events and waking up ------------------------------------------------------------------

void TestEpollDispatcher::postedCallsArriveInOrder()
{
    constexpr int Count = 1000;
    struct State
    {
        QList<int> seen; // on the thread
        bool allOnThread = true;
        std::atomic<int> delivered { 0 };
    };
    auto state = std::make_shared<State>();
    QThread *const thread = m_thread.get();
    auto arrive = [state, thread](int number) {
        state->seen.append(number);
        state->allOnThread = state->allOnThread && QThread::currentThread() == thread;
        ++state->delivered;
    };
    NumberSink *sink = fromThread([&] { return new NumberSink(arrive, m_context); });

    // Queued calls and posted events alternate: one queue, one order.
    for (int i = 0; i < Count; ++i) {
        if (i % 2 == 0)
            QMetaObject::invokeMethod(
                m_context, handOver([arrive, i] { arrive(i); }), Qt::QueuedConnection);
        else
            QCoreApplication::postEvent(sink, new NumberSink::Event(i));
    }
    QTRY_COMPARE(state->delivered.load(), Count);

    QList<int> expected;
    for (int i = 0; i < Count; ++i)
        expected.append(i);
    const QList<int> seen = fromThread([&] { return state->seen; });
    QCOMPARE(seen, expected);
    QVERIFY(fromThread([&] { return state->allOnThread; }));
}

void TestEpollDispatcher::postsFromManyThreadsAllArrive()
{
    // wakeUp() from several threads at once: a lost wake-up leaves calls queued and the loop
    // asleep. Progress is read from an atomic, not by asking the thread (which would wake it).
    constexpr int Senders = 4;
    constexpr int PerSender = 2000;
    struct State
    {
        std::vector<int> last = std::vector<int>(Senders, -1); // on the thread
        bool ordered = true;
        std::atomic<int> delivered { 0 };
    };
    auto state = std::make_shared<State>();
    std::vector<std::unique_ptr<QThread>> senders;
    for (int s = 0; s < Senders; ++s) {
        senders.emplace_back(QThread::create([this, state, s] {
            for (int i = 0; i < PerSender; ++i) {
                QMetaObject::invokeMethod(m_context, handOver([state, s, i] {
                    state->ordered = state->ordered && state->last[s] == i - 1;
                    state->last[s] = i;
                    ++state->delivered;
                }),
                    Qt::QueuedConnection);
                if (i % 100 == 0)
                    QThread::yieldCurrentThread(); // let the loop go back to sleep now and then
            }
        }));
    }
    for (auto &sender : senders)
        sender->start();
    for (auto &sender : senders)
        QVERIFY(sender->wait(CallTimeoutMs));
    QTRY_COMPARE_WITH_TIMEOUT(state->delivered.load(), Senders * PerSender, 10000);
    QVERIFY(fromThread([&] { return state->ordered; }));
}

void TestEpollDispatcher::concurrentWakeUpsLoseNone()
{
    // wakeUp() hammered from two threads while the loop wakes, drains and waits as fast as it
    // can: should one wake-up ever be swallowed with the dispatcher still believing one is on
    // its way, every later one is swallowed too, and a call posted afterwards is never run.
    constexpr int HammerMs = 300;
    std::vector<std::unique_ptr<QThread>> hammers;
    for (int h = 0; h < 2; ++h) {
        QAbstractEventDispatcher *dispatcher = m_dispatcher; // called as Qt calls it
        hammers.emplace_back(QThread::create([dispatcher] {
            QElapsedTimer clock;
            clock.start();
            while (clock.elapsed() < HammerMs)
                dispatcher->wakeUp();
        }));
    }
    for (auto &hammer : hammers)
        hammer->start();
    for (auto &hammer : hammers)
        QVERIFY(hammer->wait(CallTimeoutMs));

    auto ran = std::make_shared<std::atomic<bool>>(false);
    QTRY_VERIFY(threadSleeps());
    QMetaObject::invokeMethod(m_context, handOver([ran] { *ran = true; }), Qt::QueuedConnection);
    QTRY_VERIFY_WITH_TIMEOUT(ran->load(), 2000);
}

void TestEpollDispatcher::postWakesASleepingLoop()
{
    auto ran = std::make_shared<std::atomic<int>>(0);
    for (int round = 1; round <= 20; ++round) {
        QTRY_VERIFY(threadSleeps());
        QMetaObject::invokeMethod(m_context, handOver([ran] { ++*ran; }), Qt::QueuedConnection);
        QTRY_COMPARE_WITH_TIMEOUT(ran->load(), round, 2000);
    }
}

void TestEpollDispatcher::turnsCountBusyTimeNotWaiting()
{
    // A call that keeps the thread 20 ms makes a turn of at least that; the 300 ms the loop
    // then sleeps for a timer count in no turn.
    const auto before = fromThread([this] { return m_dispatcher->turns(); });
    auto done = std::make_shared<std::atomic<bool>>(false);
    QMetaObject::invokeMethod(m_context, handOver([] {
        QElapsedTimer busy;
        busy.start();
        while (busy.nsecsElapsed() < 20 * Ms) { } // work, not waiting: the turn's own time
    }),
        Qt::QueuedConnection);
    fromThread([this, done] {
        QTimer::singleShot(300, m_context, [done] { *done = true; });
        return 0;
    });
    QTRY_VERIFY_WITH_TIMEOUT(done->load(), 5000);
    const auto after = fromThread([this] { return m_dispatcher->turns(); });

    QVERIFY(after.count > before.count);
    QVERIFY2(after.longestS >= 0.020, qPrintable(QString::number(after.longestS)));
    QVERIFY2(after.sumS - before.sumS >= 0.020, qPrintable(QString::number(after.sumS)));
    QVERIFY2(after.sumS - before.sumS < 0.3 + 0.020, // coarse: no sleeping counted
        qPrintable(QString::number(after.sumS - before.sumS)));
    // Cumulative: each bucket holds the ones before it, and the 20 ms turn is in none below it.
    for (size_t i = 1; i < after.atMost.size(); ++i)
        QVERIFY(after.atMost[i] >= after.atMost[i - 1]);
    QVERIFY(after.atMost.back() <= after.count);
    const size_t below20 = size_t(std::distance(
        after.BoundsS.begin(), std::find(after.BoundsS.begin(), after.BoundsS.end(), 0.01)));
    QVERIFY(after.count - after.atMost[below20] > before.count - before.atMost[below20]);
}

void TestEpollDispatcher::turnOrderIsPostedNotifiersTimers()
{
    // A posted call, a readable descriptor and a due timer, all ready when one turn starts
    // (a nested processEvents() from a call that waited for them): posted events come first,
    // then notifiers, then timers.
    struct State
    {
        QList<QByteArray> log; // on the thread
        std::atomic<bool> started { false };
        std::atomic<bool> go { false };
        std::atomic<bool> done { false };
    };
    auto state = std::make_shared<State>();
    const auto pair = socketPair();
    QVERIFY(pair[0] >= 0);
    QSocketNotifier *notifier = fromThread([&] {
        auto *n = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(n, &QSocketNotifier::activated, n, [state, fd = pair[0]] {
            readByte(fd);
            state->log.append("notifier");
        });
        return n;
    });

    QMetaObject::invokeMethod(m_context, handOver([state] {
        state->started = true;
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        timer.setSingleShot(true);
        connect(&timer, &QTimer::timeout, &timer, [state] { state->log.append("timer"); });
        timer.start(1);
        QElapsedTimer clock;
        clock.start();
        while (!state->go && clock.elapsed() < CallTimeoutMs)
            QThread::yieldCurrentThread();
        while (clock.elapsed() < 5) { } // the 1 ms timer is due
        QCoreApplication::processEvents();
        state->done = true;
    }),
        Qt::QueuedConnection);
    QTRY_VERIFY(state->started.load());
    QVERIFY(writeByte(pair[1]));
    QMetaObject::invokeMethod(
        m_context, handOver([state] { state->log.append("posted"); }), Qt::QueuedConnection);
    state->go = true;
    QTRY_VERIFY(state->done.load());

    const QList<QByteArray> log = fromThread([&] { return state->log; });
    QCOMPARE(log, (QList<QByteArray> { "posted", "notifier", "timer" }));
    onThread([&] { delete notifier; });
}

// Timers ---------------------------------------------------------------------------------------

void TestEpollDispatcher::singleShotTimersFireInDueOrderNeverEarly()
{
    struct Fired
    {
        int intervalMs;
        qint64 elapsedNs;
    };
    struct State
    {
        QElapsedTimer clock; // started before any timer
        std::vector<Fired> fired; // on the thread
        std::atomic<int> count { 0 };
    };
    auto state = std::make_shared<State>();
    onThread([&] {
        state->clock.start();
        // 10 and 11 ms: when the loop wakes for the first, the second is not due yet.
        for (int intervalMs : { 30, 10, 20, 11 }) {
            // Precise: a coarse timer may fire up to 5% early by design.
            auto *timer = new QTimer(m_context);
            timer->setTimerType(Qt::PreciseTimer);
            timer->setSingleShot(true);
            connect(timer, &QTimer::timeout, timer, [state, intervalMs] {
                state->fired.push_back({ intervalMs, state->clock.nsecsElapsed() });
                ++state->count;
            });
            timer->start(intervalMs);
        }
    });
    QTRY_COMPARE(state->count.load(), 4);
    QVERIFY(waitForAPoll());
    const std::vector<Fired> fired = fromThread([&] { return state->fired; });
    QCOMPARE(fired.size(), size_t(4)); // and none twice
    QList<int> order;
    for (const Fired &f : fired) {
        order.append(f.intervalMs);
        QVERIFY2(f.elapsedNs >= f.intervalMs * Ms,
            qPrintable(QStringLiteral("the %1 ms timer fired after %2 ns")
                           .arg(f.intervalMs)
                           .arg(f.elapsedNs)));
    }
    QCOMPARE(order, (QList<int> { 10, 11, 20, 30 }));
}

void TestEpollDispatcher::repeatingTimerRepeats()
{
    constexpr int IntervalMs = 20;
    struct State
    {
        QElapsedTimer clock;
        QList<qint64> firedNs; // on the thread
        std::atomic<int> count { 0 };
    };
    auto state = std::make_shared<State>();
    const int timersBefore = timerCount();
    QTimer *timer = fromThread([&] {
        auto *t = new QTimer(m_context);
        t->setTimerType(Qt::PreciseTimer);
        connect(t, &QTimer::timeout, t, [state] {
            state->firedNs.append(state->clock.nsecsElapsed());
            ++state->count;
        });
        state->clock.start();
        t->start(IntervalMs);
        return t;
    });
    QCOMPARE(timerCount(), timersBefore + 1);
    QTRY_VERIFY(state->count.load() >= 3);

    int timersAfter = -1;
    const QList<qint64> firedNs = fromThread([&] {
        delete timer;
        timersAfter = m_dispatcher->registeredTimerCount();
        return state->firedNs;
    });
    QCOMPARE(timersAfter, timersBefore);
    // The n-th expiry is due n intervals after the start at the earliest.
    for (int n = 1; n <= 3; ++n)
        QVERIFY2(firedNs.at(n - 1) >= n * IntervalMs * Ms,
            qPrintable(QStringLiteral("expiry %1 after %2 ns").arg(n).arg(firedNs.at(n - 1))));
}

void TestEpollDispatcher::timerRemovedByEarlierTimerInSameTurn_data()
{
    QTest::addColumn<Removal>("removal");
    QTest::addRow("stop") << Removal::Stop;
    QTest::addRow("delete") << Removal::Delete;
    QTest::addRow("restart") << Removal::Restart;
}

void TestEpollDispatcher::timerRemovedByEarlierTimerInSameTurn()
{
    // Two timers due at once; whichever fires first stops, deletes or restarts the other. A
    // restarted QTimer usually gets the id it just gave back, so a dispatcher that remembers
    // "id N is due" for the rest of the turn fires it at once.
    QFETCH(Removal, removal);
    constexpr int RestartMs = 100;
    struct State
    {
        QPointer<QTimer> timers[2];
        int fired[2] = {}; // on the thread
        int restarted = -1;
        QElapsedTimer sinceRestart;
        qint64 restartedFiredNs = -1;
        std::atomic<int> handled { 0 };
    };
    auto state = std::make_shared<State>();
    onThread([&] {
        for (int i = 0; i < 2; ++i) {
            auto *timer = new QTimer(m_context);
            timer->setTimerType(Qt::PreciseTimer);
            timer->setSingleShot(true);
            state->timers[i] = timer;
            connect(timer, &QTimer::timeout, timer, [state, i, removal] {
                ++state->fired[i];
                if (state->restarted == i) {
                    state->restartedFiredNs = state->sinceRestart.nsecsElapsed();
                } else if (QTimer *other = state->timers[1 - i]; other && !state->fired[1 - i]) {
                    switch (removal) {
                    case Removal::Stop:
                        other->stop();
                        break;
                    case Removal::Delete:
                        delete other;
                        break;
                    case Removal::Restart:
                        other->start(RestartMs);
                        state->sinceRestart.start();
                        state->restarted = 1 - i;
                        break;
                    }
                }
                ++state->handled;
            });
            timer->start(2);
        }
        // Not a wait for the test: both timers are due before the loop next looks at them.
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 5) { }
    });

    const int expectedHandled = removal == Removal::Restart ? 2 : 1;
    QTRY_VERIFY(state->handled.load() >= expectedHandled);
    QVERIFY(waitForAPoll()); // a later turn, with its timers
    struct Seen
    {
        int fired[2];
        int restarted;
        qint64 restartedFiredNs;
    };
    const Seen seen = fromThread([&] {
        return Seen { { state->fired[0], state->fired[1] }, state->restarted,
            state->restartedFiredNs };
    });
    if (removal == Removal::Restart) {
        QVERIFY(seen.restarted >= 0);
        QCOMPARE(seen.fired[0], 1);
        QCOMPARE(seen.fired[1], 1);
        QVERIFY2(seen.restartedFiredNs >= RestartMs * Ms,
            qPrintable(QStringLiteral("the restarted timer fired %1 ns after its restart")
                           .arg(seen.restartedFiredNs)));
    } else {
        QCOMPARE(seen.fired[0] + seen.fired[1], 1);
    }
}

void TestEpollDispatcher::zeroTimerDoesNotStarvePostedCallsOrNotifiers_data()
{
    QTest::addColumn<ZeroTimer>("kind");
    QTest::addRow("single-shot restarting itself") << ZeroTimer::Restarting;
    QTest::addRow("repeating") << ZeroTimer::Repeating;
}

void TestEpollDispatcher::zeroTimerDoesNotStarvePostedCallsOrNotifiers()
{
    QFETCH(ZeroTimer, kind);
    struct State
    {
        std::atomic<int> fires { 0 };
        std::atomic<bool> posted { false };
        std::atomic<bool> notified { false };
    };
    auto state = std::make_shared<State>();
    const auto pair = socketPair();
    QVERIFY(pair[0] >= 0);
    QTimer *timer = fromThread([&] {
        auto *notifier = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(notifier, &QSocketNotifier::activated, notifier, [state, notifier] {
            notifier->setEnabled(false);
            state->notified = true;
        });
        auto *t = new QTimer(m_context);
        t->setSingleShot(kind == ZeroTimer::Restarting);
        connect(t, &QTimer::timeout, t, [state, t, kind] {
            ++state->fires;
            if (kind == ZeroTimer::Restarting)
                t->start();
        });
        t->start(0);
        return t;
    });
    QTRY_VERIFY(state->fires.load() > 0);

    QMetaObject::invokeMethod(
        m_context, handOver([state] { state->posted = true; }), Qt::QueuedConnection);
    QVERIFY(writeByte(pair[1]));
    QTRY_VERIFY(state->posted.load());
    QTRY_VERIFY(state->notified.load());
    const int firesBefore = state->fires.load();
    QTRY_VERIFY(state->fires.load() > firesBefore); // and the timer still runs
    onThread([&] { delete timer; });
}

void TestEpollDispatcher::postedChainDoesNotStarveTimersOrNotifiers()
{
    // Each queued call queues the next: the queue is never empty, yet each turn also looks at
    // descriptors and timers.
    auto stop = std::make_shared<std::atomic<bool>>(false);
    auto links = std::make_shared<std::atomic<int>>(0);
    auto timerFired = std::make_shared<std::atomic<bool>>(false);
    auto notified = std::make_shared<std::atomic<bool>>(false);
    const auto pair = socketPair();
    QVERIFY(pair[0] >= 0);
    auto stopChain = qScopeGuard([stop] { *stop = true; });

    onThread([&] {
        auto *notifier = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(notifier, &QSocketNotifier::activated, notifier, [notified, notifier] {
            notifier->setEnabled(false);
            *notified = true;
        });
        postChainLink(m_context, stop, links);
        QTimer::singleShot(10, m_context, [timerFired] { *timerFired = true; });
    });
    QVERIFY(writeByte(pair[1]));
    QTRY_VERIFY(timerFired->load());
    QTRY_VERIFY(notified->load());
    const int linksSoFar = links->load();
    QTRY_VERIFY(links->load() > linksSoFar); // the chain still runs
}

void TestEpollDispatcher::timerDoesNotFireInsideItsOwnHandler()
{
    // A repeating 0 ms timer whose first handler runs a nested event loop for 30 ms: it is due
    // all that time, and must not fire again until its handler has returned.
    struct State
    {
        int depth = 0; // on the thread
        bool reentered = false;
        bool nestedLoopEnded = false;
        std::atomic<int> fires { 0 };
    };
    auto state = std::make_shared<State>();
    onThread([&] {
        auto *timer = new QTimer(m_context);
        connect(timer, &QTimer::timeout, timer, [state, timer] {
            const int fire = ++state->fires;
            state->reentered = state->reentered || state->depth > 0;
            if (fire == 1) {
                ++state->depth;
                QEventLoop nested;
                QTimer::singleShot(30, &nested, &QEventLoop::quit);
                nested.exec();
                state->nestedLoopEnded = true;
                --state->depth;
            } else if (fire == 5) {
                timer->stop();
            }
        });
        timer->start(0);
    });
    QTRY_COMPARE(state->fires.load(), 5);
    QVERIFY(fromThread([&] { return state->nestedLoopEnded; }));
    QVERIFY(!fromThread([&] { return state->reentered; }));
}

void TestEpollDispatcher::objectTimers()
{
    constexpr int IntervalMs = 500;
    struct Seen
    {
        int before = 0;
        int id = 0;
        int during = 0;
        int remaining = 0;
        QList<QAbstractEventDispatcher::TimerInfo> listed;
        int afterKill = 0;
        QList<QAbstractEventDispatcher::TimerInfo> listedAfterKill;
        int remainingAfterKill = 0;
    };
    TimerEventLog *object = nullptr;
    const Seen seen = fromThread([&] {
        QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance(m_thread.get());
        Seen s;
        s.before = m_dispatcher->registeredTimerCount();
        object = new TimerEventLog(m_context);
        s.id = object->startTimer(IntervalMs, Qt::PreciseTimer);
        s.during = m_dispatcher->registeredTimerCount();
        s.remaining = dispatcher->remainingTime(s.id);
        s.listed = dispatcher->registeredTimers(object);
        object->killTimer(s.id);
        s.afterKill = m_dispatcher->registeredTimerCount();
        s.listedAfterKill = dispatcher->registeredTimers(object);
        s.remainingAfterKill = dispatcher->remainingTime(s.id);
        return s;
    });
    QVERIFY(seen.id > 0);
    QCOMPARE(seen.during, seen.before + 1);
    QVERIFY2(seen.remaining > 0 && seen.remaining <= IntervalMs,
        qPrintable(QStringLiteral("remaining %1 ms").arg(seen.remaining)));
    QCOMPARE(seen.listed.size(), 1);
    QCOMPARE(seen.listed.at(0).timerId, seen.id);
    QCOMPARE(seen.listed.at(0).interval, IntervalMs);
    QCOMPARE(seen.listed.at(0).timerType, Qt::PreciseTimer);
    QCOMPARE(seen.afterKill, seen.before);
    QVERIFY(seen.listedAfterKill.isEmpty());
    QCOMPARE(seen.remainingAfterKill, -1);

    // Remaining time counts down: read when a 200 ms timer, started after a 1000 ms one, fires.
    auto remainingAt200 = std::make_shared<std::atomic<int>>(-2);
    onThread([&] {
        const int id = object->startTimer(1000, Qt::PreciseTimer);
        QTimer::singleShot(200, Qt::PreciseTimer, m_context, [remainingAt200, id, this] {
            *remainingAt200 = QAbstractEventDispatcher::instance(m_thread.get())->remainingTime(id);
        });
    });
    QTRY_VERIFY(remainingAt200->load() != -2);
    QVERIFY2(remainingAt200->load() > 0 && remainingAt200->load() <= 801,
        qPrintable(QStringLiteral("remaining %1 ms").arg(remainingAt200->load())));

    // Timer events reach the object with its id; deleting it unregisters all of its timers.
    const int shortId = fromThread([&] { return object->startTimer(10, Qt::PreciseTimer); });
    QTRY_VERIFY(object->count.load() >= 2);
    int afterDelete = -1;
    const QList<int> ids = fromThread([&] {
        const QList<int> all = object->ids;
        delete object; // two timers still running
        afterDelete = m_dispatcher->registeredTimerCount();
        return all;
    });
    for (int id : ids)
        QCOMPARE(id, shortId);
    QCOMPARE(afterDelete, seen.before);
}

// Socket notifiers -----------------------------------------------------------------------------

void TestEpollDispatcher::readNotifierIsLevelTriggeredAndCanBeDisabled()
{
    const auto pair = socketPair();
    QVERIFY(pair[0] >= 0);
    const int before = watched();
    auto activations = std::make_shared<std::atomic<int>>(0);
    QSocketNotifier *notifier = fromThread([&] {
        auto *n = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(n, &QSocketNotifier::activated, n, [activations] { ++*activations; });
        return n;
    });
    QTRY_COMPARE(watched(), before + 1);
    QVERIFY(waitForAPoll());
    QCOMPARE(activations->load(), 0); // nothing to read yet

    QVERIFY(writeByte(pair[1]));
    QTRY_VERIFY(activations->load() >= 1);
    // Level-triggered: the byte is still unread, so it is reported again and again.
    QTRY_VERIFY(activations->load() >= 3);

    const int atDisable = fromThread([&] {
        notifier->setEnabled(false);
        return activations->load();
    });
    QVERIFY(writeByte(pair[1]));
    QVERIFY(waitForAPoll());
    QCOMPARE(activations->load(), atDisable);

    // Enabled again with two bytes unread: reported again.
    onThread([&] { notifier->setEnabled(true); });
    QTRY_VERIFY(activations->load() > atDisable);

    onThread([&] { delete notifier; });
    QTRY_COMPARE(watched(), before);
}

void TestEpollDispatcher::writeNotifierFollowsWritability()
{
    const auto pair = socketPair();
    QVERIFY(pair[0] >= 0);
    const int before = watched();
    // Fill the socket until the kernel refuses more.
    const QByteArray chunk(4096, 'f');
    qint64 filled = 0;
    for (;;) {
        const ssize_t n = ::write(pair[0], chunk.constData(), size_t(chunk.size()));
        if (n <= 0)
            break;
        filled += n;
    }
    QCOMPARE(errno, EAGAIN);
    QVERIFY(filled > 0);

    auto activations = std::make_shared<std::atomic<int>>(0);
    QSocketNotifier *notifier = fromThread([&] {
        auto *n = new QSocketNotifier(pair[0], QSocketNotifier::Write, m_context);
        connect(n, &QSocketNotifier::activated, n, [activations] { ++*activations; });
        return n;
    });
    QVERIFY(waitForAPoll());
    QCOMPARE(activations->load(), 0); // full: not writable

    QByteArray buffer(65536, Qt::Uninitialized);
    qint64 drained = 0;
    for (;;) {
        const ssize_t n = ::read(pair[1], buffer.data(), size_t(buffer.size()));
        if (n <= 0)
            break;
        drained += n;
    }
    QCOMPARE(drained, filled);
    QTRY_VERIFY(activations->load() >= 1);

    onThread([&] { delete notifier; });
    QTRY_COMPARE(watched(), before);
}

void TestEpollDispatcher::readAndWriteNotifiersOnOneDescriptor()
{
    // One descriptor, two notifiers: each is activated for its own readiness only.
    const auto pair = socketPair();
    QVERIFY(pair[0] >= 0);
    const int before = watched();
    auto readable = std::make_shared<std::atomic<int>>(0);
    auto writable = std::make_shared<std::atomic<int>>(0);
    QSocketNotifier *reader = nullptr;
    QSocketNotifier *writer = nullptr;
    onThread([&] {
        reader = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(reader, &QSocketNotifier::activated, reader, [readable, fd = pair[0]] {
            readByte(fd);
            ++*readable;
        });
        writer = new QSocketNotifier(pair[0], QSocketNotifier::Write, m_context);
        // Off once written to, as QAbstractSocket does.
        connect(writer, &QSocketNotifier::activated, writer, [writable, w = writer] {
            w->setEnabled(false);
            ++*writable;
        });
    });
    QTRY_COMPARE(writable->load(), 1);
    QVERIFY(waitForAPoll());
    QCOMPARE(readable->load(), 0);
    QCOMPARE(writable->load(), 1);
    QCOMPARE(watched(), before + 1);

    QVERIFY(writeByte(pair[1]));
    QTRY_COMPARE(readable->load(), 1);
    QVERIFY(waitForAPoll());
    QCOMPARE(writable->load(), 1); // still off
    QCOMPARE(readable->load(), 1); // read: no longer ready

    // The reader off, the writer on: only the writer.
    onThread([&] {
        reader->setEnabled(false);
        writer->setEnabled(true);
    });
    QVERIFY(writeByte(pair[1]));
    QTRY_COMPARE(writable->load(), 2);
    QVERIFY(waitForAPoll());
    QCOMPARE(readable->load(), 1);

    onThread([&] {
        delete reader;
        delete writer;
    });
    QTRY_COMPARE(watched(), before);
}

void TestEpollDispatcher::notifierRemovedByEarlierHandlerInSameTurn_data()
{
    QTest::addColumn<NotifierRemoval>("removal");
    QTest::addRow("disable") << NotifierRemoval::Disable;
    QTest::addRow("delete") << NotifierRemoval::Delete;
}

void TestEpollDispatcher::notifierRemovedByEarlierHandlerInSameTurn()
{
    // Two descriptors ready in one turn; whichever handler runs first disables or deletes the
    // other's notifier, which must then not be activated (nor used: deleted, it is gone).
    QFETCH(NotifierRemoval, removal);
    const auto first = socketPair();
    const auto second = socketPair();
    QVERIFY(first[0] >= 0 && second[0] >= 0);
    const int before = watched();
    struct State
    {
        QPointer<QSocketNotifier> notifiers[2];
        int activations[2] = {}; // on the thread
        std::atomic<int> handled { 0 };
    };
    auto state = std::make_shared<State>();
    onThread([&] {
        const int fds[2] = { first[0], second[0] };
        for (int i = 0; i < 2; ++i) {
            auto *notifier = new QSocketNotifier(fds[i], QSocketNotifier::Read, m_context);
            state->notifiers[i] = notifier;
            connect(
                notifier, &QSocketNotifier::activated, notifier, [state, i, removal, fd = fds[i]] {
                    ++state->activations[i];
                    readByte(fd);
                    if (QSocketNotifier *other = state->notifiers[1 - i]) {
                        if (removal == NotifierRemoval::Delete)
                            delete other;
                        else
                            other->setEnabled(false);
                    }
                    ++state->handled;
                });
        }
        // Both become readable before the loop next waits.
        writeByte(first[1]);
        writeByte(second[1]);
    });
    QTRY_VERIFY(state->handled.load() >= 1);
    QVERIFY(waitForAPoll());
    const std::array<int, 2> activations = fromThread([&] {
        return std::array<int, 2> { state->activations[0], state->activations[1] };
    });
    QCOMPARE(activations[0] + activations[1], 1);

    onThread([&] {
        for (auto &notifier : state->notifiers)
            delete notifier.data();
    });
    QTRY_COMPARE(watched(), before);
}

void TestEpollDispatcher::hangUpActivatesReadNotifier_data()
{
    // A socket whose peer closes is readable (end of file) and hung up; a pipe whose writer
    // closes is only hung up, which must still wake the reader.
    QTest::addColumn<bool>("pipe");
    QTest::addRow("socket pair") << false;
    QTest::addRow("pipe") << true;
}

void TestEpollDispatcher::hangUpActivatesReadNotifier()
{
    QFETCH(bool, pipe);
    const auto pair = pipe ? pipePair() : socketPair();
    QVERIFY(pair[0] >= 0);
    const int before = watched();
    auto activations = std::make_shared<std::atomic<int>>(0);
    QSocketNotifier *notifier = fromThread([&] {
        auto *n = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(n, &QSocketNotifier::activated, n, [activations, n] {
            n->setEnabled(false); // end of file stays readable
            ++*activations;
        });
        return n;
    });
    QVERIFY(waitForAPoll());
    QCOMPARE(activations->load(), 0);

    closeEarly(pair[1]);
    QTRY_COMPARE(activations->load(), 1);
    char byte;
    QCOMPARE(::read(pair[0], &byte, 1), ssize_t(0)); // it was the hang-up

    onThread([&] { delete notifier; });
    QTRY_COMPARE(watched(), before);
}

void TestEpollDispatcher::excludeSocketNotifiers()
{
    // A nested loop run with ExcludeSocketNotifiers leaves a readable descriptor alone, still
    // runs timers, sleeps when there is nothing else, and wakes for a posted call.
    const auto pair = socketPair();
    QVERIFY(pair[0] >= 0);
    struct State
    {
        std::atomic<int> activations { 0 };
        std::atomic<bool> inNestedLoop { false };
        std::atomic<bool> timerFired { false };
        std::atomic<bool> nestedLoopEnded { false };
        int activationsInNestedLoop = -1; // on the thread
        QEventLoop *nested = nullptr;
    };
    auto state = std::make_shared<State>();
    QSocketNotifier *notifier = fromThread([&] {
        auto *n = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        connect(n, &QSocketNotifier::activated, n, [state, fd = pair[0]] {
            readByte(fd);
            ++state->activations;
        });
        return n;
    });
    QMetaObject::invokeMethod(m_context, handOver([state, fd = pair[1]] {
        writeByte(fd);
        QEventLoop nested;
        state->nested = &nested;
        QTimer::singleShot(30, &nested, [state] { state->timerFired = true; });
        state->inNestedLoop = true;
        nested.exec(QEventLoop::ExcludeSocketNotifiers);
        state->nested = nullptr;
        state->activationsInNestedLoop = state->activations.load();
        state->nestedLoopEnded = true;
    }),
        Qt::QueuedConnection);
    QTRY_VERIFY(state->inNestedLoop.load());
    QTRY_VERIFY(state->timerFired.load());
    QTRY_VERIFY(threadSleeps()); // no timer left: only a wake-up ends this wait
    QMetaObject::invokeMethod(m_context, handOver([state] {
        if (state->nested)
            state->nested->quit();
    }),
        Qt::QueuedConnection);
    QTRY_VERIFY(state->nestedLoopEnded.load());
    QCOMPARE(fromThread([&] { return state->activationsInNestedLoop; }), 0);
    // Back in the thread's own loop, the byte is read.
    QTRY_COMPARE(state->activations.load(), 1);
    onThread([&] { delete notifier; });
}

void TestEpollDispatcher::manyDescriptors()
{
    constexpr int Pairs = 1000;
    constexpr int Written = 537;
    rlimit limit {};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    const rlimit saved = limit;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? rlim_t(4096) : limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < 2100)
        QSKIP("fewer than 2100 descriptors allowed");
    const auto restore = qScopeGuard([saved] { ::setrlimit(RLIMIT_NOFILE, &saved); });

    std::vector<std::array<int, 2>> pairs;
    for (int i = 0; i < Pairs; ++i) {
        pairs.push_back(socketPair());
        QVERIFY2(pairs.back()[0] >= 0, qPrintable(QStringLiteral("socket pair %1").arg(i)));
    }
    const int before = watched();
    struct State
    {
        QList<int> activated; // on the thread
        std::atomic<int> count { 0 };
    };
    auto state = std::make_shared<State>();
    std::vector<QSocketNotifier *> notifiers;
    onThread([&] {
        for (int i = 0; i < Pairs; ++i) {
            auto *n = new QSocketNotifier(pairs[size_t(i)][0], QSocketNotifier::Read, m_context);
            connect(n, &QSocketNotifier::activated, n, [state, i, fd = pairs[size_t(i)][0]] {
                readByte(fd);
                state->activated.append(i);
                ++state->count;
            });
            notifiers.push_back(n);
        }
    });
    QTRY_COMPARE(watched(), before + Pairs);

    QVERIFY(writeByte(pairs[Written][1]));
    QTRY_VERIFY(state->count.load() >= 1);
    QVERIFY(waitForAPoll());
    QCOMPARE(fromThread([&] { return state->activated; }), QList<int> { Written });

    onThread([&] { qDeleteAll(notifiers); });
    QTRY_COMPARE(watched(), before);
}

// Real sockets, and the end --------------------------------------------------------------------

void TestEpollDispatcher::tcpPingPong()
{
    const quint16 port = listenOnThread(false);
    QVERIFY(port != 0);
    QTcpSocket client;
    QByteArray received;
    connect(&client, &QTcpSocket::readyRead, &client, [&] { received += client.readAll(); });
    QSignalSpy connected(&client, &QTcpSocket::connected);
    client.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(connected.wait(5000));
    client.write("ping");
    QTRY_COMPARE(received, QByteArray("pong"));
    client.write("pingping");
    QTRY_COMPARE(received, QByteArray("pongpongpong"));
}

void TestEpollDispatcher::tcpBulkEcho()
{
    // 4 MiB through the server's thread and back: its sockets fill their buffers and wait for
    // write notifiers many times over.
    const quint16 port = listenOnThread(true);
    QVERIFY(port != 0);
    QByteArray payload(4 * 1024 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < payload.size(); ++i)
        payload[i] = char((i * 131) >> 7);
    QTcpSocket client;
    QByteArray received;
    connect(&client, &QTcpSocket::readyRead, &client, [&] { received += client.readAll(); });
    QSignalSpy connected(&client, &QTcpSocket::connected);
    client.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(connected.wait(5000));
    client.write(payload);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), payload.size(), 30000);
    QVERIFY(received == payload);
}

void TestEpollDispatcher::quitEndsABlockedLoop_data()
{
    QTest::addColumn<Pending>("pending");
    QTest::addRow("no timer") << Pending::NoTimer;
    QTest::addRow("a timer a minute away") << Pending::FarTimer;
}

void TestEpollDispatcher::quitEndsABlockedLoop()
{
    QFETCH(Pending, pending);
    if (pending == Pending::FarTimer) {
        onThread([&] {
            auto *timer = new QTimer(m_context);
            timer->start(60000);
        });
        QCOMPARE(timerCount(), 1);
    } else {
        QCOMPARE(timerCount(), 0);
    }
    QTRY_VERIFY(threadSleeps());
    m_thread->quit();
    QVERIFY(m_thread->wait(5000));
}

QTEST_GUILESS_MAIN(TestEpollDispatcher)
#include "tst_epolldispatcher.moc"
