// TimerQueue: precise per-thread timers on the event loop. No sleeps: the tests wait with
// QTRY_* (which spins the event loop) and compare against TimerQueue::nowNs().
#include "timerqueue.h"

#include <QThread>
#include <QtTest>

#include <atomic>
#include <memory>
#include <utility>

namespace {

constexpr qint64 Ms = 1000 * 1000;
constexpr int WaitMs = 10000; // generous: the machine may be loaded

// What ran, in order, with when it was due and when it ran.
struct Run
{
    int tag;
    qint64 dueNs;
    qint64 ranNs;
};

} // namespace

class TestTimerQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void sameQueueForSameThread();
    void runsInDueOrder_data();
    void runsInDueOrder();
    void cancelledNeverRuns_data();
    void cancelledNeverRuns();
    void cancelIsHarmlessForUnknownAndFinishedIds();
    void pastDueRunsOnNextIteration_data();
    void pastDueRunsOnNextIteration();
    void callbacksScheduleAndCancel();
    void callbackCancelsOneDueInTheSameBatch();
    void callbackReschedulesItself();
    void manyTimersAtTheSameTime();
    void pendingCount();
    void neverBeforeDue();
    void eachThreadHasItsOwnQueue();

private:
    // Schedules on the main thread's queue and remembers the id, so that cleanup() can cancel
    // whatever a failed test left behind (its callbacks refer to the test's locals).
    TimerQueue::Id schedule(qint64 dueNs, std::function<void()> fn)
    {
        const TimerQueue::Id id = TimerQueue::forCurrentThread()->schedule(dueNs, std::move(fn));
        m_ids.append(id);
        return id;
    }
    // A callback that records its run.
    TimerQueue::Id scheduleRecorded(qint64 dueNs, int tag)
    {
        return schedule(dueNs, [this, dueNs, tag] {
            m_runs.append({ tag, dueNs, TimerQueue::nowNs() });
        });
    }
    QVector<int> ranTags() const
    {
        QVector<int> tags;
        for (const Run &run : m_runs)
            tags.append(run.tag);
        return tags;
    }

    QVector<TimerQueue::Id> m_ids;
    QVector<Run> m_runs;
};

void TestTimerQueue::init()
{
    m_ids.clear();
    m_runs.clear();
    QCOMPARE(TimerQueue::forCurrentThread()->pendingCount(), 0);
}

void TestTimerQueue::cleanup()
{
    TimerQueue *queue = TimerQueue::forCurrentThread();
    for (TimerQueue::Id id : std::as_const(m_ids))
        queue->cancel(id);
    m_ids.clear();
    QCOMPARE(queue->pendingCount(), 0);
}

void TestTimerQueue::sameQueueForSameThread()
{
    TimerQueue *queue = TimerQueue::forCurrentThread();
    QVERIFY(queue);
    QCOMPARE(TimerQueue::forCurrentThread(), queue);
    QCOMPARE(queue->thread(), QThread::currentThread());

    // nowNs() is a monotonic clock in nanoseconds.
    const qint64 a = TimerQueue::nowNs();
    const qint64 b = TimerQueue::nowNs();
    QVERIFY(a > 0);
    QVERIFY(b >= a);
}

void TestTimerQueue::runsInDueOrder_data()
{
    // Offsets in ms from now, in the order they are scheduled; they run sorted.
    QTest::addColumn<QVector<int>>("offsetsMs");
    QTest::addRow("reversed") << QVector<int> { 50, 40, 30, 20, 10 };
    QTest::addRow("shuffled") << QVector<int> { 30, 10, 50, 20, 40 };
    QTest::addRow("already sorted") << QVector<int> { 10, 20, 30, 40, 50 };
    QTest::addRow("with past and present") << QVector<int> { 25, -1000, 5, 0, 15, -1 };
    QTest::addRow("sub-millisecond apart") << QVector<int> { 3, 1, 2 };
}

void TestTimerQueue::runsInDueOrder()
{
    QFETCH(QVector<int>, offsetsMs);

    const qint64 now = TimerQueue::nowNs();
    QVector<QPair<qint64, int>> expected; // (due, tag)
    for (int i = 0; i < offsetsMs.size(); ++i) {
        const qint64 due = now + offsetsMs.at(i) * Ms;
        scheduleRecorded(due, i);
        expected.append({ due, i });
    }
    // Nothing runs inside schedule(), not even what is already due.
    QVERIFY(m_runs.isEmpty());
    QCOMPARE(TimerQueue::forCurrentThread()->pendingCount(), offsetsMs.size());

    QTRY_COMPARE_WITH_TIMEOUT(m_runs.size(), offsetsMs.size(), WaitMs);
    std::sort(expected.begin(), expected.end());
    QVector<int> expectedTags;
    for (const auto &entry : expected)
        expectedTags.append(entry.second);
    QCOMPARE(ranTags(), expectedTags);
    QCOMPARE(TimerQueue::forCurrentThread()->pendingCount(), 0);
}

