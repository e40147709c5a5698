// The request worker queue on a real pool: every view submitted is answered once, on the queue's
// thread; a withdrawn view never runs; closing answers the waiting and lets the running finish;
// and a queue destroyed while views still run drops their answers there and then, on its own
// thread, so that a view that ends later answers nothing and touches nothing that is gone
// (issue 12: the answers went back through a QFuture continuation, which crashed under load and
// outlived the queue on a pool thread).
#include "workerqueue.h"

#include <QMutex>
#include <QSemaphore>
#include <QThread>
#include <QThreadPool>
#include <QtTest>

#include <atomic>
#include <memory>

namespace {

// The threads that destroyed the things an answer holds: a test's stand-in for the server's
// replies, which must only ever be destroyed on the server's thread.
class Destructions
{
public:
    void add(QThread *thread)
    {
        QMutexLocker locker(&m_mutex);
        m_threads.append(thread);
    }
    QVector<QThread *> threads() const
    {
        QMutexLocker locker(&m_mutex);
        return QVector<QThread *>(m_threads.cbegin(), m_threads.cend());
    }

private:
    mutable QMutex m_mutex;
    QVector<QThread *> m_threads;
};

struct Probe
{
    explicit Probe(Destructions &destructions)
        : m_destructions(destructions)
    { }
    ~Probe() { m_destructions.add(QThread::currentThread()); }
    Destructions &m_destructions;
};

// Views that wait until the test lets them go.
class Gate
{
public:
    WorkerQueue::View view(int body)
    {
        return [this, body] {
            m_entered.release();
            m_open.acquire();
            m_ran.fetch_add(1);
            return HttpReply::text(200, QByteArray::number(body));
        };
    }
    // Waits until `count` views are inside; false after ten seconds.
    bool entered(int count) { return m_entered.tryAcquire(count, 10000); }
    void open(int count) { m_open.release(count); }
    int ran() const { return m_ran.load(); }

private:
    QSemaphore m_entered;
    QSemaphore m_open;
    std::atomic<int> m_ran { 0 };
};

// Lets the posted answers of views that have returned arrive: the pool's threads are idle, so
// whatever they posted is queued here already.
void deliverPosted(QThreadPool &pool)
{
    QVERIFY(pool.waitForDone(10000));
    QCoreApplication::sendPostedEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

} // namespace

class TestWorkerQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void manyViewsAreAnsweredOnceOnTheQueuesThread();
    void aWithdrawnViewNeverRuns();
    void closingAnswersTheWaitingAndLetsTheRunningFinish();
    void aDestroyedQueueDropsItsAnswersOnItsOwnThread();
    void aDestroyedQueueAnswersNothingLater();
};

void TestWorkerQueue::manyViewsAreAnsweredOnceOnTheQueuesThread()
{
    QThreadPool pool;
    pool.setMaxThreadCount(4);
    constexpr int Views = 2000;
    WorkerQueue queue(pool, Views);
    QVector<int> answers(Views, 0);
    int answered = 0, elsewhere = 0;
    std::atomic<int> onTheQueuesThread { 0 };
    QThread *const home = QThread::currentThread();
    for (int i = 0; i < Views; ++i) {
        const auto view = [i, home, &onTheQueuesThread] {
            if (QThread::currentThread() == home)
                onTheQueuesThread.fetch_add(1);
            return HttpReply::text(200, QByteArray::number(i));
        };
        const auto answer = [&, home](const HttpReply &reply) {
            if (QThread::currentThread() != home)
                ++elsewhere;
            ++answers[reply.body().toInt()];
            ++answered;
        };
        QVERIFY(queue.submit(view, answer) != 0);
    }
    QVERIFY(queue.running() <= pool.maxThreadCount());
    QTRY_COMPARE_WITH_TIMEOUT(answered, Views, 30000);
    QCOMPARE(elsewhere, 0);
    QCOMPARE(onTheQueuesThread.load(), 0); // the views ran on the pool
    QCOMPARE(answers, QVector<int>(Views, 1));
    QCOMPARE(queue.running(), 0);
    QCOMPARE(queue.waiting(), 0);
}

