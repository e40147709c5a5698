// The load generator: figures computed right from known latencies, and runs against the
// embedded server on an ephemeral port: counts, status codes, concurrency really reached (the
// server sees it), timeouts, errors when the server is gone, cancellation.
#include "loadgenerator.h"
#include "serverhost.h"
#include "testserver.h"
#include "tracerecorder.h"

#include <QtConcurrent>
#include <QtTest>

class TestLoadGenerator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void percentiles_data();
    void percentiles();
    void histogramCoversAllAnswers();
    void emptyReport();
    void jsonHasTheContractKeys();
    void connectTimeIsSeparated();
    void countsAndStatuses();
    void mixedStatusesAreCounted();
    void concurrencyIsReached();
    void timeoutsAreErrors();
    void serverGoneIsErrors();
    void cancelStopsEarly();
    void checkUrl_data();
    void checkUrl();

private:
    LoadReport load(const QString &pathAndQuery, int requests, int concurrency, int timeoutMs = 0);

    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<ServerHost> m_server;
};

void TestLoadGenerator::initTestCase()
{
    m_recorder = std::make_unique<TraceRecorder>();
    m_server = startTestServer(*m_recorder);
    QVERIFY(m_server);
}

void TestLoadGenerator::cleanupTestCase()
{
    m_server.reset();
}

LoadReport TestLoadGenerator::load(
    const QString &pathAndQuery, int requests, int concurrency, int timeoutMs)
{
    LoadConfig config;
    config.url = m_server->url().resolved(QUrl(pathAndQuery));
    config.requests = requests;
    config.concurrency = concurrency;
    config.timeoutMs = timeoutMs;
    return LoadGenerator(config).run();
}

void TestLoadGenerator::percentiles_data()
{
    QTest::addColumn<QVector<double>>("latencies");
    QTest::addColumn<double>("p");
    QTest::addColumn<double>("expected");
    QVector<double> hundred;
    for (int i = 100; i >= 1; --i) // out of order on purpose
        hundred.append(i);
    QTest::addRow("p50 of 1..100") << hundred << 50.0 << 50.0;
    QTest::addRow("p90 of 1..100") << hundred << 90.0 << 90.0;
    QTest::addRow("p99 of 1..100") << hundred << 99.0 << 99.0;
    QTest::addRow("p100 of 1..100") << hundred << 100.0 << 100.0;
    QTest::addRow("p0 of 1..100") << hundred << 0.0 << 1.0;
    QTest::addRow("p50 of one") << QVector<double> { 7.5 } << 50.0 << 7.5;
    QTest::addRow("p50 of two") << QVector<double> { 10, 20 } << 50.0 << 10.0;
    QTest::addRow("p51 of two") << QVector<double> { 10, 20 } << 51.0 << 20.0;
    QTest::addRow("p90 of ten") << QVector<double> { 5, 1, 9, 3, 7, 2, 8, 4, 6, 10 } << 90.0 << 9.0;
    QTest::addRow("p99 of ten") << QVector<double> { 5, 1, 9, 3, 7, 2, 8, 4, 6, 10 } << 99.0
                                << 10.0;
}

void TestLoadGenerator::percentiles()
{
    QFETCH(QVector<double>, latencies);
    QFETCH(double, p);
    QFETCH(double, expected);
    LoadReport report;
    report.latenciesMs = latencies;
    QCOMPARE(report.percentileMs(p), expected);
}

void TestLoadGenerator::histogramCoversAllAnswers()
{
    LoadReport report;
    for (int i = 1; i <= 100; ++i)
        report.latenciesMs.append(i);
    report.totalS = 2;
    QCOMPARE(report.fastestMs(), 1.0);
    QCOMPARE(report.slowestMs(), 100.0);
    QCOMPARE(report.averageMs(), 50.5);
    QCOMPARE(report.rps(), 50.0);
    const auto buckets = report.histogram(10);
    QCOMPARE(buckets.size(), 10);
    int total = 0;
    for (const auto &bucket : buckets)
        total += bucket.count;
    QCOMPARE(total, 100);
    QCOMPARE(buckets.constLast().upperMs, 100.0);
    QCOMPARE(buckets.constFirst().count, 10); // 1 .. 10.9
}

