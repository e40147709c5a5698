// Clients that hang up mid-request, over raw sockets, on every fan-out route: the request is
// given up at once (its worker released, its tasks cancelled and gone) and shows as abandoned in
// the trace, its exports and /metrics; a request still waiting for a worker leaves the queue
// without running and frees its place; the server carries on.
#include "serverhost.h"
#include "servermetrics.h"
#include "task.h"
#include "testserver.h"
#include "tracerecorder.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QtTest>

#include <memory>
#include <optional>

class TestAbandonment : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();

    void hangingUpCancelsTheRequest_data();
    void hangingUpCancelsTheRequest();
    void waitingRequestLeavesTheQueue();
    void abandonedRequestInExportsAndMetrics();

private:
    // Sends GET pathAndQuery over a connection of its own, which the test can cut at will.
    std::unique_ptr<QTcpSocket> openRequest(const QUrl &base, const QString &pathAndQuery);
    // The first request of `route` started since seq, once one of its tasks runs too.
    std::optional<quint64> runningSince(TraceRecorder &recorder, quint64 seq, const QString &route);
    // Requests of `route` started since seq.
    int startedSince(TraceRecorder &recorder, quint64 seq, const QString &route);
    static QVector<TraceEvent> eventsOf(TraceRecorder &recorder, quint64 seq, quint64 requestId);
    static std::optional<TraceEvent> requestEnd(TraceRecorder &recorder, quint64 seq, quint64 requestId);
    QByteArray get(const QUrl &base, const QString &pathAndQuery, int *status = nullptr);
    // A sample of /metrics, by its full name and labels; -1 if absent.
    double metric(const QUrl &base, const QString &sample);
    // Hangs up an /async-worker request while its tasks run; returns its id.
    quint64 abandonOne(int tasks);

    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<ServerHost> m_server;
    QNetworkAccessManager m_network;
};

void TestAbandonment::initTestCase()
{
    m_recorder = std::make_unique<TraceRecorder>();
    ServerOptions options;
    options.workers = 2;
    m_server = startTestServer(*m_recorder, options);
    QVERIFY(m_server);
}

void TestAbandonment::cleanup()
{
    // Whatever a test did, nothing of its requests may be left running.
    QTRY_COMPARE_WITH_TIMEOUT(Task::liveCount(), 0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->metrics()->busyWorkers.load(), 0, 5000);
}

void TestAbandonment::cleanupTestCase()
{
    m_server.reset();
}

std::unique_ptr<QTcpSocket> TestAbandonment::openRequest(const QUrl &base, const QString &pathAndQuery)
{
    auto socket = std::make_unique<QTcpSocket>();
    QSignalSpy connected(socket.get(), &QTcpSocket::connected);
    socket->connectToHost(base.host(), quint16(base.port()));
    if (!connected.wait(5000))
        return nullptr;
    socket->write("GET " + pathAndQuery.toUtf8() + " HTTP/1.1\r\nHost: " + base.authority().toUtf8() + "\r\n\r\n");
    return socket;
}

std::optional<quint64> TestAbandonment::runningSince(TraceRecorder &recorder, quint64 seq, const QString &route)
{
    const int routeId = recorder.routeId(route);
    std::optional<quint64> request;
    for (const TraceEvent &e : recorder.eventsSince(seq)) {
        if (!request && e.type == TraceEvent::Type::RequestStarted && e.route == routeId)
            request = e.requestId;
        if (request && e.type == TraceEvent::Type::TaskStarted && e.requestId == *request)
            return request;
    }
    return std::nullopt;
}

int TestAbandonment::startedSince(TraceRecorder &recorder, quint64 seq, const QString &route)
{
    const int routeId = recorder.routeId(route);
    const QVector<TraceEvent> events = recorder.eventsSince(seq);
    return int(std::count_if(events.cbegin(), events.cend(), [routeId](const TraceEvent &e) {
        return e.type == TraceEvent::Type::RequestStarted && e.route == routeId;
    }));
}

QVector<TraceEvent> TestAbandonment::eventsOf(TraceRecorder &recorder, quint64 seq, quint64 requestId)
{
    QVector<TraceEvent> events;
    for (const TraceEvent &e : recorder.eventsSince(seq)) {
        if (e.requestId == requestId)
            events.append(e);
    }
    return events;
}

