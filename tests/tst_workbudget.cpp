// The work budget (item 6 and 11 of issue 12): WorkBudget alone, then over HTTP. A fan-out whose
// tasks, or whose blocking pool time, would not fit in what the server lets be in flight is
// refused before it starts, at once, with 503, Retry-After and the usual error; what is admitted
// still answers by its deadline; the budget is held until the tasks really end, and comes back.
#include "serverhost.h"
#include "testserver.h"
#include "traceexport.h"
#include "tracerecorder.h"
#include "workbudget.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <vector>

class TestWorkBudget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    // WorkBudget alone.
    void acquireAndRelease();
    void poolTimeIsItsOwnLimit();
    void leaseMovesAndReleasesOnce();
    void noLimitAdmitsAll();
    void concurrentUseNeverPassesTheLimit();

    // Over HTTP.
    void overBudgetIsRefusedAtOnce_data();
    void overBudgetIsRefusedAtOnce();
    void admittedRequestAnswersInTime();
    void poolBudgetRefusesStarvingRequest();
    void poolHeldPastDeadlineIsVisible();

private:
    struct Answer {
        int status = 0;
        QByteArray body;
        QByteArray retryAfter;
        qint64 elapsedMs = 0;
    };
    QNetworkReply *send(const QString &path);
    Answer wait(QNetworkReply *reply, const QElapsedTimer &clock);
    Answer get(const QString &path);
    double metric(const QString &sample);

    static constexpr int MaxTasks = 20;
    static constexpr int MaxPoolSeconds = 2;
    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<ServerHost> m_server;
    QNetworkAccessManager m_network;
};

void TestWorkBudget::initTestCase()
{
    m_recorder = std::make_unique<TraceRecorder>();
    ServerOptions options;
    options.maxTasksInFlight = MaxTasks;
    options.maxPoolSeconds = MaxPoolSeconds;
    m_server = startTestServer(*m_recorder, options);
    QVERIFY(m_server);
}

void TestWorkBudget::cleanupTestCase()
{
    m_server.reset();
}

QNetworkReply *TestWorkBudget::send(const QString &path)
{
    return m_network.get(QNetworkRequest(m_server->url().resolved(QUrl(path))));
}

TestWorkBudget::Answer TestWorkBudget::wait(QNetworkReply *reply, const QElapsedTimer &clock)
{
    if (!reply->isFinished())
        QSignalSpy(reply, &QNetworkReply::finished).wait(20000);
    Answer answer;
    answer.elapsedMs = clock.elapsed();
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.retryAfter = reply->rawHeader("Retry-After");
    answer.body = reply->readAll();
    reply->deleteLater();
    return answer;
}

TestWorkBudget::Answer TestWorkBudget::get(const QString &path)
{
    QElapsedTimer clock;
    clock.start();
    return wait(send(path), clock);
}

