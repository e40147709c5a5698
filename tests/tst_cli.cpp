// The fanscope executable as people run it: the one "listening on" line, options and their
// errors, the warning when it listens beyond loopback, a clean stop on SIGTERM, `fanscope load`
// and its exit codes, and --run/--screenshot.
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

namespace {

// What a server that was told to stop and did not is doing: its stderr so far and, where gdb is
// installed (the test set-up installs it), every thread's stack. A hang seen once in CI is then
// explained by its log rather than lost.
QByteArray hangReport(QProcess &server)
{
    QByteArray report = "fanscope did not stop within 5 s of being told to; its stderr:\n"
        + server.readAllStandardError();
    const QString gdb = QStandardPaths::findExecutable(QStringLiteral("gdb"));
    if (gdb.isEmpty())
        return report + "\n(no gdb to show its threads)";
    QProcess trace;
    trace.start(gdb,
        { QStringLiteral("-p"), QString::number(server.processId()), QStringLiteral("-batch"),
            QStringLiteral("-ex"), QStringLiteral("thread apply all bt 25") });
    trace.waitForFinished(60000);
    return report + "\nits threads:\n" + trace.readAllStandardOutput()
        + trace.readAllStandardError();
}

} // namespace

// Fails the test, explained, if the server does not end within 5 s.
#define VERIFY_STOPS(server)                                                                       \
    do {                                                                                           \
        if (!(server).waitForFinished(5000))                                                       \
            QFAIL(hangReport(server).constData());                                                 \
    } while (false)

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpAndVersion();
    void badOptionsExitWithUsageError_data();
    void badOptionsExitWithUsageError();
    void headlessServesAndStopsOnSigterm();
    void loopbackByDefaultWithoutWarning();
    void bindBeyondLoopbackWarns();
    void busyPortIsAnError();
    void loadPrintsASummaryAndJson();
    void loadPrintsData();
    void loadExitCodes_data();
    void loadExitCodes();
    void runAndScreenshot_data();
    void runAndScreenshot();

private:
    struct Result
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    static Result runToEnd(const QStringList &arguments, int timeoutMs = 30000,
        const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());
    // Starts a headless server on a free port; returns its base URL.
    static QUrl startServer(QProcess &process, const QStringList &extra = {});
    // The server's fanscope_tasks_in_flight, read from its /metrics; -1 if it could not be read.
    static double tasksInFlight(const QUrl &base);
};

TestCli::Result TestCli::runToEnd(
    const QStringList &arguments, int timeoutMs, const QProcessEnvironment &environment)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(FANSCOPE_BINARY), arguments);
    Result result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QUrl TestCli::startServer(QProcess &process, const QStringList &extra)
{
    process.start(QStringLiteral(FANSCOPE_BINARY),
        QStringList { QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0") }
            + extra);
    if (!process.waitForReadyRead(10000))
        return {};
    const QByteArray line = process.readLine().trimmed();
    const QRegularExpression pattern(
        QStringLiteral("^listening on (http://127\\.0\\.0\\.1:\\d+)$"));
    const auto match = pattern.match(QString::fromUtf8(line));
    return match.hasMatch() ? QUrl(match.captured(1)) : QUrl();
}

double TestCli::tasksInFlight(const QUrl &base)
{
    QTcpSocket socket;
    socket.connectToHost(base.host(), quint16(base.port()));
    if (!socket.waitForConnected(2000))
        return -1;
    socket.write("GET /metrics HTTP/1.1\r\nHost: " + base.authority().toLatin1()
        + "\r\nConnection: close\r\n\r\n");
    QByteArray response;
    while (socket.waitForReadyRead(2000))
        response += socket.readAll();
    const auto match = QRegularExpression(QStringLiteral("\nfanscope_tasks_in_flight ([0-9.]+)"))
                           .match(QString::fromLatin1(response));
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

void TestCli::helpAndVersion()
{
    const Result help = runToEnd({ QStringLiteral("--help") });
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("Usage: fanscope"));
    for (const char *option : { "--headless", "--port", "--bind", "--workers", "--loop-threads",
             "--pool-threads", "--max-queue", "--upstream", "--run", "--screenshot" })
        QVERIFY2(help.out.contains(option), option);
    const Result version = runToEnd({ QStringLiteral("--version") });
    QCOMPARE(version.exitCode, 0);
    QVERIFY(version.out.startsWith("fanscope " FANSCOPE_VERSION));
    const Result loadHelp = runToEnd({ QStringLiteral("load"), QStringLiteral("--help") });
    QCOMPARE(loadHelp.exitCode, 0);
    QVERIFY(loadHelp.out.contains("fanscope load"));
}

void TestCli::badOptionsExitWithUsageError_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("mentions");
    QTest::addRow("port text") << QStringList { QStringLiteral("--port"), QStringLiteral("abc") }
                               << QByteArray("--port");
    QTest::addRow("port too big") << QStringList { QStringLiteral("--port"),
        QStringLiteral("70000") } << QByteArray("--port");
    QTest::addRow("no workers") << QStringList { QStringLiteral("--workers"), QStringLiteral("0") }
                                << QByteArray("--workers");
    QTest::addRow("bad bind") << QStringList { QStringLiteral("--bind"), QStringLiteral("nowhere") }
                              << QByteArray("--bind");
    QTest::addRow("bad upstream") << QStringList { QStringLiteral("--upstream"),
        QStringLiteral("ftp://x") }
                                  << QByteArray("--upstream");
    QTest::addRow("unknown") << QStringList { QStringLiteral("--frobnicate") }
                             << QByteArray("frobnicate");
    QTest::addRow("screenshot alone") << QStringList { QStringLiteral("--screenshot"),
        QStringLiteral("x.png") } << QByteArray("--run");
    QTest::addRow("run not a route") << QStringList { QStringLiteral("--port"), QStringLiteral("0"),
        QStringLiteral("--run"), QStringLiteral("/nope") }
                                     << QByteArray("/nope");
    QTest::addRow("run bad query") << QStringList { QStringLiteral("--port"), QStringLiteral("0"),
        QStringLiteral("--run"), QStringLiteral("/async-worker?tasks=-1") }
                                   << QByteArray("tasks");
}

