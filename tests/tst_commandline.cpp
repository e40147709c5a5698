// CommandLine::parse against PRODUCT.md's "Command line" table.
#include "commandline.h"

#include <QtTest>

namespace {

QStringList args(const QStringList &rest)
{
    return QStringList { QStringLiteral("fanscope") } + rest;
}

QString describe(const CommandLine &result)
{
    return QStringLiteral("exitCode %1, output: %2")
        .arg(result.exitCode ? QString::number(*result.exitCode) : QStringLiteral("none"),
            result.output);
}

} // namespace

class TestCommandLine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void traceEvents();
    void upstreamConnections();
    void maxExports();
    void validOptions_data();
    void validOptions();
    void help_data();
    void help();
    void version();
    void badUsage_data();
    void badUsage();
    void accessOptions();
};

void TestCommandLine::defaults()
{
    const CommandLine result = CommandLine::parse(args({}));
    QVERIFY2(!result.exitCode, qPrintable(describe(result)));
    const AppOptions &options = result.options;
    QCOMPARE(options.headless, false);
    QCOMPARE(options.server.port, quint16(6543));
    QCOMPARE(options.server.address, QHostAddress(QStringLiteral("127.0.0.1")));
    QCOMPARE(options.server.workers, 5);
    QCOMPARE(options.server.loopThreads, 1);
    QCOMPARE(options.server.maxQueue, 100);
    QCOMPARE(options.traceEvents, 500000);
    QCOMPARE(options.server.maxExports, 2);
    QCOMPARE(options.server.maxConnections, 2000);
}

void TestCommandLine::traceEvents()
{
    const CommandLine small = CommandLine::parse(args({ QStringLiteral("--trace-events"), QStringLiteral("1000") }));
    QVERIFY2(!small.exitCode, qPrintable(describe(small)));
    QCOMPARE(small.options.traceEvents, 1000);
    const CommandLine large = CommandLine::parse(args({ QStringLiteral("--trace-events=20000000") }));
    QVERIFY2(!large.exitCode, qPrintable(describe(large)));
    QCOMPARE(large.options.traceEvents, 20000000);
}

void TestCommandLine::upstreamConnections()
{
    QCOMPARE(CommandLine::parse(args({})).options.server.upstreamConnections, 10);
    const CommandLine one = CommandLine::parse(
        args({ QStringLiteral("--upstream-connections"), QStringLiteral("1") }));
    QVERIFY2(!one.exitCode, qPrintable(describe(one)));
    QCOMPARE(one.options.server.upstreamConnections, 1);
    const CommandLine many
        = CommandLine::parse(args({ QStringLiteral("--upstream-connections=1000") }));
    QVERIFY2(!many.exitCode, qPrintable(describe(many)));
    QCOMPARE(many.options.server.upstreamConnections, 1000);
}

void TestCommandLine::maxExports()
{
    const CommandLine one = CommandLine::parse(args({ QStringLiteral("--max-exports"), QStringLiteral("1") }));
    QVERIFY2(!one.exitCode, qPrintable(describe(one)));
    QCOMPARE(one.options.server.maxExports, 1);
    const CommandLine most = CommandLine::parse(args({ QStringLiteral("--max-exports=64") }));
    QVERIFY2(!most.exitCode, qPrintable(describe(most)));
    QCOMPARE(most.options.server.maxExports, 64);
}

