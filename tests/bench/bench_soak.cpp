// Soak: does the server's memory stay flat under a long, high request rate?
//
// Starts `fanscope --headless --port 0` as its own process, then keeps a load on it for the
// given time (mixing a no-thread route, a worker route and the live-feed and metrics routes a
// page and Prometheus would poll) and samples the server's resident memory every few seconds.
// After the warm-up (threads made, the trace's ring filled, allocator arenas grown), resident
// memory must stay within 10 % of where it was. Prints one line per sample, then one JSON object.
//
// With --wrk, the crash soak of issue 12 instead: `wrk -t2 -c50 -d3s` in turns on
// /async-worker?tasks=0, /async-scoped?tasks=0, /async-continuation?tasks=0 and /healthz for the
// given time, against any fanscope binary (--binary: a Release one, or one built by the asan or
// tsan preset, run with their sanitizer options unless the environment sets its own). After every
// turn the server must still be running and answer /healthz. Prints one line per turn, then one
// JSON object (turns, requests, errors, crashed, sanitizer reports in the server's stderr, RSS),
// and exits non-zero on a crash, a server that stops answering, or a sanitizer report.
//
// Usage: bench_soak [--seconds N (300)] [--warmup N (60)] [--concurrency N (50)] [-- fanscope
// options]
//        bench_soak --wrk [--seconds N (600)] [--turn N (3)] [--concurrency N (50)]
//                   [--binary PATH] [-- fanscope options]
#include "loadgenerator.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <cmath>
#include <cstdio>

namespace {

struct Settings {
    int seconds = 300;
    int warmupSeconds = 60;
    int concurrency = 50;
    QStringList serverArguments;
    // --wrk mode
    bool wrk = false;
    int turnSeconds = 3;
    QString binary = QStringLiteral(FANSCOPE_BINARY);
};

// Resident memory of a process, in MiB, from /proc (VmRSS).
double residentMiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    static const QRegularExpression vmRss(QStringLiteral("VmRSS:\\s+(\\d+) kB"));
    const auto match = vmRss.match(QString::fromLatin1(status.readAll()));
    return match.hasMatch() ? match.captured(1).toDouble() / 1024.0 : -1;
}

bool parse(const QStringList &arguments, Settings *settings)
{
    bool secondsGiven = false;
    for (int i = 1; i < arguments.size(); ++i) {
        const QString &a = arguments.at(i);
        if (a == QLatin1String("--")) {
            settings->serverArguments = arguments.mid(i + 1);
            break;
        }
        if (a == QLatin1String("--wrk")) {
            settings->wrk = true;
            continue;
        }
        if (a == QLatin1String("--binary")) {
            if (++i >= arguments.size())
                return false;
            settings->binary = arguments.at(i);
            continue;
        }
        bool ok = i + 1 < arguments.size();
        const int value = ok ? arguments.at(i + 1).toInt(&ok) : 0;
        if (!ok || value < 1)
            return false;
        if (a == QLatin1String("--seconds")) {
            settings->seconds = value;
            secondsGiven = true;
        } else if (a == QLatin1String("--turn"))
            settings->turnSeconds = value;
        else if (a == QLatin1String("--warmup"))
            settings->warmupSeconds = value;
        else if (a == QLatin1String("--concurrency"))
            settings->concurrency = value;
        else
            return false;
        ++i;
    }
    if (settings->wrk) {
        if (!secondsGiven)
            settings->seconds = 600;
        return true;
    }
    return settings->warmupSeconds < settings->seconds;
}