void TestTimerQueue::cancelledNeverRuns_data()
{
    // Five callbacks due 10, 20, 30, 40, 50 ms from now; a witness at 80 ms proves that the
    // cancelled ones had their chance.
    QTest::addColumn<QVector<int>>("cancelled");
    QTest::addRow("the earliest") << QVector<int> { 0 };
    QTest::addRow("one in the middle") << QVector<int> { 2 };
    QTest::addRow("the latest") << QVector<int> { 4 };
    QTest::addRow("every other") << QVector<int> { 0, 2, 4 };
    QTest::addRow("all of them") << QVector<int> { 0, 1, 2, 3, 4 };
}

void TestTimerQueue::cancelledNeverRuns()
{
    QFETCH(QVector<int>, cancelled);

    TimerQueue *queue = TimerQueue::forCurrentThread();
    const qint64 now = TimerQueue::nowNs();
    QVector<TimerQueue::Id> ids;
    for (int i = 0; i < 5; ++i)
        ids.append(scheduleRecorded(now + (i + 1) * 10 * Ms, i));
    constexpr int Witness = 99;
    scheduleRecorded(now + 80 * Ms, Witness);

    for (int index : cancelled)
        queue->cancel(ids.at(index));
    QCOMPARE(queue->pendingCount(), 6 - cancelled.size());

    QTRY_VERIFY_WITH_TIMEOUT(ranTags().contains(Witness), WaitMs);
    QVector<int> expected;
    for (int i = 0; i < 5; ++i) {
        if (!cancelled.contains(i))
            expected.append(i);
    }
    expected.append(Witness);
    QCOMPARE(ranTags(), expected);
    QCOMPARE(queue->pendingCount(), 0);
}