void TestCommandLine::validOptions_data()
{
    QTest::addColumn<QStringList>("arguments"); // after argv[0]
    QTest::addColumn<bool>("headless");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("workers");
    QTest::addColumn<int>("loopThreads");
    QTest::addColumn<int>("maxQueue");

    const QString local = QStringLiteral("127.0.0.1");
    QTest::addRow("--headless") << QStringList { QStringLiteral("--headless") } << true << 6543
                                << local << 5 << 1 << 100;
    QTest::addRow("--port 0 (a free one)")
        << QStringList { QStringLiteral("--port"), QStringLiteral("0") } << false << 0 << local << 5
        << 1 << 100;
    QTest::addRow("--port 1") << QStringList { QStringLiteral("--port"), QStringLiteral("1") }
                              << false << 1 << local << 5 << 1 << 100;
    QTest::addRow("--port 65535") << QStringList { QStringLiteral("--port"),
        QStringLiteral("65535") } << false
                                  << 65535 << local << 5 << 1 << 100;
    QTest::addRow("--port=8080") << QStringList { QStringLiteral("--port=8080") } << false << 8080
                                 << local << 5 << 1 << 100;
    QTest::addRow("--bind 0.0.0.0")
        << QStringList { QStringLiteral("--bind"), QStringLiteral("0.0.0.0") } << false << 6543
        << QStringLiteral("0.0.0.0") << 5 << 1 << 100;
    QTest::addRow("--bind 192.168.1.20")
        << QStringList { QStringLiteral("--bind"), QStringLiteral("192.168.1.20") } << false << 6543
        << QStringLiteral("192.168.1.20") << 5 << 1 << 100;
    QTest::addRow("--bind localhost")
        << QStringList { QStringLiteral("--bind"), QStringLiteral("localhost") } << false << 6543
        << local << 5 << 1 << 100;
    QTest::addRow("--bind ::1") << QStringList { QStringLiteral("--bind"), QStringLiteral("::1") }
                                << false << 6543 << QStringLiteral("::1") << 5 << 1 << 100;
    QTest::addRow("--bind=::1") << QStringList { QStringLiteral("--bind=::1") } << false << 6543
                                << QStringLiteral("::1") << 5 << 1 << 100;
    QTest::addRow("--bind ::") << QStringList { QStringLiteral("--bind"), QStringLiteral("::") }
                               << false << 6543 << QStringLiteral("::") << 5 << 1 << 100;
    QTest::addRow("--workers 1") << QStringList { QStringLiteral("--workers"), QStringLiteral("1") }
                                 << false << 6543 << local << 1 << 1 << 100;
    QTest::addRow("--workers 64") << QStringList { QStringLiteral("--workers"),
        QStringLiteral("64") } << false
                                  << 6543 << local << 64 << 1 << 100;
    QTest::addRow("--loop-threads 1")
        << QStringList { QStringLiteral("--loop-threads"), QStringLiteral("1") } << false << 6543
        << local << 5 << 1 << 100;
    QTest::addRow("--loop-threads 4")
        << QStringList { QStringLiteral("--loop-threads"), QStringLiteral("4") } << false << 6543
        << local << 5 << 4 << 100;
    QTest::addRow("--max-queue 0")
        << QStringList { QStringLiteral("--max-queue"), QStringLiteral("0") } << false << 6543
        << local << 5 << 1 << 0;
    QTest::addRow("--max-queue 5000")
        << QStringList { QStringLiteral("--max-queue"), QStringLiteral("5000") } << false << 6543
        << local << 5 << 1 << 5000;
    QTest::addRow("everything") << QStringList { QStringLiteral("--headless"),
        QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--bind"),
        QStringLiteral("::1"), QStringLiteral("--workers"), QStringLiteral("8"),
        QStringLiteral("--loop-threads"), QStringLiteral("2"), QStringLiteral("--max-queue"),
        QStringLiteral("10") } << true
                                << 0 << QStringLiteral("::1") << 8 << 2 << 10;
    QTest::addRow("everything, other order") << QStringList { QStringLiteral("--max-queue=10"),
        QStringLiteral("--loop-threads=2"), QStringLiteral("--workers=8"),
        QStringLiteral("--bind=::1"), QStringLiteral("--port=0"), QStringLiteral("--headless") }
                                             << true << 0 << QStringLiteral("::1") << 8 << 2 << 10;
}

void TestCommandLine::validOptions()
{
    QFETCH(QStringList, arguments);
    QFETCH(bool, headless);
    QFETCH(int, port);
    QFETCH(QString, address);
    QFETCH(int, workers);
    QFETCH(int, loopThreads);
    QFETCH(int, maxQueue);

    const CommandLine result = CommandLine::parse(args(arguments));
    QVERIFY2(!result.exitCode, qPrintable(describe(result)));
    const AppOptions &options = result.options;
    QCOMPARE(options.headless, headless);
    QCOMPARE(int(options.server.port), port);
    QCOMPARE(options.server.address, QHostAddress(address));
    QVERIFY(!options.server.address.isNull());
    QCOMPARE(options.server.workers, workers);
    QCOMPARE(options.server.loopThreads, loopThreads);
    QCOMPARE(options.server.maxQueue, maxQueue);
}