// Starts the server; returns its base URL, or an empty one.
QUrl startServer(QProcess &server, const QStringList &extra)
{
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start(QStringLiteral(FANSCOPE_BINARY), QStringList { QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0") } + extra);
    if (!server.waitForStarted(10000))
        return {};
    QByteArray out;
    while (!out.contains('\n') && server.waitForReadyRead(10000))
        out += server.readAllStandardOutput();
    const auto match = QRegularExpression(QStringLiteral("listening on (\\S+)")).match(QString::fromUtf8(out));
    return match.hasMatch() ? QUrl(match.captured(1)) : QUrl();
}

// One round of about a second: fan-out requests on both kinds of route, plus what a page and a
// scraper poll. Returns the requests answered.
int loadRound(const QUrl &base, int concurrency)
{
    int answered = 0;
    const int requests = concurrency * 20;
    for (const char *path : { "/async-continuation?tasks=10&latency_ms=2", "/async-worker?tasks=10&latency_ms=2&fail_rate=0.1" }) {
        LoadConfig config;
        config.url = base.resolved(QUrl(QString::fromLatin1(path)));
        config.requests = requests;
        config.concurrency = concurrency;
        config.timeoutMs = 30000;
        answered += LoadGenerator(config).run().answered();
    }
    for (const char *path : { "/metrics", "/api/events?since=0&max=5000", "/healthz" }) {
        LoadConfig config;
        config.url = base.resolved(QUrl(QString::fromLatin1(path)));
        config.requests = 5;
        answered += LoadGenerator(config).run().answered();
    }
    return answered;
}

// --- the wrk soak -------------------------------------------------------------------------

// What one `wrk` run said.
struct WrkRun
{
    bool ran = false;
    qint64 requests = 0;
    qint64 socketErrors = 0; // connect, read, write, timeout
    qint64 non2xx = 0;
    double rps = 0;
};

WrkRun runWrk(const QUrl &url, int seconds, int concurrency)
{
    QProcess wrk;
    wrk.setProcessChannelMode(QProcess::MergedChannels);
    wrk.start(QStringLiteral("wrk"),
        { QStringLiteral("-t2"), QStringLiteral("-c%1").arg(concurrency),
            QStringLiteral("-d%1s").arg(seconds), url.toString() });
    WrkRun run;
    if (!wrk.waitForFinished((seconds + 30) * 1000) || wrk.exitStatus() != QProcess::NormalExit) {
        wrk.kill();
        wrk.waitForFinished();
        return run;
    }
    const QString out = QString::fromUtf8(wrk.readAll());
    const auto number = [&out](const QString &pattern) {
        const auto match = QRegularExpression(pattern).match(out);
        return match.hasMatch() ? match.captured(1).toDouble() : 0.0;
    };
    run.ran = out.contains(QLatin1String("requests in"));
    run.requests = qint64(number(QStringLiteral("(\\d+) requests in")));
    run.rps = number(QStringLiteral("Requests/sec:\\s+([\\d.]+)"));
    run.non2xx = qint64(number(QStringLiteral("Non-2xx or 3xx responses: (\\d+)")));
    const auto errors = QRegularExpression(
        QStringLiteral("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)"))
                            .match(out);
    for (int i = 1; errors.hasMatch() && i <= 4; ++i)
        run.socketErrors += errors.captured(i).toLongLong();
    return run;
}

// Whether the server answers GET /healthz with 200 within five seconds, on a fresh connection.
bool answersHealthz(const QUrl &base)
{
    QTcpSocket socket;
    socket.connectToHost(base.host(), quint16(base.port()));
    if (!socket.waitForConnected(5000))
        return false;
    socket.write("GET /healthz HTTP/1.1\r\nHost: " + base.authority().toLatin1()
        + "\r\nConnection: close\r\n\r\n");
    QByteArray head;
    QElapsedTimer clock;
    clock.start();
    while (!head.contains("\r\n") && clock.elapsed() < 5000
        && socket.waitForReadyRead(int(5000 - clock.elapsed())))
        head += socket.readAll();
    return head.startsWith("HTTP/1.1 200");
}

// Sanitizer reports in the server's stderr: ASan, LSan, TSan and UBSan each start theirs so.
int sanitizerReports(const QByteArray &stderrText)
{
    static const QRegularExpression report(
        QStringLiteral("^(==\\d+==ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: "
                       "ThreadSanitizer|.*: runtime error: )"),
        QRegularExpression::MultilineOption);
    int count = 0;
    for (auto it = report.globalMatch(QString::fromUtf8(stderrText)); it.hasNext(); it.next())
        ++count;
    return count;
}

// A sanitizer build stops at its first report (so that the report is the crash), with the
// suppressions the test suite uses; an environment that sets its own options keeps them.
QProcessEnvironment sanitizerEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const auto byDefault = [&env](const QString &name, const QString &value) {
        if (!env.contains(name))
            env.insert(name, value);
    };
    byDefault(QStringLiteral("ASAN_OPTIONS"), QStringLiteral("halt_on_error=1:detect_leaks=1"));
    byDefault(
        QStringLiteral("UBSAN_OPTIONS"), QStringLiteral("halt_on_error=1:print_stacktrace=1"));
    byDefault(QStringLiteral("TSAN_OPTIONS"),
        QStringLiteral("halt_on_error=1:ignore_noninstrumented_modules=1:second_deadlock_stack=1:"
                       "suppressions=%1/tests/sanitizers/tsan.supp")
            .arg(QStringLiteral(FANSCOPE_SOURCE_DIR)));
    return env;
}

int wrkSoak(const Settings &settings)
{
    QTemporaryDir dir;
    QProcess server;
    server.setProcessEnvironment(sanitizerEnvironment());
    // To files, not pipes: nobody reads while wrk runs, and a full pipe would stall the server.
    server.setStandardOutputFile(dir.filePath(QStringLiteral("stdout")));
    server.setStandardErrorFile(dir.filePath(QStringLiteral("stderr")));
    server.start(settings.binary,
        QStringList { QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0") }
            + settings.serverArguments);
    if (!server.waitForStarted(10000)) {
        std::fprintf(stderr, "bench_soak: %s did not start\n", qPrintable(settings.binary));
        return 1;
    }
    const auto readFile = [&dir](const char *name) {
        QFile file(dir.filePath(QString::fromLatin1(name)));
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    };
    QUrl base;
    QElapsedTimer starting;
    starting.start();
    static const QRegularExpression listening(QStringLiteral("listening on (\\S+)"));
    while (base.isEmpty() && server.state() == QProcess::Running && starting.elapsed() < 60000) {
        const auto match = listening.match(QString::fromUtf8(readFile("stdout")));
        if (match.hasMatch())
            base = QUrl(match.captured(1));
        else
            server.waitForFinished(100); // a sanitizer build starts slowly; polls its output file
    }
    if (base.isEmpty()) {
        std::fprintf(stderr, "bench_soak: %s did not say where it listens\n%s",
            qPrintable(settings.binary), readFile("stderr").constData());
        return 1;
    }
    const qint64 pid = server.processId();
    std::printf("wrk soak: %d s of wrk -t2 -c%d -d%ds turns against %s (%s, pid %lld)\n",
        settings.seconds, settings.concurrency, settings.turnSeconds, qPrintable(base.toString()),
        qPrintable(settings.binary), pid);
    std::fflush(stdout);

    const QStringList paths { QStringLiteral("/async-worker?tasks=0"),
        QStringLiteral("/async-scoped?tasks=0"), QStringLiteral("/async-continuation?tasks=0"),
        QStringLiteral("/healthz") };
    struct PerRoute
    {
        qint64 requests = 0, socketErrors = 0, non2xx = 0;
        double rpsSum = 0, rpsMin = -1;
        int turns = 0;
    };
    QMap<QString, PerRoute> routes;
    QElapsedTimer clock;
    clock.start();
    int turns = 0;
    qint64 requests = 0, errors = 0;
    bool crashed = false, unanswered = false, wrkFailed = false;
    double rssPeak = residentMiB(pid), rss = rssPeak;
    const double rssStart = rssPeak;
    while (clock.elapsed() < qint64(settings.seconds) * 1000 && !crashed && !unanswered) {
        const QString &path = paths.at(turns % paths.size());
        const WrkRun run
            = runWrk(base.resolved(QUrl(path)), settings.turnSeconds, settings.concurrency);
        ++turns;
        wrkFailed = wrkFailed || !run.ran;
        PerRoute &route = routes[path];
        route.requests += run.requests;
        route.socketErrors += run.socketErrors;
        route.non2xx += run.non2xx;
        route.rpsSum += run.rps;
        route.rpsMin = route.rpsMin < 0 ? run.rps : std::min(route.rpsMin, run.rps);
        ++route.turns;
        requests += run.requests;
        errors += run.socketErrors;
        unanswered = !answersHealthz(base);
        // QProcess learns of the exit through its own notifier: give it a moment to.
        crashed = server.state() != QProcess::Running || server.waitForFinished(unanswered ? 2000 : 1);
        unanswered = unanswered && !crashed;
        if (!crashed) {
            rss = residentMiB(pid);
            rssPeak = std::max(rssPeak, rss);
        }
        std::printf("t=%6.1f s  turn %4d  %-30s %9.0f req/s  %8lld requests  %5lld socket errors  "
                    "%5lld non-2xx  rss=%7.1f MiB%s\n",
            double(clock.elapsed()) / 1000.0, turns, qPrintable(path), run.rps, run.requests,
            run.socketErrors, run.non2xx, rss,
            crashed          ? "  SERVER GONE"
                : unanswered ? "  /healthz UNANSWERED"
                             : "");
        std::fflush(stdout);
    }
    const double seconds = double(clock.elapsed()) / 1000.0;
    bool cleanExit = false;
    QString serverExit;
    if (!crashed) {
        server.terminate();
        // A sanitizer build takes its time to stop (and LeakSanitizer runs at the exit).
        if (!server.waitForFinished(60000)) {
            server.kill();
            server.waitForFinished(10000);
        }
    } else {
        server.waitForFinished(10000);
    }
    cleanExit = !crashed && server.exitStatus() == QProcess::NormalExit && server.exitCode() == 0;
    serverExit = server.exitStatus() == QProcess::CrashExit
        ? QStringLiteral("crashed (signal)")
        : QStringLiteral("exit code %1").arg(server.exitCode());
    const QByteArray serverErrors = readFile("stderr");
    const int reports = sanitizerReports(serverErrors);
    if (crashed || unanswered || reports > 0) {
        // The report or the last words, so that the run says why.
        std::printf("--- the server's stderr (last 4 KiB) ---\n%s\n---\n",
            serverErrors.right(4096).constData());
    }

    QJsonObject perRoute;
    for (auto it = routes.cbegin(); it != routes.cend(); ++it) {
        perRoute.insert(it.key(),
            QJsonObject {
                { QStringLiteral("turns"), it->turns },
                { QStringLiteral("requests"), it->requests },
                { QStringLiteral("rps_mean"), std::round(it->rpsSum / std::max(1, it->turns)) },
                { QStringLiteral("rps_min"), std::round(it->rpsMin) },
                { QStringLiteral("socket_errors"), it->socketErrors },
                { QStringLiteral("non_2xx"), it->non2xx },
            });
    }
    const bool failed = crashed || unanswered || reports > 0 || !cleanExit || wrkFailed;
    const QJsonObject json {
        { QStringLiteral("mode"), QStringLiteral("wrk") },
        { QStringLiteral("binary"), settings.binary },
        { QStringLiteral("seconds"), std::round(seconds) },
        { QStringLiteral("turns"), turns },
        { QStringLiteral("requests"), requests },
        { QStringLiteral("errors"), errors },
        { QStringLiteral("crashed"), crashed },
        { QStringLiteral("healthz_unanswered"), unanswered },
        { QStringLiteral("wrk_failed"), wrkFailed },
        { QStringLiteral("server_exit"), serverExit },
        { QStringLiteral("clean_exit"), cleanExit },
        { QStringLiteral("sanitizer_reports"), reports },
        { QStringLiteral("rss_start_mib"), std::round(rssStart * 10) / 10 },
        { QStringLiteral("rss_peak_mib"), std::round(rssPeak * 10) / 10 },
        { QStringLiteral("rss_end_mib"), std::round(rss * 10) / 10 },
        { QStringLiteral("routes"), perRoute },
        { QStringLiteral("ok"), !failed },
    };
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
    return failed ? 1 : 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Settings settings;
    if (!parse(app.arguments(), &settings)) {
        std::fprintf(stderr,
            "usage: bench_soak [--seconds N] [--warmup N] [--concurrency N] [-- fanscope options]\n"
            "       bench_soak --wrk [--seconds N] [--turn N] [--concurrency N] [--binary PATH] "
            "[-- fanscope options]\n"
            "       (the warm-up must be shorter than the run)\n");
        return 2;
    }
    if (settings.wrk)
        return wrkSoak(settings);
    QProcess server;
    const QUrl base = startServer(server, settings.serverArguments);
    if (base.isEmpty()) {
        std::fprintf(stderr, "bench_soak: fanscope did not start\n");
        return 1;
    }
    const qint64 pid = server.processId();
    std::printf("soak: %d s against %s (pid %lld), warm-up %d s, %d at once\n", settings.seconds,
        qPrintable(base.toString()), pid, settings.warmupSeconds, settings.concurrency);

    QElapsedTimer clock;
    clock.start();
    qint64 answered = 0;
    double afterWarmup = -1, peak = 0, last = 0;
    qint64 nextSampleMs = 0;
    while (clock.elapsed() < qint64(settings.seconds) * 1000) {
        answered += loadRound(base, settings.concurrency);
        if (clock.elapsed() < nextSampleMs)
            continue;
        nextSampleMs = clock.elapsed() + 5000;
        last = residentMiB(pid);
        const double t = double(clock.elapsed()) / 1000.0;
        if (t >= settings.warmupSeconds) {
            if (afterWarmup < 0)
                afterWarmup = last;
            peak = std::max(peak, last);
        }
        std::printf("t=%6.1f s  rss=%7.1f MiB  requests=%lld  (%.0f/s)\n", t, last, answered, double(answered) / t);
        std::fflush(stdout);
    }
    const double seconds = double(clock.elapsed()) / 1000.0;
    server.terminate();
    const bool exited = server.waitForFinished(5000) && server.exitStatus() == QProcess::NormalExit && server.exitCode() == 0;

    const double growthPct = afterWarmup > 0 ? (peak - afterWarmup) / afterWarmup * 100.0 : 0;
    const bool flat = afterWarmup > 0 && growthPct <= 10.0;
    std::printf("resident memory after warm-up %.1f MiB, peak %.1f MiB (%+.1f %%), at the end %.1f MiB: %s\n",
        afterWarmup, peak, growthPct, last, flat ? "flat" : "GROWING");
    const QJsonObject json {
        { QStringLiteral("seconds"), std::round(seconds) },
        { QStringLiteral("requests"), answered },
        { QStringLiteral("rps"), std::round(double(answered) / seconds) },
        { QStringLiteral("rss_after_warmup_mib"), std::round(afterWarmup * 10) / 10 },
        { QStringLiteral("rss_peak_mib"), std::round(peak * 10) / 10 },
        { QStringLiteral("rss_end_mib"), std::round(last * 10) / 10 },
        { QStringLiteral("growth_pct"), std::round(growthPct * 10) / 10 },
        { QStringLiteral("flat"), flat },
        { QStringLiteral("clean_exit"), exited },
    };
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
    return flat && exited ? 0 : 1;
}
