// The embedded server end to end, on an ephemeral port, through QNetworkAccessManager as any
// client: statuses, the response's JSON shape, seeds, deadlines, bad input on every fan-out
// route, 404 and 405, the worker pool's bound and queue, and clients that hang up.
#include "fanoutplan.h"
#include "fanoutstrategy.h"
#include "serverhost.h"
#include "testserver.h"
#include "tracerecorder.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QtTest>

#include <memory>

namespace {

struct Answer {
    int status = 0;
    QByteArray body;
    QJsonObject json;
    QByteArray contentType;
    QNetworkReply *reply = nullptr;
};

const QStringList FanOutRoutes = {
    QStringLiteral("/sequential"),
    QStringLiteral("/async-scoped"),
    QStringLiteral("/async-worker"),
    QStringLiteral("/async-worker-simple"),
};

} // namespace

class TestHttpRoutes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void routeGet_data();
    void routeGet();
    void fanOutResponseShape_data();
    void fanOutResponseShape();
    void badInput_data();
    void badInput();
    void unknownPathsAre404_data();
    void unknownPathsAre404();
    void otherMethodsAre405_data();
    void otherMethodsAre405();
    void headHasNoBody();
    void sameSeedSameAnswerOnEveryRoute();
    void deadlineAnswersOnTime_data();
    void deadlineAnswersOnTime();
    void workerPoolBoundsConcurrency();
    void fullQueueAnswers503();
    void clientHangingUpLeavesServerHealthy();
    void portInUseIsAnError();

private:
    QNetworkReply *send(const QString &pathAndQuery, const QByteArray &verb = "GET", const QUrl &base = {});
    Answer get(const QString &pathAndQuery, const QByteArray &verb = "GET");
    static Answer read(QNetworkReply *reply);

    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<ServerHost> m_server;
    QNetworkAccessManager m_network;
    QUrl m_base;
};

void TestHttpRoutes::initTestCase()
{
    m_recorder = std::make_unique<TraceRecorder>();
    m_server = startTestServer(*m_recorder);
    QVERIFY(m_server);
    m_base = m_server->url();
    QVERIFY(m_base.port() > 0);
}

void TestHttpRoutes::cleanupTestCase()
{
    m_server.reset();
}

QNetworkReply *TestHttpRoutes::send(const QString &pathAndQuery, const QByteArray &verb, const QUrl &base)
{
    const QUrl url = (base.isEmpty() ? m_base : base).resolved(QUrl(pathAndQuery));
    // A HEAD sent as a custom verb makes the client wait for a body that never comes.
    if (verb == "HEAD")
        return m_network.head(QNetworkRequest(url));
    return m_network.sendCustomRequest(QNetworkRequest(url), verb);
}

Answer TestHttpRoutes::read(QNetworkReply *reply)
{
    Answer answer;
    answer.reply = reply;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    answer.json = QJsonDocument::fromJson(answer.body).object();
    answer.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    reply->deleteLater();
    return answer;
}

Answer TestHttpRoutes::get(const QString &pathAndQuery, const QByteArray &verb)
{
    QNetworkReply *reply = send(pathAndQuery, verb);
    if (!reply->isFinished())
        QSignalSpy(reply, &QNetworkReply::finished).wait(10000);
    return read(reply);
}

void TestHttpRoutes::routeGet_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("bodyStart");
    QTest::addRow("healthz") << QStringLiteral("/healthz") << 200 << QByteArray("text/plain") << QByteArray("ok");
    QTest::addRow("unknown path") << QStringLiteral("/nope") << 404 << QByteArray("application/json") << QByteArray("{\"error\":");
    QTest::addRow("fan-out") << QStringLiteral("/async-worker?tasks=1&latency_ms=0") << 200 << QByteArray("application/json") << QByteArray("{");
    QTest::addRow("unknown parameter refused") << QStringLiteral("/async-worker?tasks=1&latency_ms=0&_=123") << 400 << QByteArray("application/json") << QByteArray("{\"error\":");
}