void TestCommandLine::help_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addRow("--help") << QStringList { QStringLiteral("--help") };
    QTest::addRow("-h") << QStringList { QStringLiteral("-h") };
    QTest::addRow("--help with other options")
        << QStringList { QStringLiteral("--port"), QStringLiteral("80"), QStringLiteral("--help") };
}

void TestCommandLine::help()
{
    QFETCH(QStringList, arguments);
    const CommandLine result = CommandLine::parse(args(arguments));
    QVERIFY2(result.exitCode.has_value(), qPrintable(describe(result)));
    QCOMPARE(*result.exitCode, 0);
    QVERIFY2(result.output.contains(QLatin1String("Usage: fanscope")), qPrintable(result.output));
    // Every option of the contract's table that the parser knows is described.
    for (const char *option : { "--headless", "--port", "--bind", "--workers", "--loop-threads",
             "--max-queue", "--help", "--version" })
        QVERIFY2(result.output.contains(QLatin1String(option)), option);
}

void TestCommandLine::version()
{
    const CommandLine result = CommandLine::parse(args({ QStringLiteral("--version") }));
    QVERIFY2(result.exitCode.has_value(), qPrintable(describe(result)));
    QCOMPARE(*result.exitCode, 0);
    QVERIFY2(result.output.contains(QStringLiteral(FANSCOPE_VERSION)), qPrintable(result.output));
    QVERIFY2(result.output.contains(QLatin1String("fanscope")), qPrintable(result.output));
    QVERIFY(!result.output.contains(QLatin1String("Usage:")));
}

void TestCommandLine::badUsage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("mentions");

    const auto row = [](const char *tag, const QStringList &arguments, const char *mentions) {
        QTest::addRow("%s", tag) << arguments << QString::fromLatin1(mentions);
    };
    const QString port = QStringLiteral("--port");
    row("port 70000", { port, QStringLiteral("70000") }, "port");
    row("port 65536", { port, QStringLiteral("65536") }, "port");
    row("port -1", { port, QStringLiteral("-1") }, "port");
    row("port abc", { port, QStringLiteral("abc") }, "port");
    row("port empty", { port, QString() }, "port");
    row("port 1.5", { port, QStringLiteral("1.5") }, "port");
    row("port 4294967297", { port, QStringLiteral("4294967297") }, "port"); // 2^32 + 1
    row("port without value", { port }, "port");
    row("workers 0", { QStringLiteral("--workers"), QStringLiteral("0") }, "workers");
    row("workers -3", { QStringLiteral("--workers"), QStringLiteral("-3") }, "workers");
    row("workers abc", { QStringLiteral("--workers"), QStringLiteral("abc") }, "workers");
    row("workers without value", { QStringLiteral("--workers") }, "workers");
    row("loop-threads -1", { QStringLiteral("--loop-threads"), QStringLiteral("-1") },
        "loop-threads");
    row("loop-threads 0", { QStringLiteral("--loop-threads"), QStringLiteral("0") },
        "loop-threads");
    row("loop-threads two", { QStringLiteral("--loop-threads"), QStringLiteral("two") },
        "loop-threads");
    row("max-queue -1", { QStringLiteral("--max-queue"), QStringLiteral("-1") }, "max-queue");
    row("max-queue lots", { QStringLiteral("--max-queue"), QStringLiteral("lots") }, "max-queue");
    row("trace-events 999", { QStringLiteral("--trace-events"), QStringLiteral("999") }, "trace-events");
    row("trace-events too many", { QStringLiteral("--trace-events"), QStringLiteral("20000001") }, "trace-events");
    row("trace-events lots", { QStringLiteral("--trace-events"), QStringLiteral("lots") }, "trace-events");
    row("upstream-connections 0", { QStringLiteral("--upstream-connections"), QStringLiteral("0") },
        "upstream-connections");
    row("upstream-connections 1001",
        { QStringLiteral("--upstream-connections"), QStringLiteral("1001") },
        "upstream-connections");
    row("upstream-connections few",
        { QStringLiteral("--upstream-connections"), QStringLiteral("few") },
        "upstream-connections");
    row("max-connections 0", { QStringLiteral("--max-connections"), QStringLiteral("0") }, "max-connections");
    row("max-connections lots", { QStringLiteral("--max-connections"), QStringLiteral("lots") }, "max-connections");
    row("max-exports 0", { QStringLiteral("--max-exports"), QStringLiteral("0") }, "max-exports");
    row("max-exports 65", { QStringLiteral("--max-exports"), QStringLiteral("65") }, "max-exports");
    row("bind not-an-ip", { QStringLiteral("--bind"), QStringLiteral("not-an-ip") }, "bind");
    row("bind 999.1.1.1", { QStringLiteral("--bind"), QStringLiteral("999.1.1.1") }, "bind");
    row("bind with port", { QStringLiteral("--bind"), QStringLiteral("127.0.0.1:80") }, "bind");
    row("bind empty", { QStringLiteral("--bind"), QString() }, "bind");
    row("bind without value", { QStringLiteral("--bind") }, "bind");
    row("allow-host with a path", { QStringLiteral("--allow-host"), QStringLiteral("fanscope.lan/x") }, "allow-host");
    row("allow-host empty port", { QStringLiteral("--allow-host"), QStringLiteral("fanscope.lan:") }, "allow-host");
    row("allow-host without value", { QStringLiteral("--allow-host") }, "allow-host");
    row("allow-origin without scheme", { QStringLiteral("--allow-origin"), QStringLiteral("dash.example") }, "allow-origin");
    row("allow-origin with a path", { QStringLiteral("--allow-origin"), QStringLiteral("https://dash.example/app") }, "allow-origin");
    row("allow-origin null", { QStringLiteral("--allow-origin"), QStringLiteral("null") }, "allow-origin");
    row("head-timeout-ms 0", { QStringLiteral("--head-timeout-ms"), QStringLiteral("0") }, "head-timeout-ms");
    row("head-timeout-ms soon", { QStringLiteral("--head-timeout-ms"), QStringLiteral("soon") }, "head-timeout-ms");
    row("headless with a value", { QStringLiteral("--headless=yes") }, "headless");
    row("unknown long option", { QStringLiteral("--frobnicate") }, "frobnicate");
    row("unknown short option", { QStringLiteral("-x") }, "x");
    row("unknown option among good ones",
        { QStringLiteral("--headless"), QStringLiteral("--colour") }, "colour");
    row("stray positional argument", { QStringLiteral("extra") }, "extra");
    row("stray argument after options",
        { port, QStringLiteral("80"), QStringLiteral("/async-worker") }, "/async-worker");
    row("bad value after a good option",
        { QStringLiteral("--headless"), QStringLiteral("--workers"), QStringLiteral("none") },
        "workers");
}