void TestLoadGenerator::emptyReport()
{
    LoadReport report;
    QCOMPARE(report.percentileMs(50), 0.0);
    QCOMPARE(report.rps(), 0.0);
    QVERIFY(report.histogram().isEmpty());
    QVERIFY(!report.toText().isEmpty());
}

void TestLoadGenerator::jsonHasTheContractKeys()
{
    LoadReport report;
    report.requests = 3;
    report.concurrency = 2;
    report.latenciesMs = { 10, 20, 30 };
    report.statusCounts = { { 200, 2 }, { 503, 1 } };
    report.errorCounts = { { QStringLiteral("Timeout was reached"), 1 } };
    report.totalS = 0.5;
    const QJsonObject json = report.toJson();
    for (const char *key :
        { "requests", "concurrency", "total_s", "rps", "latency_ms", "status", "errors" })
        QVERIFY2(json.contains(QLatin1String(key)), key);
    const QJsonObject latency = json.value(QStringLiteral("latency_ms")).toObject();
    for (const char *key : { "p50", "p90", "p99", "max" })
        QVERIFY2(latency.contains(QLatin1String(key)), key);
    QCOMPARE(latency.value(QStringLiteral("p50")).toDouble(), 20.0);
    QCOMPARE(latency.value(QStringLiteral("max")).toDouble(), 30.0);
    QCOMPARE(
        json.value(QStringLiteral("status")).toObject().value(QStringLiteral("503")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("errors")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("timeouts")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("rps")).toDouble(), 6.0);
}

void TestLoadGenerator::connectTimeIsSeparated()
{
    // The part of each latency spent connecting, and the slowest latency without it.
    LoadReport report;
    report.latenciesMs = { 10, 50, 30 };
    report.connectMs = { 4, 45, 0 };
    QCOMPARE(report.slowestOnConnectionMs(), 30.0); // 10 - 4, 50 - 45, 30 - 0
    QCOMPARE(report.slowestConnectMs(), 45.0);
    QCOMPARE(report.toJson()
                 .value(QStringLiteral("connect_ms"))
                 .toObject()
                 .value(QStringLiteral("max"))
                 .toDouble(),
        45.0);

    // A real run: one figure per answer; four kept-alive connections for 40 requests, so most
    // requests spend nothing connecting.
    const LoadReport run = load(QStringLiteral("/healthz"), 40, 4);
    QCOMPARE(run.connectMs.size(), run.latenciesMs.size());
    const auto connecting = std::count_if(
        run.connectMs.cbegin(), run.connectMs.cend(), [](double ms) { return ms > 0; });
    QVERIFY2(connecting <= 4, qPrintable(QString::number(connecting)));
}

void TestLoadGenerator::countsAndStatuses()
{
    const LoadReport report = load(QStringLiteral("/async-worker?tasks=2&latency_ms=20"), 60, 12);
    QCOMPARE(report.answered(), 60);
    QCOMPARE(report.statusCounts, (QMap<int, int> { { 200, 60 } }));
    QCOMPARE(report.errors(), 0);
    QCOMPARE(report.maxInFlight, 12);
    QVERIFY(report.fastestMs() >= 20);
    // 60 requests of 20 ms, 12 at a time on 5 workers: at least 12 rounds of 20 ms.
    QVERIFY2(report.totalS >= 0.24, qPrintable(QString::number(report.totalS)));
}

void TestLoadGenerator::mixedStatusesAreCounted()
{
    const LoadReport report
        = load(QStringLiteral("/async-worker?tasks=1&latency_ms=1&tasks=2"), 5, 5);
    QCOMPARE(report.statusCounts, (QMap<int, int> { { 400, 5 } })); // tasks given twice
    const LoadReport mixed = load(QStringLiteral("/await-one?latency_ms=1&fail_rate=0.5"), 40, 8);
    QCOMPARE(mixed.answered(), 40);
    QCOMPARE(mixed.statusCounts.value(200) + mixed.statusCounts.value(502), 40);
    QVERIFY(mixed.statusCounts.value(200) > 0);
    QVERIFY(mixed.statusCounts.value(502) > 0);
}