void TestHttpRoutes::routeGet()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, bodyStart);
    const Answer answer = get(path);
    QCOMPARE(answer.status, status);
    QVERIFY2(answer.contentType.startsWith(contentType), answer.contentType.constData());
    QVERIFY2(answer.body.startsWith(bodyStart), answer.body.constData());
}

void TestHttpRoutes::fanOutResponseShape_data()
{
    QTest::addColumn<QString>("route");
    for (const QString &route : FanOutRoutes)
        QTest::addRow("%s", qPrintable(route)) << route;
}

void TestHttpRoutes::fanOutResponseShape()
{
    QFETCH(QString, route);
    const Answer answer = get(route + QStringLiteral("?tasks=3&latency_ms=20&seed=5"));
    QCOMPARE(answer.status, 200);
    const QJsonObject &json = answer.json;
    QCOMPARE(json.value(QStringLiteral("strategy")).toString(), route.mid(1));
    QCOMPARE(json.value(QStringLiteral("timeout_ms")).toInt(), 3000);
    QVERIFY(json.value(QStringLiteral("elapsed_ms")).toDouble() >= 20);
    QCOMPARE(json.value(QStringLiteral("seed")).toString(), QStringLiteral("5"));
    QVERIFY(json.value(QStringLiteral("request_id")).toInteger() > 0);

    // The original demo's shape: one {"account-N": balance} object per successful task.
    const QJsonArray data = json.value(QStringLiteral("data")).toArray();
    QCOMPARE(data.size(), 3);
    for (int i = 0; i < data.size(); ++i) {
        const QJsonObject entry = data.at(i).toObject();
        QCOMPARE(entry.keys(), QStringList { QStringLiteral("account-%1").arg(i) });
        const double balance = entry.constBegin()->toDouble();
        QVERIFY(balance >= 1.0 && balance <= 20.0);
    }
    const QJsonArray tasks = json.value(QStringLiteral("tasks")).toArray();
    QCOMPARE(tasks.size(), 3);
    for (int i = 0; i < tasks.size(); ++i) {
        const QJsonObject task = tasks.at(i).toObject();
        QCOMPARE(task.value(QStringLiteral("account")).toString(), QStringLiteral("account-%1").arg(i));
        QCOMPARE(task.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        const double start = task.value(QStringLiteral("start_ms")).toDouble(-1);
        const double end = task.value(QStringLiteral("end_ms")).toDouble(-1);
        QVERIFY(start >= 0);
        QVERIFY(end >= start + 20);
        QVERIFY(!task.value(QStringLiteral("thread")).toString().isEmpty());
    }
}

void TestHttpRoutes::badInput_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<QString>("query"); // percent-encoded
    QTest::addColumn<QString>("param"); // the one the 400 names

    struct Param {
        const char *name;
        const char *outOfRange;
        const char *nonNumeric; // or otherwise not of the parameter's kind
    };
    const Param params[] = {
        { "tasks", "10001", "ten" },
        { "latency_ms", "60001", "1s" },
        { "jitter_ms", "-1", "abc" },
        { "fail_rate", "1.5", "half" },
        { "timeout_ms", "0", "3s" },
        { "kind", "sleep", "TIMER" },
        { "seed", "-3", "0x10" },
    };
    struct Case {
        const char *label;
        QString query;
        QString param;
    };
    QList<Case> cases;
    for (const Param &p : params) {
        const QString name = QLatin1String(p.name);
        const auto item = [&](const QString &value) -> QString { return name + QLatin1Char('=') + value; };
        cases.append({ "out of range", item(QLatin1String(p.outOfRange)), name });
        cases.append({ "non-numeric", item(QLatin1String(p.nonNumeric)), name });
        cases.append({ "overflowing", item(QStringLiteral("99999999999999999999")), name });
        cases.append({ "empty", item(QString()), name });
        cases.append({ "without '='", name, name });
        cases.append({ "repeated", item(QStringLiteral("1")) + QLatin1Char('&') + item(QStringLiteral("2")), name });
        cases.append({ "NUL", item(QStringLiteral("1%00")), name });
        cases.append({ "newline", item(QStringLiteral("%0A1")), name });
        cases.append({ "escape", item(QStringLiteral("1%1B")), name });
        // One rule for signs: neither "+5" nor "-0" is a plain number.
        cases.append({ "plus sign", item(QStringLiteral("%2B5")), name });
        cases.append({ "negative zero", item(QStringLiteral("-0")), name });
    }
    // Unknown parameters are refused rather than ignored: a typo would silently use defaults.
    cases.append({ "unknown: typo", QStringLiteral("task=5"), QStringLiteral("task") });
    cases.append({ "unknown: case", QStringLiteral("Tasks=5"), QStringLiteral("Tasks") });
    cases.append({ "unknown: cache buster", QStringLiteral("tasks=1&_=1700000000000"), QStringLiteral("_") });
    cases.append({ "unknown: no name", QStringLiteral("=5"), QString() });
    cases.append({ "unknown: control character", QStringLiteral("x%1B=1"), QString(QStringLiteral("x") + QChar(0x1b)) });

    for (FanOutStrategy *strategy : m_server->strategies()) {
        const QString route = strategy->route();
        for (const Case &c : cases) {
            const QString label = c.param.isEmpty() ? QStringLiteral("-") : c.param;
            QTest::addRow("%s %s %s", qPrintable(route), qPrintable(label.toHtmlEscaped()), c.label) << route << c.query << c.param;
        }
    }
    // The polling route reads its numbers and refuses strangers by the same rules.
    const QString events = QStringLiteral("/api/events");
    QTest::addRow("/api/events unknown") << events << QStringLiteral("since=0&sinse=3") << QStringLiteral("sinse");
    QTest::addRow("/api/events cache buster") << events << QStringLiteral("_=1700000000000") << QStringLiteral("_");
    QTest::addRow("/api/events since plus sign") << events << QStringLiteral("since=%2B5") << QStringLiteral("since");
    QTest::addRow("/api/events since negative zero") << events << QStringLiteral("since=-0") << QStringLiteral("since");
    QTest::addRow("/api/events max plus sign") << events << QStringLiteral("max=%2B5") << QStringLiteral("max");
    QTest::addRow("/api/events max negative zero") << events << QStringLiteral("max=-0") << QStringLiteral("max");
}

