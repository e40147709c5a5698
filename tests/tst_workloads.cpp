// Realistic workloads and the three further strategies, end to end over HTTP: every kind on
// every route, upstream calls that really go over sockets (ten at once), failures and jitter
// that follow their parameters, cancellation that aborts calls and stops CPU work, /await-one's
// 504, blocking pool tasks that run on past their request, a continuation that holds no
// worker, and http fan-outs that stay on a bounded pool of upstream connections.
#include "fanoutplan.h"
#include "serverhost.h"
#include "task.h"
#include "tracerecorder.h"
#include "upstreamclient.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTimer>
#include <QtTest>

#include <memory>

namespace {

struct Answer {
    int status = 0;
    QJsonObject json;
    QJsonArray tasks() const { return json.value(QStringLiteral("tasks")).toArray(); }
    QJsonArray data() const { return json.value(QStringLiteral("data")).toArray(); }
    QStringList statuses() const
    {
        QStringList list;
        for (const QJsonValue &task : tasks())
            list.append(task.toObject().value(QStringLiteral("status")).toString());
        return list;
    }
};

// A server of its own for a test that needs other options.
struct Server {
    explicit Server(ServerOptions options)
    {
        options.port = 0;
        host = std::make_unique<ServerHost>(recorder, options);
        QString error;
        started = host->start(&error);
        if (!started)
            qWarning() << error;
    }
    TraceRecorder recorder;
    std::unique_ptr<ServerHost> host;
    bool started = false;
};

// What /proc says of this process now.
int threadCount()
{
    return int(QDir(QStringLiteral("/proc/self/task"))
                   .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                   .size());
}
int fdCount()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                   .entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)
                   .size());
}

const QStringList AllRoutes = {
    QStringLiteral("/sequential"), QStringLiteral("/async-scoped"), QStringLiteral("/async-worker"),
    QStringLiteral("/async-worker-simple"), QStringLiteral("/await-one"), QStringLiteral("/thread-pool"),
    QStringLiteral("/async-continuation"),
};

} // namespace

class TestWorkloads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();

    void everyKindOnEveryRoute_data();
    void everyKindOnEveryRoute();
    void upstreamCallsGoOverSockets();
    void tenCallsAtOnce();
    void upstreamFailuresAre500s();
    void failuresFollowTheRate();
    void jitterFollowsItsRange();
    void cancellationAbortsUpstreamCalls_data();
    void cancellationAbortsUpstreamCalls();
    void cpuWorkStopsAtTheDeadline_data();
    void cpuWorkStopsAtTheDeadline();
    void cpuSpreadsOverLoopThreads();
    void awaitOneTimesOutWith504();
    void awaitOneFailureIs502();
    void blockingPoolTasksRunOnPastTheirRequest();
    void continuationHoldsNoWorker();
    void continuationDeadlineHoldsWhileLoopThreadsAreBusy();
    void upstreamTakesLatencyPlusJitter();
    void fullQueueWithZeroMaxQueue();
    void timedOutQueuedCallsAreNeverSent();
    void httpFanOutsStayBoundedAndLeaveNothingBehind();

private:
    QList<Answer> getAll(const QUrl &base, const QStringList &paths);
    Answer get(const QString &path) { return getAll(m_server->host->url(), { path }).constFirst(); }

    std::unique_ptr<Server> m_server;
};

void TestWorkloads::initTestCase()
{
    ServerOptions options;
    options.workers = 4;
    m_server = std::make_unique<Server>(options);
    QVERIFY(m_server->started);
}

void TestWorkloads::cleanupTestCase()
{
    m_server.reset();
}

void TestWorkloads::cleanup()
{
    // Cancelled tasks are deleted on their threads, not left to run (pool tasks run to their end).
    QTRY_COMPARE_WITH_TIMEOUT(Task::liveCount(), 0, 5000);
}