void TestWorkerQueue::aWithdrawnViewNeverRuns()
{
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    WorkerQueue queue(pool, 10);
    Gate gate;
    QVector<QByteArray> bodies;
    const auto answer = [&bodies](const HttpReply &reply) { bodies.append(reply.body()); };
    const WorkerQueue::Ticket running = queue.submit(gate.view(1), answer);
    QVERIFY(gate.entered(1));
    const WorkerQueue::Ticket waiting = queue.submit(gate.view(2), answer);
    QVERIFY(running && waiting);
    QCOMPARE(queue.waiting(), 1);

    QVERIFY(queue.withdraw(waiting));
    QCOMPARE(queue.waiting(), 0);
    QVERIFY(!queue.withdraw(waiting));
    QVERIFY(!queue.withdraw(running)); // running: only its strategy can cut it short
    gate.open(1);
    QTRY_COMPARE(bodies, QVector<QByteArray> { "1" });
    deliverPosted(pool);
    QCOMPARE(gate.ran(), 1);
    QCOMPARE(bodies, QVector<QByteArray> { "1" });
    QCOMPARE(queue.running(), 0);
}

void TestWorkerQueue::closingAnswersTheWaitingAndLetsTheRunningFinish()
{
    QThreadPool pool;
    pool.setMaxThreadCount(2);
    WorkerQueue queue(pool, 10);
    Gate gate;
    QVector<int> statuses;
    const auto answer = [&statuses](const HttpReply &reply) { statuses.append(reply.status()); };
    for (int i = 0; i < 5; ++i)
        QVERIFY(queue.submit(gate.view(i), answer));
    QVERIFY(gate.entered(2));
    QCOMPARE(queue.running(), 2);
    QCOMPARE(queue.waiting(), 3);

    queue.close(HttpReply::error(503, QStringLiteral("stopping")));
    QCOMPARE(statuses, QVector<int>(3, 503)); // the waiting, at once
    QVERIFY(queue.isClosed());
    QCOMPARE(queue.submit(gate.view(9), answer), WorkerQueue::Ticket(0));
    QCOMPARE(queue.running(), 2);

    gate.open(2);
    QTRY_COMPARE(statuses.size(), 5);
    QCOMPARE(statuses.mid(3), QVector<int>(2, 200));
    QCOMPARE(queue.running(), 0);
    QCOMPARE(gate.ran(), 2); // the refused never ran
}

void TestWorkerQueue::aDestroyedQueueDropsItsAnswersOnItsOwnThread()
{
    QThreadPool pool;
    pool.setMaxThreadCount(2);
    Gate gate;
    Destructions destructions;
    int answered = 0;
    auto queue = std::make_unique<WorkerQueue>(pool, 10);
    for (int i = 0; i < 4; ++i) {
        const auto probe = std::make_shared<Probe>(destructions);
        QVERIFY(queue->submit(gate.view(i), [probe, &answered](const HttpReply &) { ++answered; }));
    }
    QVERIFY(gate.entered(2));

    // Two views run, two wait: every answer goes with the queue, here and now, although the
    // running views have not returned.
    queue.reset();
    QCOMPARE(destructions.threads(), QVector<QThread *>(4, QThread::currentThread()));

    gate.open(2);
    deliverPosted(pool);
    QCOMPARE(gate.ran(), 2);
    QCOMPARE(answered, 0);
}

void TestWorkerQueue::aDestroyedQueueAnswersNothingLater()
{
    // The same many times over, with views that return while the queue goes: whichever comes
    // first, no answer runs after the queue is gone and nothing crashes.
    QThreadPool pool;
    pool.setMaxThreadCount(4);
    bool answeredAfterwards = false;
    for (int round = 0; round < 200; ++round) {
        auto queue = std::make_unique<WorkerQueue>(pool, 100);
        bool gone = false;
        for (int i = 0; i < 8; ++i) {
            QVERIFY(queue->submit([i] { return HttpReply::text(200, QByteArray::number(i)); },
                [&gone, &answeredAfterwards](
                    const HttpReply &) { answeredAfterwards = answeredAfterwards || gone; }));
        }
        if (round % 2)
            QCoreApplication::processEvents(); // some answers in, some not
        queue.reset();
        gone = true;
        deliverPosted(pool);
        QVERIFY(!answeredAfterwards);
    }
}

QTEST_GUILESS_MAIN(TestWorkerQueue)
#include "tst_workerqueue.moc"