std::optional<TraceEvent> TestAbandonment::requestEnd(TraceRecorder &recorder, quint64 seq, quint64 requestId)
{
    for (const TraceEvent &e : eventsOf(recorder, seq, requestId)) {
        if (e.type == TraceEvent::Type::RequestEnded)
            return e;
    }
    return std::nullopt;
}

QByteArray TestAbandonment::get(const QUrl &base, const QString &pathAndQuery, int *status)
{
    QNetworkReply *reply = m_network.get(QNetworkRequest(base.resolved(QUrl(pathAndQuery))));
    if (!reply->isFinished())
        QSignalSpy(reply, &QNetworkReply::finished).wait(10000);
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->deleteLater();
    return reply->readAll();
}

double TestAbandonment::metric(const QUrl &base, const QString &sample)
{
    const QString text = QString::fromUtf8(get(base, QStringLiteral("/metrics")));
    const QRegularExpression line(QLatin1Char('^') + QRegularExpression::escape(sample) + QStringLiteral(" (\\S+)$"),
        QRegularExpression::MultilineOption);
    const auto match = line.match(text);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

void TestAbandonment::hangingUpCancelsTheRequest_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("latencyMs");
    QTest::addColumn<int>("tasks"); // that the request really runs
    for (const char *route : { "/sequential", "/async-scoped", "/async-worker", "/async-worker-simple", "/async-continuation" })
        QTest::addRow("%s timer", route) << QString::fromLatin1(route) << QStringLiteral("timer") << 5000 << 4;
    QTest::addRow("/await-one timer") << QStringLiteral("/await-one") << QStringLiteral("timer") << 5000 << 1;
    // Its blocking calls run on past a hang-up, as past a deadline: shorter, so the test ends.
    QTest::addRow("/thread-pool timer") << QStringLiteral("/thread-pool") << QStringLiteral("timer") << 1500 << 4;
    for (const char *route : { "/sequential", "/async-scoped", "/async-worker" })
        QTest::addRow("%s cpu", route) << QString::fromLatin1(route) << QStringLiteral("cpu") << 5000 << 4;
    for (const char *route : { "/async-worker", "/async-continuation" })
        QTest::addRow("%s http", route) << QString::fromLatin1(route) << QStringLiteral("http") << 5000 << 4;
}

void TestAbandonment::hangingUpCancelsTheRequest()
{
    QFETCH(QString, route);
    QFETCH(QString, kind);
    QFETCH(int, latencyMs);
    QFETCH(int, tasks);
    const bool blocking = route == QLatin1String("/thread-pool");
    const bool http = kind == QLatin1String("http");
    const ServerHost::UpstreamStats upstreamBefore = m_server->upstreamStats();
    const quint64 seq = m_recorder->lastSeq();

    // Deadline 3 s (the default), tasks of 5 s: without the hang-up nothing would end before 3 s.
    auto client = openRequest(m_server->url(), route + QStringLiteral("?tasks=%1&latency_ms=%2&kind=%3").arg(tasks).arg(latencyMs).arg(kind));
    QVERIFY(client);
    std::optional<quint64> id;
    QTRY_VERIFY_WITH_TIMEOUT((id = runningSince(*m_recorder, seq, route)).has_value(), 5000);
    if (http) // every call has reached the upstream, so that each has something to cancel
        QTRY_COMPARE_WITH_TIMEOUT(m_server->upstreamStats().calls, upstreamBefore.calls + quint64(tasks), 5000);

    QElapsedTimer clock;
    clock.start();
    client->abort();
    // The view returns and lets go of its worker at once.
    QTRY_VERIFY_WITH_TIMEOUT(requestEnd(*m_recorder, seq, *id).has_value(), 3000);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->metrics()->busyWorkers.load(), 0, 3000);
    const qint64 releasedMs = clock.elapsed();
    QVERIFY2(releasedMs < 500, qPrintable(QStringLiteral("released after %1 ms").arg(releasedMs)));
    if (!blocking) { // its tasks are stopped and deleted, not left to run
        QTRY_COMPARE_WITH_TIMEOUT(Task::liveCount(), 0, 3000);
        QVERIFY2(clock.elapsed() < 500, qPrintable(QStringLiteral("tasks gone after %1 ms").arg(clock.elapsed())));
    }

    // The trace: every task ended cancelled, then the request ended abandoned (499).
    int cancelled = 0;
    int outlive = 0;
    for (const TraceEvent &e : eventsOf(*m_recorder, seq, *id)) {
        if (e.type != TraceEvent::Type::TaskEnded)
            continue;
        QCOMPARE(e.status, TaskStatus::Cancelled);
        ++cancelled;
        outlive += e.outlives;
    }
    QCOMPARE(cancelled, tasks);
    QCOMPARE(int(requestEnd(*m_recorder, seq, *id)->httpStatus), TraceEvent::AbandonedStatus);
    if (blocking) // they hold their pool threads to their end, and then let go
        QVERIFY(outlive > 0);
    if (http) // the calls to the upstream were cancelled too, closing their connections
        QTRY_COMPARE_WITH_TIMEOUT(m_server->upstreamStats().abandoned, upstreamBefore.abandoned + quint64(tasks), 3000);

    int status = 0;
    QCOMPARE(get(m_server->url(), QStringLiteral("/healthz"), &status), QByteArray("ok"));
    QCOMPARE(status, 200);
}