QList<Answer> TestWorkloads::getAll(const QUrl &base, const QStringList &paths)
{
    // The server's own client, with a connection per request so that they all run at once
    // (QNetworkAccessManager would run only six), and room for a 10,000-task answer.
    UpstreamClient *client = UpstreamClient::forCurrentThread();
    client->setMaxConnections(std::max(UpstreamClient::DefaultMaxConnections, int(paths.size())));
    client->setMaxAnswerBytes(64 * 1024 * 1024);
    auto answers = std::make_shared<QList<Answer>>(paths.size());
    auto pending = std::make_shared<int>(int(paths.size()));
    QList<UpstreamClient::Id> calls;
    for (qsizetype i = 0; i < paths.size(); ++i) {
        calls.append(client->get(base.resolved(QUrl(paths.at(i))),
            [answers, pending, i](const UpstreamClient::Answer &a) {
                (*answers)[i].status = a.status;
                (*answers)[i].json = QJsonDocument::fromJson(a.body).object();
                --*pending;
            }));
    }
    if (!QTest::qWaitFor([&] { return *pending == 0; }, 30000)) {
        for (UpstreamClient::Id call : std::as_const(calls))
            client->cancel(call);
    }
    // Not counted with the server's connections in the tests that watch them.
    client->closeIdle();
    return *answers;
}

void TestWorkloads::everyKindOnEveryRoute_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<QString>("kind");
    for (const QString &route : AllRoutes) {
        for (const char *kind : { "timer", "http", "cpu" })
            QTest::addRow("%s %s", qPrintable(route), kind) << route << QString::fromLatin1(kind);
    }
}

void TestWorkloads::everyKindOnEveryRoute()
{
    QFETCH(QString, route);
    QFETCH(QString, kind);
    FanOutSpec spec;
    spec.tasks = route == QLatin1String("/await-one") ? 1 : 4;
    spec.latencyMs = 30;
    spec.failRate = 0.5;
    spec.kind = *taskKindFromName(kind);
    spec.seed = 77;
    const FanOutPlan plan(spec);

    const Answer answer = get(route + QLatin1Char('?') + spec.toQuery().toString(QUrl::FullyEncoded));
    const bool oneFailed = route == QLatin1String("/await-one") && plan.task(0).fails;
    QCOMPARE(answer.status, oneFailed ? 502 : 200);
    QCOMPARE(answer.tasks().size(), spec.tasks);
    // What fails and what each account holds are the plan's, whatever the route and the kind.
    QJsonArray expected;
    for (int i = 0; i < plan.size(); ++i) {
        QCOMPARE(answer.statuses().at(i), plan.task(i).fails ? QStringLiteral("failed") : QStringLiteral("ok"));
        if (!plan.task(i).fails)
            expected.append(QJsonObject { { plan.task(i).account(), plan.task(i).balance } });
    }
    QCOMPARE(answer.data(), expected);
}

void TestWorkloads::upstreamCallsGoOverSockets()
{
    const ServerHost::UpstreamStats before = m_server->host->upstreamStats();
    const Answer answer = get(QStringLiteral("/async-worker?tasks=10&latency_ms=20&kind=http"));
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.data().size(), 10);
    const ServerHost::UpstreamStats after = m_server->host->upstreamStats();
    QCOMPARE(after.calls - before.calls, quint64(10));
    QCOMPARE(after.answered - before.answered, quint64(10));
}

void TestWorkloads::tenCallsAtOnce()
{
    // Six connections per host would make this two rounds: 2 s. Ten at once take 1 s, plus what
    // a loaded machine under ThreadSanitizer adds (up to 0.4 s seen), far from a second round.
    for (const QString &route : { QStringLiteral("/async-worker"), QStringLiteral("/async-scoped"), QStringLiteral("/async-continuation") }) {
        const Answer answer = get(route + QStringLiteral("?tasks=10&latency_ms=1000&timeout_ms=5000&kind=http"));
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.data().size(), 10);
        const double elapsed = answer.json.value(QStringLiteral("elapsed_ms")).toDouble();
        QVERIFY2(elapsed >= 1000 && elapsed < 1900, qPrintable(route + QLatin1Char(' ') + QString::number(elapsed)));
    }
}

