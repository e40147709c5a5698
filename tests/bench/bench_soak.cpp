// Soak: does the server's memory stay flat under a long, high request rate?
//
// Starts `fanscope --headless --port 0` as its own process, then keeps a load on it for the
// given time (mixing a no-thread route, a worker route and the live-feed and metrics routes a
// page and Prometheus would poll) and samples the server's resident memory every few seconds.
// After the warm-up (threads made, the trace's ring filled, allocator arenas grown), resident
// memory must stay within 10 % of where it was. Prints one line per sample, then one JSON object.
//
// Usage: bench_soak [--seconds N (300)] [--warmup N (60)] [--concurrency N (50)] [-- fanscope options]
#include "loadgenerator.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>

#include <cstdio>

namespace {

struct Settings {
    int seconds = 300;
    int warmupSeconds = 60;
    int concurrency = 50;
    QStringList serverArguments;
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
    for (int i = 1; i < arguments.size(); ++i) {
        const QString &a = arguments.at(i);
        if (a == QLatin1String("--")) {
            settings->serverArguments = arguments.mid(i + 1);
            return true;
        }
        bool ok = i + 1 < arguments.size();
        const int value = ok ? arguments.at(i + 1).toInt(&ok) : 0;
        if (!ok || value < 1)
            return false;
        if (a == QLatin1String("--seconds"))
            settings->seconds = value;
        else if (a == QLatin1String("--warmup"))
            settings->warmupSeconds = value;
        else if (a == QLatin1String("--concurrency"))
            settings->concurrency = value;
        else
            return false;
        ++i;
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

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Settings settings;
    if (!parse(app.arguments(), &settings)) {
        std::fprintf(stderr, "usage: bench_soak [--seconds N] [--warmup N] [--concurrency N] [-- fanscope options]\n"
                             "       (the warm-up must be shorter than the run)\n");
        return 2;
    }
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