void TestAbandonment::waitingRequestLeavesTheQueue()
{
    TraceRecorder recorder;
    ServerOptions options;
    options.workers = 1;
    options.maxQueue = 1;
    const auto server = startTestServer(recorder, options);
    QVERIFY(server);
    const QString route = QStringLiteral("/async-worker");
    const QString path = route + QStringLiteral("?tasks=1&latency_ms=5000&timeout_ms=10000");
    const QString depth = QStringLiteral("fanscope_queue_depth");
    const QString abandoned = QStringLiteral("fanscope_http_requests_total{route=\"/async-worker\",code=\"499\"}");
    const quint64 seq = recorder.lastSeq();

    auto running = openRequest(server->url(), path);
    QTRY_VERIFY_WITH_TIMEOUT(runningSince(recorder, seq, route).has_value(), 5000);
    auto waiting = openRequest(server->url(), path);
    QTRY_COMPARE_WITH_TIMEOUT(metric(server->url(), depth), 1.0, 5000);
    // The queue is full: a third is turned away at once.
    auto refused = openRequest(server->url(), path);
    QTRY_VERIFY_WITH_TIMEOUT(refused->peek(64).startsWith("HTTP/1.1 503"), 5000);

    // The waiting one hangs up: it leaves the queue at once, and its place is free again.
    QElapsedTimer clock;
    clock.start();
    waiting->abort();
    QTRY_COMPARE_WITH_TIMEOUT(metric(server->url(), depth), 0.0, 3000);
    QVERIFY2(clock.elapsed() < 500, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(metric(server->url(), abandoned), 1.0);
    auto next = openRequest(server->url(), path);
    QTRY_COMPARE_WITH_TIMEOUT(metric(server->url(), depth), 1.0, 5000);
    QVERIFY(next->bytesAvailable() == 0); // queued, not refused

    // It never ran: when the worker is free, the next one in line runs, not the one that left.
    QCOMPARE(startedSince(recorder, seq, route), 1);
    running->abort();
    QTRY_COMPARE_WITH_TIMEOUT(startedSince(recorder, seq, route), 2, 3000);
    next->abort();
    QTRY_COMPARE_WITH_TIMEOUT(metric(server->url(), abandoned), 3.0, 3000);
    QCOMPARE(startedSince(recorder, seq, route), 2);
    QCOMPARE(metric(server->url(), depth), 0.0);
    QCOMPARE(metric(server->url(), QStringLiteral("fanscope_busy_workers")), 0.0);
}

quint64 TestAbandonment::abandonOne(int tasks)
{
    const quint64 seq = m_recorder->lastSeq();
    auto client = openRequest(m_server->url(), QStringLiteral("/async-worker?tasks=%1&latency_ms=5000").arg(tasks));
    std::optional<quint64> id;
    if (!client || !QTest::qWaitFor([&] { return (id = runningSince(*m_recorder, seq, QStringLiteral("/async-worker"))).has_value(); }, 5000))
        return 0;
    client->abort();
    if (!QTest::qWaitFor([&] { return requestEnd(*m_recorder, seq, *id).has_value(); }, 3000))
        return 0;
    return *id;
}

void TestAbandonment::abandonedRequestInExportsAndMetrics()
{
    const quint64 seq = m_recorder->lastSeq();
    const quint64 id = abandonOne(3);
    QVERIFY(id > 0);

    // Chrome trace: the request's span is named and marked abandoned, its tasks cancelled.
    const QJsonArray trace = QJsonDocument::fromJson(get(m_server->url(), QStringLiteral("/api/trace"))).object().value(QStringLiteral("traceEvents")).toArray();
    bool requestSeen = false;
    int cancelledTasks = 0;
    for (const QJsonValue &value : trace) {
        const QJsonObject event = value.toObject();
        const QJsonObject args = event.value(QStringLiteral("args")).toObject();
        if (args.value(QStringLiteral("request_id")).toInteger() != qint64(id))
            continue;
        if (event.value(QStringLiteral("cat")).toString() == QLatin1String("request")) {
            QCOMPARE(event.value(QStringLiteral("name")).toString(), QStringLiteral("/async-worker (abandoned)"));
            QCOMPARE(args.value(QStringLiteral("http_status")).toInt(), TraceEvent::AbandonedStatus);
            QCOMPARE(args.value(QStringLiteral("outcome")).toString(), QStringLiteral("abandoned"));
            requestSeen = true;
        } else {
            QCOMPARE(args.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
            ++cancelledTasks;
        }
    }
    QVERIFY(requestSeen);
    QCOMPARE(cancelledTasks, 3);

    // CSV: the request's line says abandoned, 499.
    const QList<QByteArray> lines = get(m_server->url(), QStringLiteral("/api/trace.csv")).split('\n');
    const QByteArray prefix = "request," + QByteArray::number(id) + ',';
    const auto line = std::find_if(lines.cbegin(), lines.cend(), [&prefix](const QByteArray &l) { return l.startsWith(prefix); });
    QVERIFY(line != lines.cend());
    QVERIFY2(line->contains(",abandoned,499,"), line->constData());

    // The live feed: the request ends with 499, its tasks cancelled.
    const QJsonArray events = QJsonDocument::fromJson(get(m_server->url(), QStringLiteral("/api/events?since=%1").arg(seq))).object().value(QStringLiteral("events")).toArray();
    int liveCancelled = 0;
    bool liveEnded = false;
    for (const QJsonValue &value : events) {
        const QJsonObject event = value.toObject();
        if (event.value(QStringLiteral("request")).toInteger() != qint64(id))
            continue;
        if (event.value(QStringLiteral("type")).toString() == QLatin1String("request_end")) {
            QCOMPARE(event.value(QStringLiteral("http_status")).toInt(), TraceEvent::AbandonedStatus);
            liveEnded = true;
        }
        liveCancelled += event.value(QStringLiteral("status")).toString() == QLatin1String("cancelled");
    }
    QVERIFY(liveEnded);
    QCOMPARE(liveCancelled, 3);

    // /metrics: counted as 499, its tasks as cancelled, and no answer's duration.
    QTRY_VERIFY_WITH_TIMEOUT(metric(m_server->url(), QStringLiteral("fanscope_http_requests_total{route=\"/async-worker\",code=\"499\"}")) >= 1, 2000);
    QVERIFY(metric(m_server->url(), QStringLiteral("fanscope_tasks_total{status=\"cancelled\"}")) >= 3);
    const double answered = metric(m_server->url(), QStringLiteral("fanscope_http_requests_total{route=\"/async-worker\",code=\"200\"}"));
    const double durations = metric(m_server->url(), QStringLiteral("fanscope_request_duration_seconds_count{route=\"/async-worker\"}"));
    QCOMPARE(std::max(0.0, durations), std::max(0.0, answered));
}

QTEST_GUILESS_MAIN(TestAbandonment)
#include "tst_abandonment.moc"