void TestWorkloads::upstreamFailuresAre500s()
{
    const Answer answer = get(QStringLiteral("/async-worker?tasks=3&latency_ms=5&kind=http&fail_rate=1"));
    QCOMPARE(answer.status, 200);
    QVERIFY(answer.data().isEmpty());
    for (const QJsonValue &task : answer.tasks()) {
        QCOMPARE(task.toObject().value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
        QVERIFY(task.toObject().value(QStringLiteral("error")).toString().contains(QLatin1String("500")));
    }
}

void TestWorkloads::failuresFollowTheRate()
{
    const Answer answer = get(QStringLiteral("/async-worker?tasks=2000&latency_ms=0&fail_rate=0.3&seed=9"));
    QCOMPARE(answer.status, 200);
    const double failed = double(answer.statuses().count(QStringLiteral("failed"))) / 2000.0;
    QVERIFY2(failed > 0.26 && failed < 0.34, qPrintable(QString::number(failed)));
}

void TestWorkloads::jitterFollowsItsRange()
{
    const Answer answer = get(QStringLiteral("/async-worker?tasks=300&latency_ms=200&jitter_ms=100&seed=5"));
    QCOMPARE(answer.status, 200);
    double sum = 0, shortest = 1e9, longest = 0;
    for (const QJsonValue &value : answer.tasks()) {
        const QJsonObject task = value.toObject();
        const double took = task.value(QStringLiteral("end_ms")).toDouble() - task.value(QStringLiteral("start_ms")).toDouble();
        sum += took;
        shortest = std::min(shortest, took);
        longest = std::max(longest, took);
    }
    // Drawn from 100-300 ms: never below, hardly above, both ends reached, centred on 200.
    QVERIFY2(shortest >= 100 && shortest < 120, qPrintable(QString::number(shortest)));
    QVERIFY2(longest > 280 && longest < 400, qPrintable(QString::number(longest)));
    const double mean = sum / 300;
    QVERIFY2(mean > 185 && mean < 225, qPrintable(QString::number(mean)));
}

void TestWorkloads::cancellationAbortsUpstreamCalls_data()
{
    QTest::addColumn<QString>("route");
    for (const char *route : { "/sequential", "/async-scoped", "/async-worker", "/async-worker-simple", "/async-continuation" })
        QTest::addRow("%s", route) << QString::fromLatin1(route);
}

void TestWorkloads::cancellationAbortsUpstreamCalls()
{
    QFETCH(QString, route);
    const ServerHost::UpstreamStats before = m_server->host->upstreamStats();
    const Answer answer = get(route + QStringLiteral("?tasks=5&latency_ms=10000&timeout_ms=150&kind=http"));
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.statuses(), QStringList(5, QStringLiteral("timed_out")));
    // Every call that was made was hung up on, so the upstream saw each one abandoned.
    const quint64 calls = m_server->host->upstreamStats().calls - before.calls;
    QVERIFY(calls >= 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->host->upstreamStats().abandoned - before.abandoned, calls, 5000);
    QCOMPARE(m_server->host->upstreamStats().answered, before.answered);
}

void TestWorkloads::cpuWorkStopsAtTheDeadline_data()
{
    cancellationAbortsUpstreamCalls_data();
}

void TestWorkloads::cpuWorkStopsAtTheDeadline()
{
    QFETCH(QString, route);
    QElapsedTimer clock;
    clock.start();
    const Answer answer = get(route + QStringLiteral("?tasks=2&latency_ms=20000&timeout_ms=100&kind=cpu"));
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.statuses(), QStringList(2, QStringLiteral("timed_out")));
    // The work stopped at its next check: the threads are free for a quick request right away.
    const Answer next = get(QStringLiteral("/async-worker?tasks=2&latency_ms=10&kind=cpu"));
    QCOMPARE(next.statuses(), QStringList(2, QStringLiteral("ok")));
    QVERIFY2(clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
}

