// The fanscope executable stopped as people stop it, with load in flight: SIGTERM or Ctrl+C
// (SIGINT), headless or with its window. It stops accepting, gives up on what runs, answers every
// client (503 to those still waiting for a worker, the cut-short answer to those running), and
// exits 0 well within a second; no client is left waiting.
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

#include <csignal>
#include <memory>
#include <vector>

class TestShutdown : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stopsUnderLoad_data();
    void stopsUnderLoad();

private:
    QByteArray get(const QUrl &url);
    double metric(const QUrl &base, const QString &name);
    int requestsStarted(const QUrl &base, const QString &route);

    QNetworkAccessManager m_network;
};

namespace {

struct Load {
    QString path;
    int requests;
    bool holdsWorker;
};

// Fifty at once: five run on the five workers, the other forty wait in the queue; ten more hold
// no worker. Timers, blocking pool calls, CPU work and real HTTP calls to the upstream.
const std::vector<Load> Loads = {
    { QStringLiteral("/thread-pool?latency_ms=10000&timeout_ms=20000"), 15, true },
    { QStringLiteral("/async-worker?latency_ms=10000&timeout_ms=20000"), 15, true },
    { QStringLiteral("/async-worker?tasks=2&latency_ms=10000&timeout_ms=20000&kind=cpu"), 5, true },
    { QStringLiteral("/thread-pool?tasks=2&latency_ms=10000&timeout_ms=20000&kind=cpu"), 5, true },
    { QStringLiteral("/async-continuation?tasks=3&latency_ms=10000&timeout_ms=20000&kind=http"), 10, false },
};
constexpr int Workers = 5; // fanscope's default

} // namespace

QByteArray TestShutdown::get(const QUrl &url)
{
    QNetworkReply *reply = m_network.get(QNetworkRequest(url));
    if (!reply->isFinished())
        QSignalSpy(reply, &QNetworkReply::finished).wait(10000);
    reply->deleteLater();
    return reply->readAll();
}

double TestShutdown::metric(const QUrl &base, const QString &name)
{
    const QString text = QString::fromUtf8(get(base.resolved(QUrl(QStringLiteral("/metrics")))));
    const auto match = QRegularExpression(QLatin1Char('^') + name + QStringLiteral(" (\\S+)$"), QRegularExpression::MultilineOption).match(text);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

int TestShutdown::requestsStarted(const QUrl &base, const QString &route)
{
    const QJsonArray events = QJsonDocument::fromJson(get(base.resolved(QUrl(QStringLiteral("/api/events?since=0")))))
                                  .object().value(QStringLiteral("events")).toArray();
    return int(std::count_if(events.begin(), events.end(), [&route](const QJsonValue &e) {
        return e[QStringLiteral("type")].toString() == QLatin1String("request_start") && e[QStringLiteral("route")].toString() == route;
    }));
}

void TestShutdown::stopsUnderLoad_data()
{
    QTest::addColumn<bool>("headless");
    QTest::addColumn<int>("signal");
    QTest::addRow("headless, SIGTERM") << true << int(SIGTERM);
    QTest::addRow("headless, Ctrl+C") << true << int(SIGINT);
    QTest::addRow("window, SIGTERM") << false << int(SIGTERM);
    QTest::addRow("window, Ctrl+C") << false << int(SIGINT);
}

void TestShutdown::stopsUnderLoad()
{
    QFETCH(bool, headless);
    QFETCH(int, signal);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    QProcess server;
    server.setProcessEnvironment(environment);
    QStringList arguments { QStringLiteral("--port"), QStringLiteral("0") };
    if (headless)
        arguments.prepend(QStringLiteral("--headless"));
    server.start(QStringLiteral(FANSCOPE_BINARY), arguments);
    QVERIFY(server.waitForReadyRead(10000));
    const auto listening = QRegularExpression(QStringLiteral("^listening on (http://\\S+)$")).match(QString::fromUtf8(server.readLine().trimmed()));
    QVERIFY(listening.hasMatch());
    const QUrl base(listening.captured(1));

    std::vector<std::unique_ptr<QProcess>> clients;
    int waitingForWorkers = -Workers;
    int continuations = 0;
    for (const Load &load : Loads) {
        auto client = std::make_unique<QProcess>();
        client->start(QStringLiteral(FANSCOPE_BINARY), { QStringLiteral("load"), QStringLiteral("--json"), QStringLiteral("-n"), QString::number(load.requests), base.resolved(QUrl(load.path)).toString() });
        clients.push_back(std::move(client));
        if (load.holdsWorker)
            waitingForWorkers += load.requests;
        else
            continuations += load.requests;
    }
    // Everything is in: every worker busy, the rest queued, every continuation started.
    QTRY_COMPARE_WITH_TIMEOUT(metric(base, QStringLiteral("fanscope_busy_workers")), double(Workers), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(metric(base, QStringLiteral("fanscope_queue_depth")), double(waitingForWorkers), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(requestsStarted(base, QStringLiteral("/async-continuation")), continuations, 10000);

    QElapsedTimer clock;
    clock.start();
    ::kill(pid_t(server.processId()), signal);
    QVERIFY(server.waitForFinished(10000));
    const qint64 stoppedMs = clock.elapsed();
    qInfo("stopped in %lld ms", stoppedMs);
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 0);
    QVERIFY2(stoppedMs < 2000, qPrintable(QStringLiteral("stopped in %1 ms").arg(stoppedMs)));
    const QByteArray errors = server.readAllStandardError();
    QVERIFY2(!errors.contains("QObject") && !errors.contains("QThread"), errors.constData()); // no complaint about threads or objects left behind

    // No client waits: each has its answers at once (their tasks would take ten seconds).
    QMap<QString, int> statuses;
    int failed = 0;
    QByteArray failures; // what went wrong, in the load's own words
    for (const auto &client : clients) {
        QVERIFY(client->waitForFinished(5000));
        const QJsonObject report = QJsonDocument::fromJson(client->readAllStandardOutput().trimmed().split('\n').constLast()).object();
        const QJsonObject status = report.value(QStringLiteral("status")).toObject();
        for (auto it = status.begin(); it != status.end(); ++it)
            statuses[it.key()] += it.value().toInt();
        failed += report.value(QStringLiteral("errors")).toInt();
        if (report.value(QStringLiteral("errors")).toInt() > 0)
            failures += QJsonDocument(report.value(QStringLiteral("error_kinds")).toObject()).toJson(QJsonDocument::Compact) + ' ';
    }
    QVERIFY2(clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
    // Those running got their answer, cut short; those waiting for a worker a 503; none a closed
    // connection.
    QVERIFY2(failed == 0, failures.constData());
    QCOMPARE(statuses.value(QStringLiteral("200")), Workers + continuations);
    QCOMPARE(statuses.value(QStringLiteral("503")), waitingForWorkers);
    QCOMPARE(statuses.size(), 2);
}

QTEST_GUILESS_MAIN(TestShutdown)
#include "tst_shutdown.moc"