double TestWorkBudget::metric(const QString &sample)
{
    const QString text = QString::fromUtf8(get(QStringLiteral("/metrics")).body);
    const QRegularExpression line(QLatin1Char('^') + QRegularExpression::escape(sample) + QStringLiteral(" (\\S+)$"),
        QRegularExpression::MultilineOption);
    const auto match = line.match(text);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

void TestWorkBudget::acquireAndRelease()
{
    const auto budget = std::make_shared<WorkBudget>(10, 0);
    {
        WorkBudget::Lease six = budget->tryAcquire(6);
        QVERIFY(six.isAdmitted());
        QCOMPARE(budget->tasksInFlight(), qint64(6));
        const WorkBudget::Lease five = budget->tryAcquire(5);
        QVERIFY(!five.isAdmitted());
        QCOMPARE(five.refusal(), WorkBudget::Refusal::Tasks);
        QCOMPARE(budget->tasksInFlight(), qint64(6)); // a refusal holds nothing
        const WorkBudget::Lease four = budget->tryAcquire(4);
        QVERIFY(four.isAdmitted());
        QCOMPARE(budget->tasksInFlight(), qint64(10));
        QVERIFY(!budget->tryAcquire(1).isAdmitted());
        QVERIFY(budget->tryAcquire(0).isAdmitted()); // nothing always fits
        six.release();
        QCOMPARE(budget->tasksInFlight(), qint64(4));
    }
    QCOMPARE(budget->tasksInFlight(), qint64(0));
    QVERIFY(budget->isIdle());
    QVERIFY(!budget->tryAcquire(11).isAdmitted()); // more than the whole limit: never
    const WorkBudget::Counters counters = budget->counters();
    QCOMPARE(counters.admitted, quint64(3));
    QCOMPARE(counters.refused[size_t(WorkBudget::Refusal::Tasks)], quint64(3));
    QCOMPARE(counters.refused[size_t(WorkBudget::Refusal::PoolTime)], quint64(0));
}

void TestWorkBudget::poolTimeIsItsOwnLimit()
{
    const auto budget = std::make_shared<WorkBudget>(100, 1000);
    WorkBudget::Lease first = budget->tryAcquire(1, 600);
    QVERIFY(first.isAdmitted());
    const WorkBudget::Lease second = budget->tryAcquire(1, 500);
    QCOMPARE(second.refusal(), WorkBudget::Refusal::PoolTime);
    QVERIFY(budget->tryAcquire(50, 0).isAdmitted()); // tasks that block no pool thread fit
    first = {};
    QVERIFY(budget->tryAcquire(1, 1000).isAdmitted());
    QCOMPARE(budget->counters().refused[size_t(WorkBudget::Refusal::PoolTime)], quint64(1));
    QVERIFY(budget->isIdle());
}

void TestWorkBudget::leaseMovesAndReleasesOnce()
{
    const auto budget = std::make_shared<WorkBudget>(10, 0);
    WorkBudget::Lease a = budget->tryAcquire(3);
    WorkBudget::Lease b(std::move(a));
    QCOMPARE(budget->tasksInFlight(), qint64(3));
    a.release(); // moved from: nothing to give back
    QCOMPARE(budget->tasksInFlight(), qint64(3));
    WorkBudget::Lease c = budget->tryAcquire(2);
    c = std::move(b); // c's own two go back, b's three move in
    QCOMPARE(budget->tasksInFlight(), qint64(3));
    c.release();
    c.release();
    QCOMPARE(budget->tasksInFlight(), qint64(0));
}

void TestWorkBudget::noLimitAdmitsAll()
{
    const auto budget = std::make_shared<WorkBudget>(0, 0);
    const WorkBudget::Lease lease = budget->tryAcquire(std::numeric_limits<qint64>::max() / 2, std::numeric_limits<qint64>::max() / 2);
    QVERIFY(lease.isAdmitted());
}

void TestWorkBudget::concurrentUseNeverPassesTheLimit()
{
    constexpr int Limit = 50;
    constexpr int Threads = 8;
    constexpr int Rounds = 5000;
    const auto budget = std::make_shared<WorkBudget>(Limit, 0);
    std::atomic<int> overLimit { 0 };
    std::atomic<int> admitted { 0 };
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back(QThread::create([&, t] {
            for (int i = 0; i < Rounds; ++i) {
                const WorkBudget::Lease lease = budget->tryAcquire(1 + (i + t) % 7);
                if (!lease.isAdmitted())
                    continue;
                admitted.fetch_add(1, std::memory_order_relaxed);
                if (budget->tasksInFlight() > Limit)
                    overLimit.fetch_add(1, std::memory_order_relaxed);
            }
        }));
        threads.back()->start();
    }
    for (const auto &thread : threads)
        QVERIFY(thread->wait(30000));
    QCOMPARE(overLimit.load(), 0);
    QVERIFY(admitted.load() > 0);
    const WorkBudget::Counters counters = budget->counters();
    QCOMPARE(counters.tasksInFlight, qint64(0));
    QCOMPARE(counters.admitted + counters.refused[size_t(WorkBudget::Refusal::Tasks)], quint64(Threads * Rounds));
}

void TestWorkBudget::overBudgetIsRefusedAtOnce_data()
{
    QTest::addColumn<QString>("route");
    QTest::newRow("holds no worker") << QStringLiteral("/async-continuation");
    QTest::newRow("holds a worker") << QStringLiteral("/sequential");
}

void TestWorkBudget::overBudgetIsRefusedAtOnce()
{
    QFETCH(QString, route);
    // The last row's last request is answered before its tasks leave the budget (a continuation
    // gives its lease back once its last task has let go of it): start from an empty budget,
    // or the holder below may be refused.
    QTRY_COMPARE(m_server->load().tasksInFlight, qint64(0));
    const quint64 seq = m_recorder->lastSeq();
    const double refusedBefore = metric(QStringLiteral("fanscope_refused_total{reason=\"tasks\"}"));
    QElapsedTimer clock;
    clock.start();
    // Holds 15 of the 20 tasks for a second and a half.
    QNetworkReply *holder = send(QStringLiteral("/async-continuation?tasks=15&latency_ms=1500&timeout_ms=5000"));
    QTRY_COMPARE(m_server->load().tasksInFlight, qint64(15));

    // Ten more do not fit: refused before they start, long before their deadline.
    const Answer refused = get(route + QStringLiteral("?tasks=10&latency_ms=10&timeout_ms=5000"));
    QCOMPARE(refused.status, 503);
    QCOMPARE(refused.retryAfter, QByteArray("1"));
    QVERIFY2(refused.elapsedMs < 1000, qPrintable(QString::number(refused.elapsedMs)));
    const QJsonObject error = QJsonDocument::fromJson(refused.body).object();
    QCOMPARE(error.value(QStringLiteral("param")).toString(), QStringLiteral("tasks"));
    QVERIFY2(error.value(QStringLiteral("error")).toString().contains(QLatin1String("budget")), refused.body.constData());
    QCOMPARE(metric(QStringLiteral("fanscope_refused_total{reason=\"tasks\"}")), refusedBefore + 1);
    QCOMPARE(metric(QStringLiteral("fanscope_tasks_in_flight")), 15.0);
    QCOMPARE(metric(QStringLiteral("fanscope_max_tasks_in_flight")), double(MaxTasks));
    QCOMPARE(m_server->load().refused, quint64(refusedBefore + 1));

    // The trace has it as a request that ended refused and ran no task.
    QList<quint64> refusedIds;
    QSet<quint64> withTasks;
    for (const TraceEvent &e : m_recorder->eventsSince(seq)) {
        if (e.type == TraceEvent::Type::RequestEnded && e.httpStatus == TraceEvent::RefusedStatus)
            refusedIds.append(e.requestId);
        if (e.type == TraceEvent::Type::TaskStarted)
            withTasks.insert(e.requestId);
    }
    QCOMPARE(refusedIds.size(), 1);
    QVERIFY(!withTasks.contains(refusedIds.constFirst()));
    // And the exports say so.
    QVERIFY(TraceExport::fromRecorder(*m_recorder).csv().contains(",refused"));

    // The holder is unharmed, and once its tasks end the budget is back to zero.
    QCOMPARE(wait(holder, clock).status, 200);
    QTRY_COMPARE(m_server->load().tasksInFlight, qint64(0));
    QCOMPARE(metric(QStringLiteral("fanscope_tasks_in_flight")), 0.0);
    QCOMPARE(get(route + QStringLiteral("?tasks=10&latency_ms=10")).status, 200);
}