void TestWorkloads::cpuSpreadsOverLoopThreads()
{
    for (int loops : { 1, 2 }) {
        ServerOptions options;
        options.loopThreads = loops;
        Server server(options);
        QVERIFY(server.started);
        const Answer answer = getAll(server.host->url(), { QStringLiteral("/async-worker?tasks=4&latency_ms=100&kind=cpu") }).constFirst();
        QCOMPARE(answer.status, 200);
        QSet<QString> threads;
        for (const QJsonValue &task : answer.tasks())
            threads.insert(task.toObject().value(QStringLiteral("thread")).toString());
        QCOMPARE(threads.size(), loops);
        // One loop thread does the four one after another; two share them.
        const double elapsed = answer.json.value(QStringLiteral("elapsed_ms")).toDouble();
        QVERIFY2(elapsed >= 400.0 / loops, qPrintable(QString::number(elapsed)));
    }
}

void TestWorkloads::awaitOneTimesOutWith504()
{
    QElapsedTimer clock;
    clock.start();
    const Answer answer = get(QStringLiteral("/await-one?latency_ms=5000&timeout_ms=100"));
    QCOMPARE(answer.status, 504);
    QCOMPARE(answer.json.value(QStringLiteral("error")).toString(), QStringLiteral("timeout"));
    QVERIFY(clock.elapsed() < 2000);
}

void TestWorkloads::awaitOneFailureIs502()
{
    const Answer answer = get(QStringLiteral("/await-one?latency_ms=5&fail_rate=1"));
    QCOMPARE(answer.status, 502);
    QVERIFY(!answer.json.value(QStringLiteral("error")).toString().isEmpty());
}

void TestWorkloads::blockingPoolTasksRunOnPastTheirRequest()
{
    const quint64 before = m_server->recorder.lastSeq();
    const Answer answer = get(QStringLiteral("/thread-pool?tasks=3&latency_ms=400&timeout_ms=100"));
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.statuses(), QStringList(3, QStringLiteral("timed_out")));
    for (const QJsonValue &task : answer.tasks())
        QVERIFY(task.toObject().value(QStringLiteral("thread")).toString().startsWith(QLatin1String("pool-")));
    // The pool threads let go of the tasks only when their blocking calls end, after the answer.
    qint64 requestEnd = -1;
    QList<qint64> released;
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        released.clear();
        for (const TraceEvent &e : m_server->recorder.eventsSince(before)) {
            if (e.type == TraceEvent::Type::RequestEnded)
                requestEnd = e.timeNs;
            if (e.type == TraceEvent::Type::TaskReleased)
                released.append(e.timeNs);
        }
        return released.size() == 3;
    }(), 5000);
    for (qint64 t : released)
        QVERIFY(t > requestEnd + 200 * 1000000);
}

void TestWorkloads::continuationHoldsNoWorker()
{
    ServerOptions options;
    options.workers = 1;
    Server server(options);
    QVERIFY(server.started);

    // Twenty at once on one worker: no worker is held, so they all take about one latency.
    QElapsedTimer clock;
    clock.start();
    const QList<Answer> continuations = getAll(server.host->url(), QStringList(20, QStringLiteral("/async-continuation?tasks=10&latency_ms=300")));
    const qint64 continuationMs = clock.elapsed();
    for (const Answer &answer : continuations)
        QCOMPARE(answer.data().size(), 10);
    QVERIFY2(continuationMs < 1000, qPrintable(QString::number(continuationMs)));

    // The same through /async-worker queue for the one worker: one after another.
    clock.restart();
    const QList<Answer> blocking = getAll(server.host->url(), QStringList(5, QStringLiteral("/async-worker?tasks=10&latency_ms=300")));
    const qint64 blockingMs = clock.elapsed();
    for (const Answer &answer : blocking)
        QCOMPARE(answer.data().size(), 10);
    QVERIFY2(blockingMs >= 1500, qPrintable(QString::number(blockingMs)));

    // And on the timeline the continuations sit on no worker's lane.
    for (const TraceEvent &e : server.recorder.eventsSince(0)) {
        if (e.type != TraceEvent::Type::RequestStarted)
            continue;
        const ThreadLane lane = server.recorder.lane(e.lane);
        if (server.recorder.routeName(e.route) == QLatin1String("/async-continuation"))
            QCOMPARE(lane.kind, ThreadKind::NoThread);
        else
            QCOMPARE(lane.kind, ThreadKind::Worker);
    }
}