void TestHttpRoutes::badInput()
{
    QFETCH(QString, route);
    QFETCH(QString, query);
    QFETCH(QString, param);
    const Answer answer = get(route + QLatin1Char('?') + query);
    QCOMPARE(answer.status, 400);
    QVERIFY2(answer.contentType.startsWith("application/json"), answer.contentType.constData());
    QVERIFY2(answer.json.contains(QStringLiteral("param")), answer.body.constData());
    QCOMPARE(answer.json.value(QStringLiteral("param")).toString(), param);
    QVERIFY(!answer.json.value(QStringLiteral("error")).toString().isEmpty());
    QCOMPARE(get(QStringLiteral("/healthz")).status, 200);
}

void TestHttpRoutes::unknownPathsAre404_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("verb");
    QTest::addRow("GET") << QStringLiteral("/nope") << QByteArray("GET");
    QTest::addRow("POST") << QStringLiteral("/nope") << QByteArray("POST");
    QTest::addRow("below a route") << QStringLiteral("/async-worker/x") << QByteArray("GET");
    QTest::addRow("route shape") << QStringLiteral("/static/a/b.js") << QByteArray("GET");
    QTest::addRow("near a route") << QStringLiteral("/healthzz") << QByteArray("GET");
}

void TestHttpRoutes::unknownPathsAre404()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, verb);
    const Answer answer = get(path, verb);
    QCOMPARE(answer.status, 404);
    QVERIFY(answer.contentType.startsWith("application/json"));
    QVERIFY(!answer.json.value(QStringLiteral("error")).toString().isEmpty());
}