void TestTimerQueue::cancelIsHarmlessForUnknownAndFinishedIds()
{
    TimerQueue *queue = TimerQueue::forCurrentThread();
    const qint64 now = TimerQueue::nowNs();
    const TimerQueue::Id first = scheduleRecorded(now + 5 * Ms, 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_runs.size(), 1, WaitMs);

    // Pending: one due soon. Cancelling what ran, what was cancelled and what never existed must
    // leave it alone.
    const TimerQueue::Id second = scheduleRecorded(TimerQueue::nowNs() + 20 * Ms, 2);
    const TimerQueue::Id third = scheduleRecorded(TimerQueue::nowNs() + 10 * Ms, 3);
    queue->cancel(third);
    queue->cancel(first);
    queue->cancel(third);
    queue->cancel(second + 1000);
    queue->cancel(0);
    QCOMPARE(queue->pendingCount(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_runs.size(), 2, WaitMs);
    QCOMPARE(ranTags(), (QVector<int> { 1, 2 }));
    QCOMPARE(queue->pendingCount(), 0);
}

void TestTimerQueue::pastDueRunsOnNextIteration_data()
{
    QTest::addColumn<qint64>("dueOffsetNs"); // from now
    QTest::addColumn<bool>("laterTimerPending");
    QTest::addRow("a second ago") << -1000 * Ms << false;
    QTest::addRow("a nanosecond ago") << qint64(-1) << false;
    QTest::addRow("a second ago, while a later timer is armed") << -1000 * Ms << true;
    QTest::addRow("clock zero") << std::numeric_limits<qint64>::min() << false;
}

void TestTimerQueue::pastDueRunsOnNextIteration()
{
    QFETCH(qint64, dueOffsetNs);
    QFETCH(bool, laterTimerPending);

    TimerQueue *queue = TimerQueue::forCurrentThread();
    if (laterTimerPending)
        schedule(TimerQueue::nowNs() + 3600 * 1000 * Ms, [] { QFAIL("an hour passed"); });
    const qint64 now = TimerQueue::nowNs();
    // The minimum stands for "due at clock zero": far in the past, without overflowing.
    const qint64 due = dueOffsetNs == std::numeric_limits<qint64>::min() ? 0 : now + dueOffsetNs;
    scheduleRecorded(due, 1);
    QVERIFY(m_runs.isEmpty()); // not synchronously

    // The timer fd is already expired: one pass of the event loop runs the callback.
    QCoreApplication::processEvents();
    QCOMPARE(ranTags(), QVector<int> { 1 });
    QCOMPARE(queue->pendingCount(), laterTimerPending ? 1 : 0);
}

void TestTimerQueue::callbacksScheduleAndCancel()
{
    // A (10 ms) schedules C (10 ms after it runs) and D (already due), and cancels B (40 ms).
    // W (80 ms, or later if C ends up later) is the witness that B's time passed.
    TimerQueue *queue = TimerQueue::forCurrentThread();
    const qint64 now = TimerQueue::nowNs();
    enum
    {
        A = 1,
        B,
        C,
        D,
        W
    };
    const TimerQueue::Id b = scheduleRecorded(now + 40 * Ms, B);
    schedule(now + 10 * Ms, [this, now, b, queue] {
        m_runs.append({ A, now + 10 * Ms, TimerQueue::nowNs() });
        const qint64 at = TimerQueue::nowNs();
        scheduleRecorded(at + 10 * Ms, C);
        scheduleRecorded(at - 1, D);
        queue->cancel(b);
        // Within a callback the queue is consistent: C and D are pending, B is not.
        QCOMPARE(queue->pendingCount(), 3); // C, D and W
    });
    scheduleRecorded(now + 80 * Ms, W);

    QTRY_COMPARE_WITH_TIMEOUT(m_runs.size(), 4, WaitMs);
    QVERIFY(!QTest::currentTestFailed());
    QVERIFY(!ranTags().contains(B));
    // A first, D right after it (it was due when scheduled), then C and W in due order.
    QCOMPARE(m_runs.at(0).tag, int(A));
    QCOMPARE(m_runs.at(1).tag, int(D));
    QVector<int> rest { m_runs.at(2).tag, m_runs.at(3).tag };
    std::sort(rest.begin(), rest.end());
    QCOMPARE(rest, (QVector<int> { C, W }));
    QVERIFY(m_runs.at(2).dueNs <= m_runs.at(3).dueNs);
    QCOMPARE(queue->pendingCount(), 0);
}

void TestTimerQueue::callbackCancelsOneDueInTheSameBatch()
{
    // X and Y are due at the same instant, so they come up in one batch: whichever runs first
    // cancels the other, which must then not run.
    TimerQueue *queue = TimerQueue::forCurrentThread();
    const qint64 due = TimerQueue::nowNs() + 10 * Ms;
    int runs = 0;
    TimerQueue::Id x = 0;
    TimerQueue::Id y = 0;
    x = schedule(due, [&] {
        ++runs;
        queue->cancel(y);
    });
    y = schedule(due, [&] {
        ++runs;
        queue->cancel(x);
    });
    scheduleRecorded(due + 20 * Ms, 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_runs.size(), 1, WaitMs);
    QCOMPARE(runs, 1);
    QCOMPARE(queue->pendingCount(), 0);
}

void TestTimerQueue::callbackReschedulesItself()
{
    // A periodic timer made of one-shots, each scheduling the next from inside.
    constexpr int Ticks = 10;
    int count = 0;
    std::function<void()> tick = [&] {
        if (++count < Ticks)
            schedule(TimerQueue::nowNs() + Ms, tick);
    };
    schedule(TimerQueue::nowNs() + Ms, tick);
    QTRY_COMPARE_WITH_TIMEOUT(count, Ticks, WaitMs);
    QCOMPARE(TimerQueue::forCurrentThread()->pendingCount(), 0);
}

void TestTimerQueue::manyTimersAtTheSameTime()
{
    constexpr int Count = 1000;
    TimerQueue *queue = TimerQueue::forCurrentThread();
    const qint64 due = TimerQueue::nowNs() + 20 * Ms;
    QVector<int> runsPerTimer(Count, 0);
    int total = 0;
    for (int i = 0; i < Count; ++i) {
        schedule(due, [&, i] {
            ++runsPerTimer[i];
            ++total;
        });
    }
    QCOMPARE(queue->pendingCount(), Count);
    QTRY_COMPARE_WITH_TIMEOUT(total, Count, WaitMs);
    QCOMPARE(runsPerTimer, QVector<int>(Count, 1)); // each exactly once
    QCOMPARE(queue->pendingCount(), 0);
}

void TestTimerQueue::pendingCount()
{
    TimerQueue *queue = TimerQueue::forCurrentThread();
    QCOMPARE(queue->pendingCount(), 0);
    const qint64 now = TimerQueue::nowNs();
    scheduleRecorded(now + 10 * Ms, 1);
    const TimerQueue::Id second = scheduleRecorded(now + 20 * Ms, 2);
    scheduleRecorded(now + 30 * Ms, 3);
    QCOMPARE(queue->pendingCount(), 3);
    queue->cancel(second);
    QCOMPARE(queue->pendingCount(), 2);
    queue->cancel(second);
    QCOMPARE(queue->pendingCount(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(queue->pendingCount(), 0, WaitMs);
    QCOMPARE(ranTags(), (QVector<int> { 1, 3 }));
}

void TestTimerQueue::neverBeforeDue()
{
    // Due times a fraction of a millisecond apart, up to 30 ms ahead.
    constexpr int Count = 60;
    const qint64 now = TimerQueue::nowNs();
    for (int i = 0; i < Count; ++i)
        scheduleRecorded(now + i * 500 * 1000 + 137, i);
    QTRY_COMPARE_WITH_TIMEOUT(m_runs.size(), Count, WaitMs);
    for (const Run &run : std::as_const(m_runs)) {
        QVERIFY2(run.ranNs >= run.dueNs,
            qPrintable(
                QStringLiteral("#%1 ran %2 ns early").arg(run.tag).arg(run.dueNs - run.ranNs)));
        // Coarse: a loaded machine may delay it, but not by seconds.
        QVERIFY2(run.ranNs - run.dueNs < 5000 * Ms,
            qPrintable(
                QStringLiteral("#%1 ran %2 ns late").arg(run.tag).arg(run.ranNs - run.dueNs)));
    }
}

void TestTimerQueue::eachThreadHasItsOwnQueue()
{
    TimerQueue *mainQueue = TimerQueue::forCurrentThread();

    struct Worker
    {
        QThread thread;
        std::atomic<TimerQueue *> queue { nullptr };
        std::atomic<TimerQueue *> queueAgain { nullptr };
        std::atomic<QThread *> queueThread { nullptr };
        std::atomic<QThread *> ranOn { nullptr };
        std::atomic<bool> ranInTime { false };
        std::atomic<bool> queueDeleted { false };
    };
    std::unique_ptr<Worker> workers[2] = { std::make_unique<Worker>(), std::make_unique<Worker>() };
    // Even when a check fails: a QThread must not be destroyed while it runs.
    const auto stopThreads = qScopeGuard([&] {
        for (auto &worker : workers) {
            worker->thread.quit();
            worker->thread.wait();
        }
    });

    for (auto &worker : workers) {
        Worker *w = worker.get();
        auto *context = new QObject;
        context->moveToThread(&w->thread);
        connect(&w->thread, &QThread::finished, context, &QObject::deleteLater);
        w->thread.start();
        QMetaObject::invokeMethod(context, [w] {
            TimerQueue *queue = TimerQueue::forCurrentThread();
            w->queue = queue;
            w->queueAgain = TimerQueue::forCurrentThread();
            w->queueThread = queue->thread();
            QObject::connect(queue, &QObject::destroyed, [w] { w->queueDeleted = true; });
            const qint64 due = TimerQueue::nowNs() + 10 * Ms;
            queue->schedule(due, [w, due] {
                w->ranInTime = TimerQueue::nowNs() >= due;
                w->ranOn = QThread::currentThread();
            });
        });
    }

    for (auto &worker : workers) {
        QTRY_VERIFY_WITH_TIMEOUT(worker->ranOn.load() != nullptr, WaitMs);
        QCOMPARE(worker->ranOn.load(), &worker->thread);
        QVERIFY(worker->ranInTime);
        QCOMPARE(worker->queueAgain.load(), worker->queue.load());
        QCOMPARE(worker->queueThread.load(), &worker->thread);
        QVERIFY(worker->queue.load() != mainQueue);
    }
    QVERIFY(workers[0]->queue.load() != workers[1]->queue.load());
    // Nothing went through the main thread's queue.
    QCOMPARE(mainQueue->pendingCount(), 0);
    QCOMPARE(TimerQueue::forCurrentThread(), mainQueue);

    // The queue goes with its thread.
    for (auto &worker : workers) {
        worker->thread.quit();
        QVERIFY(worker->thread.wait(WaitMs));
        QVERIFY(worker->queueDeleted);
    }
}

QTEST_GUILESS_MAIN(TestTimerQueue)
#include "tst_timerqueue.moc"