void TestWorkloads::continuationDeadlineHoldsWhileLoopThreadsAreBusy()
{
    // Another request's CPU work holds the (only) loop thread for 3 s; this one's deadline is
    // kept by a thread that runs no tasks.
    auto busyDone = std::make_shared<bool>(false);
    UpstreamClient::forCurrentThread()->get(m_server->host->url().resolved(QUrl(QStringLiteral(
                                                "/async-worker?tasks=1&latency_ms=3000&kind=cpu"))),
        [busyDone](const UpstreamClient::Answer &) { *busyDone = true; });
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        for (const TraceEvent &e : m_server->recorder.eventsSince(0)) {
            if (e.type == TraceEvent::Type::TaskStarted && e.kind == TaskKind::Cpu && e.timeNs > m_server->recorder.now() - 1000000000)
                return true;
        }
        return false;
    }(), 5000);
    QElapsedTimer clock;
    clock.start();
    const Answer answer = get(QStringLiteral("/async-continuation?tasks=2&latency_ms=100&timeout_ms=300"));
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.statuses(), QStringList(2, QStringLiteral("timed_out")));
    QVERIFY2(clock.elapsed() < 1500, qPrintable(QString::number(clock.elapsed())));
    QTRY_VERIFY_WITH_TIMEOUT(*busyDone, 10000);
}

void TestWorkloads::upstreamTakesLatencyPlusJitter()
{
    // A drawn latency may exceed 60 s (59 s + 3 s of jitter): the upstream must still take it,
    // and the task time out, not fail at once.
    const Answer answer = get(QStringLiteral("/await-one?kind=http&latency_ms=59000&jitter_ms=3000&timeout_ms=200&seed=8"));
    QCOMPARE(answer.status, 504);
}

void TestWorkloads::fullQueueWithZeroMaxQueue()
{
    ServerOptions options;
    options.workers = 1;
    options.maxQueue = 0;
    Server server(options);
    QVERIFY(server.started);
    // An idle worker takes a request even when nothing may wait.
    QCOMPARE(getAll(server.host->url(), { QStringLiteral("/sequential?tasks=1&latency_ms=1") }).constFirst().status, 200);
    const QList<Answer> two = getAll(server.host->url(), QStringList(2, QStringLiteral("/sequential?tasks=1&latency_ms=300")));
    QList<int> statuses { two.at(0).status, two.at(1).status };
    std::sort(statuses.begin(), statuses.end());
    QCOMPARE(statuses, (QList<int> { 200, 503 }));
}

void TestWorkloads::timedOutQueuedCallsAreNeverSent()
{
    // Two loop threads of four connections each: of twenty calls, eight go out and twelve wait;
    // at the deadline those twelve leave the queue without ever reaching the upstream.
    ServerOptions options;
    options.loopThreads = 2;
    options.upstreamConnections = 4;
    Server server(options);
    QVERIFY(server.started);
    const Answer answer = getAll(server.host->url(),
        { QStringLiteral("/async-worker?tasks=20&latency_ms=10000&timeout_ms=300&kind=http") })
                              .constFirst();
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.statuses(), QStringList(20, QStringLiteral("timed_out")));
    QTRY_COMPARE_WITH_TIMEOUT(UpstreamClient::totals().waitingCalls, 0, 1000);
    QTRY_COMPARE_WITH_TIMEOUT(server.host->upstreamStats().abandoned, quint64(8), 5000);
    QCOMPARE(server.host->upstreamStats().calls, quint64(8));
}