void TestCli::badOptionsExitWithUsageError()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, mentions);
    const Result result = runToEnd(arguments);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.contains(mentions), result.err.constData());
    QVERIFY(result.out.isEmpty());
}

void TestCli::headlessServesAndStopsOnSigterm()
{
    QProcess server;
    const QUrl base = startServer(server);
    QVERIFY2(base.isValid() && base.port() > 0, server.readAllStandardError().constData());
    const Result load = runToEnd({ QStringLiteral("load"), QStringLiteral("-n"),
        QStringLiteral("3"), base.resolved(QUrl(QStringLiteral("/healthz"))).toString() });
    QCOMPARE(load.exitCode, 0);
    // Exactly one line on stdout, even after serving.
    QCOMPARE(server.readAllStandardOutput(), QByteArray());

    // A request in flight does not hold up the stop.
    QProcess client;
    client.start(QStringLiteral(FANSCOPE_BINARY),
        { QStringLiteral("load"),
            base.resolved(QUrl(QStringLiteral("/async-worker?latency_ms=20000&timeout_ms=20000")))
                .toString() });
    QVERIFY(client.waitForStarted());
    // Its tasks are running: the request reached the server (a slow start under a sanitizer
    // took longer than a fixed wait).
    QTRY_VERIFY_WITH_TIMEOUT(tasksInFlight(base) > 0, 10000);
    QElapsedTimer clock;
    clock.start();
    ::kill(pid_t(server.processId()), SIGTERM);
    VERIFY_STOPS(server);
    QVERIFY2(clock.elapsed() < 1500, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 0);
    QVERIFY(client.waitForFinished(5000));
    QCOMPARE(client.exitCode(),
        0); // answered: its view was cut short, the answer sent before the server went
}

void TestCli::loopbackByDefaultWithoutWarning()
{
    QProcess server;
    const QUrl base = startServer(server); // checks for http://127.0.0.1:PORT
    QVERIFY(base.isValid());
    server.terminate();
    VERIFY_STOPS(server);
    const QByteArray err = server.readAllStandardError();
    QVERIFY2(!err.contains("warning"), err.constData());
}

void TestCli::bindBeyondLoopbackWarns()
{
    QProcess server;
    server.start(QStringLiteral(FANSCOPE_BINARY),
        { QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"),
            QStringLiteral("--bind"), QStringLiteral("0.0.0.0") });
    QVERIFY(server.waitForReadyRead(10000));
    QVERIFY(server.readLine().startsWith("listening on http://0.0.0.0:"));
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).contains('\n'), 5000);
    QVERIFY2(err.startsWith("fanscope: warning: listening on 0.0.0.0, beyond loopback"),
        err.constData());
    QVERIFY(err.contains("--bind 127.0.0.1"));
    // Still exactly one line on stdout.
    server.terminate();
    VERIFY_STOPS(server);
    QCOMPARE(server.readAllStandardOutput(), QByteArray());
}

void TestCli::busyPortIsAnError()
{
    QProcess first;
    const QUrl base = startServer(first);
    QVERIFY(base.isValid());
    const Result second = runToEnd(
        { QStringLiteral("--headless"), QStringLiteral("--port"), QString::number(base.port()) });
    QCOMPARE(second.exitCode, 1);
    QVERIFY(second.err.contains("cannot listen"));
    first.terminate();
    VERIFY_STOPS(first);
}