void TestWorkBudget::admittedRequestAnswersInTime()
{
    // At the budget's edge: 15 held, then exactly the 5 that fit, on a route that times out.
    QElapsedTimer clock;
    clock.start();
    QNetworkReply *holder = send(QStringLiteral("/async-continuation?tasks=15&latency_ms=1500&timeout_ms=5000"));
    QTRY_COMPARE(m_server->load().tasksInFlight, qint64(15));
    const Answer admitted = get(QStringLiteral("/async-worker?tasks=5&latency_ms=3000&timeout_ms=300"));
    QCOMPARE(admitted.status, 200);
    // By its deadline, give or take a scheduler's slack (coarse: only that it did not wait
    // for its tasks' three seconds).
    QVERIFY2(admitted.elapsedMs < 300 + 700, qPrintable(QString::number(admitted.elapsedMs)));
    QCOMPARE(wait(holder, clock).status, 200);
    QTRY_COMPARE(m_server->load().tasksInFlight, qint64(0));
}

void TestWorkBudget::poolBudgetRefusesStarvingRequest()
{
    const double before = metric(QStringLiteral("fanscope_refused_total{reason=\"pool_seconds\"}"));
    // The request of issue 12 that held every pool thread for a minute: 32 x 60 s.
    const Answer hog = get(QStringLiteral("/thread-pool?tasks=16&latency_ms=60000&timeout_ms=1"));
    QCOMPARE(hog.status, 503);
    QCOMPARE(hog.retryAfter, QByteArray("1"));
    QVERIFY2(hog.elapsedMs < 1000, qPrintable(QString::number(hog.elapsedMs)));
    QCOMPARE(QJsonDocument::fromJson(hog.body).object().value(QStringLiteral("param")).toString(), QStringLiteral("tasks"));
    QCOMPARE(metric(QStringLiteral("fanscope_refused_total{reason=\"pool_seconds\"}")), before + 1);
    QCOMPARE(metric(QStringLiteral("fanscope_max_pool_seconds")), double(MaxPoolSeconds));
    // No pool thread was taken: a fair request runs at once.
    const Answer fair = get(QStringLiteral("/thread-pool?tasks=4&latency_ms=50&timeout_ms=2000"));
    QCOMPARE(fair.status, 200);
    QVERIFY(fair.body.contains("\"ok\""));
}

void TestWorkBudget::poolHeldPastDeadlineIsVisible()
{
    // 2 x 0.8 s fits in the 2 pool-seconds; given up on after 50 ms, the calls run on.
    const Answer answer = get(QStringLiteral("/thread-pool?tasks=2&latency_ms=800&timeout_ms=50"));
    QCOMPARE(answer.status, 200);
    QVERIFY(answer.body.contains("timed_out"));
    QCOMPARE(metric(QStringLiteral("fanscope_pool_threads_held_past_deadline")), 2.0);
    // Their budget is held until they really end, then comes back.
    QCOMPARE(metric(QStringLiteral("fanscope_tasks_in_flight")), 2.0);
    QCOMPARE(metric(QStringLiteral("fanscope_pool_seconds_in_flight")), 1.6);
    QTRY_COMPARE_WITH_TIMEOUT(metric(QStringLiteral("fanscope_pool_threads_held_past_deadline")), 0.0, 5000);
    QTRY_COMPARE(m_server->load().tasksInFlight, qint64(0));
    QCOMPARE(metric(QStringLiteral("fanscope_pool_seconds_in_flight")), 0.0);
}

QTEST_GUILESS_MAIN(TestWorkBudget)
#include "tst_workbudget.moc"