void TestCommandLine::badUsage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, mentions);

    const CommandLine result = CommandLine::parse(args(arguments));
    QVERIFY2(result.exitCode.has_value(), qPrintable(describe(result)));
    QCOMPARE(*result.exitCode, 2);
    QVERIFY2(result.output.contains(mentions), qPrintable(result.output));
    QVERIFY2(!result.output.contains(QLatin1String("Usage:")),
        qPrintable(result.output)); // an error, not help
}

// Without an application object, as fanscope's main() parses before it creates one (so that
// --help works without a display).
void TestCommandLine::accessOptions()
{
    const CommandLine defaults = CommandLine::parse(args({}));
    QVERIFY(defaults.options.server.allowHosts.isEmpty());
    QVERIFY(defaults.options.server.allowOrigins.isEmpty());
    QCOMPARE(defaults.options.server.headTimeoutMs, 10000);

    const CommandLine result = CommandLine::parse(args({ QStringLiteral("--allow-host"), QStringLiteral("fanscope.lan"),
        QStringLiteral("--allow-host=192.168.1.5:6543"), QStringLiteral("--allow-origin"), QStringLiteral("HTTPS://Dash.Example/"),
        QStringLiteral("--head-timeout-ms"), QStringLiteral("2500") }));
    QVERIFY2(!result.exitCode, qPrintable(describe(result)));
    QCOMPARE(result.options.server.allowHosts, QStringList({ QStringLiteral("fanscope.lan"), QStringLiteral("192.168.1.5:6543") }));
    QCOMPARE(result.options.server.allowOrigins, QStringList { QStringLiteral("https://dash.example") });
    QCOMPARE(result.options.server.headTimeoutMs, 2500);

    const CommandLine help = CommandLine::parse(args({ QStringLiteral("--help") }));
    for (const char *option : { "--allow-host", "--allow-origin", "--head-timeout-ms" })
        QVERIFY2(help.output.contains(QLatin1String(option)), option);
}

QTEST_APPLESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