void TestCli::loadPrintsASummaryAndJson()
{
    QProcess server;
    const QUrl base = startServer(server);
    QVERIFY(base.isValid());
    const Result result = runToEnd({ QStringLiteral("load"), QStringLiteral("-n"),
        QStringLiteral("20"), QStringLiteral("-c"), QStringLiteral("5"), QStringLiteral("--json"),
        base.resolved(QUrl(QStringLiteral("/async-worker?tasks=3&latency_ms=10"))).toString() });
    QCOMPARE(result.exitCode, 0);
    for (const char *part : { "Summary:", "Requests/sec:", "Latency distribution:", "50% in",
             "Status code distribution:", "[200]\t20 responses" })
        QVERIFY2(result.out.contains(part), part);
    const QList<QByteArray> lines = result.out.trimmed().split('\n');
    const QJsonObject json = QJsonDocument::fromJson(lines.constLast()).object();
    QCOMPARE(json.value(QStringLiteral("requests")).toInt(), 20);
    QCOMPARE(json.value(QStringLiteral("concurrency")).toInt(), 5);
    QCOMPARE(
        json.value(QStringLiteral("status")).toObject().value(QStringLiteral("200")).toInt(), 20);
    QCOMPARE(json.value(QStringLiteral("errors")).toInt(), 0);
    QVERIFY(
        json.value(QStringLiteral("latency_ms")).toObject().value(QStringLiteral("p50")).toDouble()
        >= 10);
    QVERIFY(json.value(QStringLiteral("total_s")).toDouble() > 0);
    QVERIFY(json.value(QStringLiteral("rps")).toDouble() > 0);
    server.terminate();
    VERIFY_STOPS(server);
}

void TestCli::loadPrintsData()
{
    QProcess server;
    const QUrl base = startServer(server);
    QVERIFY(base.isValid());
    const Result result = runToEnd({ QStringLiteral("load"), QStringLiteral("-n"),
        QStringLiteral("2"), QStringLiteral("--print"),
        base.resolved(QUrl(QStringLiteral("/async-worker?tasks=2&latency_ms=1&seed=3")))
            .toString() });
    QCOMPARE(result.exitCode, 0);
    const QList<QByteArray> lines = result.out.split('\n');
    QCOMPARE(lines.count(lines.constFirst()), 2); // same seed, same data, one line per response
    QVERIFY(lines.constFirst().startsWith("[{\"account-0\":"));
    server.terminate();
    VERIFY_STOPS(server);
}

void TestCli::loadExitCodes_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("mentions");
    QTest::addRow("no url") << QStringList {} << 2 << QByteArray("URL");
    QTest::addRow("bad url") << QStringList { QStringLiteral("ftp://127.0.0.1/") } << 2
                             << QByteArray("http");
    QTest::addRow("bad -n") << QStringList { QStringLiteral("-n"), QStringLiteral("zero"),
        QStringLiteral("http://127.0.0.1:1/") }
                            << 2 << QByteArray("-n");
    QTest::addRow("bad -c") << QStringList { QStringLiteral("-c"), QStringLiteral("0"),
        QStringLiteral("http://127.0.0.1:1/") }
                            << 2 << QByteArray("-c");
    QTest::addRow("refused") << QStringList { QStringLiteral("-n"), QStringLiteral("3"),
        QStringLiteral("http://127.0.0.1:1/") }
                             << 1 << QByteArray("no request was answered");
}

void TestCli::loadExitCodes()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, mentions);
    const Result result = runToEnd(QStringList { QStringLiteral("load") } + arguments);
    QCOMPARE(result.exitCode, exitCode);
    QVERIFY2(result.err.contains(mentions), result.err.constData());
}

void TestCli::runAndScreenshot_data()
{
    QTest::addColumn<int>("scale");
    QTest::addRow("1x") << 1;
    QTest::addRow("2x") << 2;
}

void TestCli::runAndScreenshot()
{
    QFETCH(int, scale);
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("shot.png"));
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_SCALE_FACTOR"), QString::number(scale));
    // Settings would go here: a scripted run must leave none.
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    const Result result
        = runToEnd({ QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--run"),
                       QStringLiteral("/async-worker?tasks=5&latency_ms=50"),
                       QStringLiteral("--screenshot"), file },
            30000, environment);
    QVERIFY2(result.exitCode == 0, result.err.constData());
    const QRegularExpression saved(QStringLiteral(
        "screenshot saved to (.+) \\((\\d+)x(\\d+) window at device pixel ratio ([0-9.]+)\\)"));
    const QRegularExpressionMatch match = saved.match(QString::fromUtf8(result.out));
    QVERIFY2(match.hasMatch(), result.out.constData());
    QCOMPARE(match.captured(1), file);
    QCOMPARE(match.captured(4).toDouble(), double(scale));
    // The window's own size, not one restored from settings, in device pixels.
    const QSize window(match.captured(2).toInt(), match.captured(3).toInt());
    QCOMPARE(window, QSize(1320, 780));
    const QImage image(file);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), window * scale);
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("config"))));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