void TestWorkloads::httpFanOutsStayBoundedAndLeaveNothingBehind()
{
    UpstreamClient::setIdleTimeoutMs(200); // descriptors back to baseline soon after the run
    auto restore = qScopeGuard(
        [] { UpstreamClient::setIdleTimeoutMs(UpstreamClient::DefaultIdleTimeoutMs); });
    ServerOptions options;
    options.loopThreads = 2;
    options.upstreamConnections = 4;
    Server server(options);
    QVERIFY(server.started);
    const QUrl base = server.host->url();
    const QString fanOut
        = QStringLiteral("/async-continuation?tasks=10000&latency_ms=1&timeout_ms=3000&kind=http");

    // Warm-up: Qt starts some threads and descriptors once (its host lookup pool, the glib
    // wake-ups of new event loops); the baseline is what stays after a first run.
    QCOMPARE(
        getAll(base, { QStringLiteral("/async-continuation?tasks=100&latency_ms=1&kind=http") })
            .constFirst()
            .status,
        200);
    QTRY_COMPARE_WITH_TIMEOUT(UpstreamClient::totals().openConnections, 0, 5000);
    const int threadsBefore = threadCount();
    const int fdsBefore = fdCount();

    // Watch the connections of the server's threads while the fan-out runs.
    int mostOpen = 0;
    QTimer watch;
    connect(&watch, &QTimer::timeout, this, [&mostOpen] {
        const int mine = UpstreamClient::forCurrentThread()->connectionCount();
        mostOpen = std::max(mostOpen, UpstreamClient::totals().openConnections - mine);
    });
    watch.start(1);
    const Answer answer = getAll(base, { fanOut }).constFirst();
    watch.stop();
    QCOMPARE(answer.status, 200);
    const QStringList statuses = answer.statuses();
    QCOMPARE(statuses.size(), 10000);
    const int ok = int(statuses.count(QStringLiteral("ok")));
    QCOMPARE(ok + statuses.count(QStringLiteral("timed_out")), 10000);
    QVERIFY(ok > 0);
    QVERIFY2(mostOpen > 0 && mostOpen <= 2 * 4, qPrintable(QString::number(mostOpen)));
    qInfo("10,000 http tasks: %d ok, the rest timed out; at most %d upstream connections open", ok,
        mostOpen);

    // /metrics tells the same, and once idle every connection has closed.
    QTRY_COMPARE_WITH_TIMEOUT(UpstreamClient::totals().openConnections, 0, 5000);
    auto metric = [&](const QString &name) {
        UpstreamClient *client = UpstreamClient::forCurrentThread();
        auto text = std::make_shared<QByteArray>();
        const UpstreamClient::Id call = client->get(base.resolved(QUrl(QStringLiteral("/metrics"))),
            [text](const UpstreamClient::Answer &a) { *text = a.body; });
        if (!QTest::qWaitFor([&] { return !text->isEmpty(); }, 10000))
            client->cancel(call);
        client->closeIdle();
        const QRegularExpression line(
            QStringLiteral("^%1 (\\S+)$").arg(name), QRegularExpression::MultilineOption);
        const QRegularExpressionMatch match = line.match(QString::fromUtf8(*text));
        return match.hasMatch() ? match.captured(1).toDouble() : -1.0;
    };
    // One connection is open: this scrape's own, from the test's client.
    QCOMPARE(metric(QStringLiteral("fanscope_upstream_connections_open")), 1.0);
    QCOMPARE(metric(QStringLiteral("fanscope_upstream_calls_waiting")), 0.0);
    const double opened = metric(QStringLiteral("fanscope_upstream_connections_opened_total"));
    QVERIFY2(opened >= 1 && opened < 1000, qPrintable(QString::number(opened)));

    // Threads and descriptors back where they were (a little slack for Qt's own one-offs).
    QTRY_VERIFY2_WITH_TIMEOUT(threadCount() <= threadsBefore + 2,
        qPrintable(QStringLiteral("%1 threads, %2 before").arg(threadCount()).arg(threadsBefore)),
        10000);
    QTRY_VERIFY2_WITH_TIMEOUT(fdCount() <= fdsBefore + 4,
        qPrintable(QStringLiteral("%1 descriptors, %2 before").arg(fdCount()).arg(fdsBefore)),
        10000);
    qInfo("threads %d (before %d), descriptors %d (before %d)", threadCount(), threadsBefore,
        fdCount(), fdsBefore);
}

QTEST_GUILESS_MAIN(TestWorkloads)
#include "tst_workloads.moc"