void TestHttpRoutes::otherMethodsAre405_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("verb");
    QTest::addColumn<QByteArray>("allow");
    for (const QByteArray &verb : { QByteArray("POST"), QByteArray("DELETE"), QByteArray("PUT"), QByteArray("OPTIONS"), QByteArray("FROB") })
        QTest::addRow("fan-out %s", verb.constData()) << QStringLiteral("/async-worker") << verb << QByteArray("GET");
    QTest::addRow("healthz POST") << QStringLiteral("/healthz") << QByteArray("POST") << QByteArray("GET, HEAD");
    QTest::addRow("static file DELETE") << QStringLiteral("/static/app.js") << QByteArray("DELETE") << QByteArray("GET, HEAD");
    QTest::addRow("upstream PUT") << QStringLiteral("/upstream/balance/account-1") << QByteArray("PUT") << QByteArray("GET");
    QTest::addRow("metrics POST") << QStringLiteral("/metrics") << QByteArray("POST") << QByteArray("GET");
}

void TestHttpRoutes::otherMethodsAre405()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, verb);
    QFETCH(QByteArray, allow);
    const Answer answer = get(path, verb);
    QCOMPARE(answer.status, 405);
    QCOMPARE(answer.reply->rawHeader("Allow"), allow);
    QVERIFY(answer.contentType.startsWith("application/json"));
    QVERIFY(!answer.json.value(QStringLiteral("error")).toString().isEmpty());
}

void TestHttpRoutes::headHasNoBody()
{
    // Twice on one connection: a body where none belongs would be read as the next answer.
    for (int i = 0; i < 2; ++i) {
        const Answer health = get(QStringLiteral("/healthz"), "HEAD");
        QCOMPARE(health.status, 200);
        QVERIFY(health.body.isEmpty());
        const Answer route = get(QStringLiteral("/async-worker"), "HEAD");
        QCOMPARE(route.status, 405);
        QVERIFY(route.body.isEmpty());
    }
    QCOMPARE(get(QStringLiteral("/healthz")).body, QByteArray("ok"));
}

void TestHttpRoutes::sameSeedSameAnswerOnEveryRoute()
{
    // A seed whose draws fail some tasks and not others, so that the answer says something.
    FanOutSpec spec;
    spec.tasks = 8;
    spec.latencyMs = 5;
    spec.failRate = 0.5;
    spec.seed = 0;
    FanOutPlan plan(spec);
    auto failures = [](const FanOutPlan &p) {
        return std::count_if(p.tasks().cbegin(), p.tasks().cend(), [](const TaskPlan &t) { return t.fails; });
    };
    while (failures(plan) == 0 || failures(plan) == spec.tasks) {
        spec.seed = *spec.seed + 1;
        plan = FanOutPlan(spec);
    }
    QJsonArray expected;
    for (const TaskPlan &task : plan.tasks()) {
        if (!task.fails)
            expected.append(QJsonObject { { task.account(), task.balance } });
    }

    const QString query = QLatin1Char('?') + spec.toQuery().toString(QUrl::FullyEncoded);
    for (const QString &route : FanOutRoutes) {
        const Answer answer = get(route + query);
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.json.value(QStringLiteral("data")).toArray(), expected);
    }
    spec.seed = *spec.seed + 1000;
    const Answer other = get(QStringLiteral("/async-worker?") + spec.toQuery().toString(QUrl::FullyEncoded));
    QVERIFY(other.json.value(QStringLiteral("data")).toArray() != expected);
}

void TestHttpRoutes::deadlineAnswersOnTime_data()
{
    fanOutResponseShape_data();
}

void TestHttpRoutes::deadlineAnswersOnTime()
{
    QFETCH(QString, route);
    QElapsedTimer clock;
    clock.start();
    const Answer answer = get(route + QStringLiteral("?tasks=5&latency_ms=5000&timeout_ms=200"));
    const qint64 tookMs = clock.elapsed();
    QCOMPARE(answer.status, 200);
    QVERIFY2(tookMs >= 200 && tookMs < 1500, qPrintable(QString::number(tookMs)));
    QVERIFY(answer.json.value(QStringLiteral("data")).toArray().isEmpty());
    for (const QJsonValue &task : answer.json.value(QStringLiteral("tasks")).toArray())
        QCOMPARE(task.toObject().value(QStringLiteral("status")).toString(), QStringLiteral("timed_out"));
    const double elapsed = answer.json.value(QStringLiteral("elapsed_ms")).toDouble();
    QVERIFY2(elapsed >= 200 && elapsed < 1000, qPrintable(QString::number(elapsed)));
}