void TestLoadGenerator::concurrencyIsReached()
{
    // The server must see all of them at once, not just the client think it sent them.
    const quint64 before = m_recorder->lastSeq();
    // Each long enough that the last of them starts before the first ends, even under
    // ThreadSanitizer on a busy machine (at 400 ms one run in ten saw 56 at once there).
    const LoadReport report
        = load(QStringLiteral("/async-continuation?tasks=1&latency_ms=1500"), 60, 60);
    QCOMPARE(report.answered(), 60);
    QCOMPARE(report.maxInFlight, 60);
    int open = 0, most = 0;
    for (const TraceEvent &e : m_recorder->eventsSince(before)) {
        if (e.type == TraceEvent::Type::RequestStarted)
            most = std::max(most, ++open);
        else if (e.type == TraceEvent::Type::RequestEnded)
            --open;
    }
    QCOMPARE(most, 60);
    QVERIFY2(
        report.totalS < 2.9, qPrintable(QString::number(report.totalS))); // one round, not several
}

void TestLoadGenerator::timeoutsAreErrors()
{
    const LoadReport report
        = load(QStringLiteral("/async-worker?tasks=1&latency_ms=3000"), 4, 4, 150);
    QCOMPARE(report.answered(), 0);
    QCOMPARE(report.errors(), 4);
    QCOMPARE(report.timeouts(), 4);
}

void TestLoadGenerator::serverGoneIsErrors()
{
    QUrl url;
    {
        TraceRecorder recorder;
        const auto server = startTestServer(recorder);
        QVERIFY(server);
        url = server->url().resolved(QUrl(QStringLiteral("/healthz")));
    }
    LoadConfig config;
    config.url = url;
    config.requests = 10;
    config.concurrency = 3;
    const LoadReport report = LoadGenerator(config).run();
    QCOMPARE(report.answered(), 0);
    QCOMPARE(report.errors(), 10);
    QVERIFY2(report.errorCounts.firstKey().contains(QLatin1String("connect"), Qt::CaseInsensitive),
        qPrintable(report.errorCounts.firstKey()));
}

void TestLoadGenerator::cancelStopsEarly()
{
    LoadConfig config;
    config.url = m_server->url().resolved(
        QUrl(QStringLiteral("/async-continuation?tasks=1&latency_ms=100")));
    config.requests = 1000;
    config.concurrency = 2;
    LoadGenerator generator(config);
    QFuture<LoadReport> running = QtConcurrent::run([&generator] { return generator.run(); });
    QTRY_VERIFY_WITH_TIMEOUT(generator.completed() >= 4, 5000);
    generator.cancel();
    QTRY_VERIFY_WITH_TIMEOUT(running.isFinished(), 5000);
    QVERIFY(running.result().answered() < 1000);
}

void TestLoadGenerator::checkUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("good");
    QTest::addRow("http") << QStringLiteral("http://127.0.0.1:6543/async-worker") << true;
    QTest::addRow("https") << QStringLiteral("https://example.org/") << true;
    QTest::addRow("ftp") << QStringLiteral("ftp://127.0.0.1/") << false;
    QTest::addRow("no scheme") << QStringLiteral("127.0.0.1:6543/") << false;
    QTest::addRow("no host") << QStringLiteral("http:///path") << false;
    QTest::addRow("garbage") << QStringLiteral("not a url") << false;
}

void TestLoadGenerator::checkUrl()
{
    QFETCH(QString, url);
    QFETCH(bool, good);
    QCOMPARE(LoadGenerator::checkUrl(QUrl(url, QUrl::StrictMode)).isEmpty(), good);
}

QTEST_GUILESS_MAIN(TestLoadGenerator)
#include "tst_loadgenerator.moc"
