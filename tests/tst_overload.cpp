// Far more blocking requests at once than the server takes: at most --workers run, at most
// --max-queue wait, the rest are answered 503 with Retry-After at once. Every client gets an
// answer, none hangs or is dropped, and the server is idle and healthy afterwards.
#include "loadgenerator.h"
#include "serverhost.h"
#include "servermetrics.h"
#include "tracerecorder.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QtTest>

class TestOverload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void overloadIsTurnedAwayAtOnce();

private:
    QByteArray get(const QString &path, int *status = nullptr);
    double metric(const QString &sample);
    // Most requests the trace shows running at one time.
    int mostRunningAtOnce(quint64 seq) const;

    static constexpr int Workers = 2;
    static constexpr int MaxQueue = 4;
    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<ServerHost> m_server;
    QNetworkAccessManager m_network;
};

void TestOverload::initTestCase()
{
    m_recorder = std::make_unique<TraceRecorder>();
    ServerOptions options;
    options.port = 0;
    options.workers = Workers;
    options.maxQueue = MaxQueue;
    m_server = std::make_unique<ServerHost>(*m_recorder, options);
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

void TestOverload::cleanupTestCase()
{
    m_server.reset();
}

QByteArray TestOverload::get(const QString &path, int *status)
{
    QNetworkReply *reply = m_network.get(QNetworkRequest(m_server->url().resolved(QUrl(path))));
    if (!reply->isFinished())
        QSignalSpy(reply, &QNetworkReply::finished).wait(10000);
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->deleteLater();
    return reply->readAll();
}

double TestOverload::metric(const QString &sample)
{
    const QString text = QString::fromUtf8(get(QStringLiteral("/metrics")));
    const QRegularExpression line(QLatin1Char('^') + QRegularExpression::escape(sample) + QStringLiteral(" (\\S+)$"),
        QRegularExpression::MultilineOption);
    const auto match = line.match(text);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

int TestOverload::mostRunningAtOnce(quint64 seq) const
{
    // Events are in the order they happened: a worker records its request's end before it can
    // start the next.
    int running = 0;
    int most = 0;
    for (const TraceEvent &e : m_recorder->eventsSince(seq)) {
        if (e.type == TraceEvent::Type::RequestStarted)
            most = std::max(most, ++running);
        else if (e.type == TraceEvent::Type::RequestEnded)
            --running;
    }
    return most;
}

void TestOverload::overloadIsTurnedAwayAtOnce()
{
    constexpr int Clients = 300;
    const quint64 seq = m_recorder->lastSeq();
    LoadConfig config;
    config.url = m_server->url().resolved(QUrl(QStringLiteral("/async-worker?tasks=1&latency_ms=200")));
    config.requests = Clients;
    config.concurrency = Clients; // all at once, each on a connection of its own
    config.timeoutMs = 30000; // a client left hanging shows as an error, not as a stuck test
    LoadGenerator generator(config);
    // When each status came back, from the start of the run.
    QElapsedTimer clock;
    QMap<int, qint64> slowestMs;
    clock.start();
    const LoadReport report = generator.run([&](int status, const QByteArray &) {
        slowestMs[status] = std::max(slowestMs.value(status), clock.elapsed());
    });
    const QString summary = QStringLiteral("%1 ok, %2 refused, %3 errors; slowest 200 at %4 ms, slowest 503 at %5 ms")
                                .arg(report.statusCounts.value(200)).arg(report.statusCounts.value(503)).arg(report.errors())
                                .arg(slowestMs.value(200)).arg(slowestMs.value(503));
    qInfo("%s", qPrintable(summary));

    // Every client got an answer, and only these two.
    QCOMPARE(report.answered(), Clients);
    QCOMPARE(report.errors(), 0);
    QCOMPARE(report.statusCounts.value(200) + report.statusCounts.value(503), Clients);
    // Two workers take ten 200 ms requests a second: most of 300 sent at once are turned away.
    QVERIFY2(report.statusCounts.value(200) >= Workers, qPrintable(summary));
    QVERIFY2(report.statusCounts.value(503) >= Clients / 2, qPrintable(summary));
    // Turned away at once: a 503 does not wait for a worker. Queued without bound, the last of
    // them would have waited 300 / 2 x 200 ms = 30 s.
    QVERIFY2(slowestMs.value(503) < 3000, qPrintable(summary));
    // Never more views at once than workers, nor more waiting than the queue holds: what was
    // let in is what the workers and the queue hold, plus what the workers finished while
    // requests kept arriving (two every 200 ms; the last 503 tells roughly when they stopped).
    QCOMPARE(mostRunningAtOnce(seq), Workers);
    const int admitted = report.statusCounts.value(200);
    QVERIFY2(admitted <= Workers + MaxQueue + Workers * int(1 + slowestMs.value(503) / 200), qPrintable(summary));

    // The server is healthy and idle again. (That a refusal says Retry-After, tst_httproutes
    // checks: this client does not see headers.)
    int status = 0;
    QCOMPARE(get(QStringLiteral("/healthz"), &status), QByteArray("ok"));
    QCOMPARE(status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(metric(QStringLiteral("fanscope_busy_workers")), 0.0, 5000);
    QCOMPARE(metric(QStringLiteral("fanscope_queue_depth")), 0.0);
    QCOMPARE(metric(QStringLiteral("fanscope_http_requests_total{route=\"/async-worker\",code=\"503\"}")), double(report.statusCounts.value(503)));
    QCOMPARE(metric(QStringLiteral("fanscope_http_requests_total{route=\"/async-worker\",code=\"200\"}")), double(report.statusCounts.value(200)));
    // How long the server's thread was kept from its clients: one histogram of every turn.
    const double turns = metric(QStringLiteral("fanscope_server_thread_turn_seconds_count"));
    QVERIFY2(turns > 0, qPrintable(QString::number(turns)));
    QVERIFY(metric(QStringLiteral("fanscope_server_thread_longest_turn_seconds")) > 0);
    // And takes requests as before.
    get(QStringLiteral("/async-worker?tasks=1&latency_ms=1"), &status);
    QCOMPARE(status, 200);
}

QTEST_GUILESS_MAIN(TestOverload)
#include "tst_overload.moc"