void TestHttpRoutes::workerPoolBoundsConcurrency()
{
    // Two workers, four 300 ms requests of the blocking kind: two rounds, so at least 600 ms.
    TraceRecorder recorder;
    ServerOptions options;
    options.workers = 2;
    const auto server = startTestServer(recorder, options);
    QVERIFY(server);
    QElapsedTimer clock;
    clock.start();
    QList<QNetworkReply *> replies;
    for (int i = 0; i < 4; ++i)
        replies.append(send(QStringLiteral("/async-worker?tasks=3&latency_ms=300"), "GET", server->url()));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(replies.cbegin(), replies.cend(), [](QNetworkReply *r) { return r->isFinished(); }), 10000);
    const qint64 tookMs = clock.elapsed();
    for (QNetworkReply *reply : replies)
        QCOMPARE(read(reply).status, 200);
    QVERIFY2(tookMs >= 590 && tookMs < 3000, qPrintable(QString::number(tookMs)));
    // And only two worker lanes were ever used.
    int workerLanes = 0;
    for (const ThreadLane &lane : recorder.lanes())
        workerLanes += lane.kind == ThreadKind::Worker;
    QCOMPARE(workerLanes, 2);
}

void TestHttpRoutes::fullQueueAnswers503()
{
    TraceRecorder recorder;
    ServerOptions options;
    options.workers = 1;
    options.maxQueue = 1;
    const auto server = startTestServer(recorder, options);
    QVERIFY(server);
    QList<QNetworkReply *> replies;
    for (int i = 0; i < 4; ++i)
        replies.append(send(QStringLiteral("/sequential?tasks=1&latency_ms=300"), "GET", server->url()));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(replies.cbegin(), replies.cend(), [](QNetworkReply *r) { return r->isFinished(); }), 10000);
    int ok = 0, refused = 0;
    for (QNetworkReply *reply : replies) {
        const Answer answer = read(reply);
        if (answer.status == 503) {
            ++refused;
            QCOMPARE(reply->rawHeader("Retry-After"), QByteArray("1"));
            QVERIFY(!answer.json.value(QStringLiteral("error")).toString().isEmpty());
        } else {
            QCOMPARE(answer.status, 200);
            ++ok;
        }
    }
    // One runs, at most one waits: of four at once, at least two are turned away.
    QVERIFY2(ok >= 1 && refused >= 2, qPrintable(QStringLiteral("%1 ok, %2 refused").arg(ok).arg(refused)));
}

void TestHttpRoutes::clientHangingUpLeavesServerHealthy()
{
    // Qt 6.4's own QFuture routes crash when the client is gone by the time the answer comes.
    const quint64 before = m_recorder->lastSeq();
    QNetworkReply *reply = send(QStringLiteral("/async-worker?tasks=2&latency_ms=300"));
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        for (const TraceEvent &e : m_recorder->eventsSince(before)) {
            if (e.type == TraceEvent::Type::RequestStarted)
                return true;
        }
        return false;
    }(), 5000);
    reply->abort();
    reply->deleteLater();
    // The view runs to its end; the answer for nobody is dropped; the server carries on.
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        for (const TraceEvent &e : m_recorder->eventsSince(before)) {
            if (e.type == TraceEvent::Type::RequestEnded)
                return true;
        }
        return false;
    }(), 5000);
    QCOMPARE(get(QStringLiteral("/healthz")).status, 200);
    QCOMPARE(get(QStringLiteral("/async-worker?tasks=1&latency_ms=1")).status, 200);
}

void TestHttpRoutes::portInUseIsAnError()
{
    TraceRecorder recorder;
    ServerOptions options;
    options.port = quint16(m_base.port());
    ServerHost second(recorder, options);
    QString error;
    QVERIFY(!second.start(&error));
    QVERIFY(!error.isEmpty());
}

QTEST_GUILESS_MAIN(TestHttpRoutes)
#include "tst_httproutes.moc"
