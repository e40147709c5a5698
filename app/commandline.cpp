#include "commandline.h"

#include "upstreamclient.h"
#include "accesspolicy.h"

#include <QCommandLineParser>

namespace {

constexpr int UsageError = 2; // as getopt-style tools do for bad usage

// Reads an integer option in [min, max] into *out. Returns an error message or an empty string.
QString readInt(const QCommandLineParser &parser, const QString &name, int min, int max, int *out)
{
    if (!parser.isSet(name))
        return {};
    const QString text = parser.value(name);
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < min || value > max)
        return QStringLiteral("--%1: expected an integer from %2 to %3, got '%4'").arg(name).arg(min).arg(max).arg(text);
    *out = value;
    return {};
}

} // namespace

CommandLine CommandLine::parse(const QStringList &arguments)
{
    CommandLine result;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Fanscope: fan-out/fan-in patterns of synchronous request handlers, made visible.\n"
        "Opens a window with a live timeline and serves the fan-out routes over HTTP.\n"
        "'fanscope load --help' tells about the load generator."));
    const QCommandLineOption help({ QStringLiteral("h"), QStringLiteral("help") }, QStringLiteral("Show this help and exit."));
    const QCommandLineOption version({ QStringLiteral("v"), QStringLiteral("version") }, QStringLiteral("Show the version and exit."));
    parser.addOption(help);
    parser.addOption(version);
    parser.addOptions({
        { QStringLiteral("headless"), QStringLiteral("Run the server only, without a window.") },
        { QStringLiteral("port"), QStringLiteral("TCP port to listen on; 0 picks a free one (default 6543)."), QStringLiteral("N") },
        { QStringLiteral("bind"), QStringLiteral("Address to listen on (default 127.0.0.1)."), QStringLiteral("ADDR") },
        { QStringLiteral("workers"), QStringLiteral("Request worker threads (default 5, like waitress threads = 5)."), QStringLiteral("N") },
        { QStringLiteral("loop-threads"), QStringLiteral("Long-lived event-loop threads of /async-worker* (default 1)."), QStringLiteral("N") },
        { QStringLiteral("max-queue"), QStringLiteral("Requests that may wait for a worker; beyond, 503 (default 100)."), QStringLiteral("N") },
        { QStringLiteral("max-connections"), QStringLiteral("Connections open at once; beyond, new ones wait in the kernel's backlog until one closes (default 2000)."), QStringLiteral("N") },
        { QStringLiteral("max-live-clients"), QStringLiteral("Pages that may follow the live timeline over WebSocket; beyond, they poll (default 16)."), QStringLiteral("N") },
        { QStringLiteral("max-live-buffer-kib"), QStringLiteral("KiB that may wait unsent for all live pages together; beyond, pages wait their turn (default 32768)."), QStringLiteral("N") },
        { QStringLiteral("max-exports"), QStringLiteral("Trace exports (/api/trace, /api/trace.csv) that may be under way at once, each holding a snapshot of the trace; beyond, 503 (default 2)."), QStringLiteral("N") },
        { QStringLiteral("pool-threads"), QStringLiteral("Threads of the pool that /thread-pool blocks (default 32)."), QStringLiteral("N") },
        { QStringLiteral("max-tasks-in-flight"), QStringLiteral("Tasks that may be in flight at once, all requests together; a request that would pass it gets 503 (default 50000)."), QStringLiteral("N") },
        { QStringLiteral("max-pool-seconds"), QStringLiteral("Pool thread-seconds that /thread-pool requests in flight may block, tasks x (latency + jitter); beyond, 503 (default 600)."), QStringLiteral("N") },
        { QStringLiteral("upstream"), QStringLiteral("Base URL that kind=http tasks call (default: the built-in upstream on our own port)."), QStringLiteral("URL") },
        { QStringLiteral("upstream-connections"), QStringLiteral("Keep-alive connections to the upstream per thread that runs kind=http tasks; more calls wait for one (default 10)."), QStringLiteral("N") },
        { QStringLiteral("allow-host"), QStringLiteral("Also answer requests for the host NAME or NAME:PORT, e.g. a LAN name or a reverse proxy's (repeatable; default: only 127.0.0.1, localhost, [::1] and the --bind address)."), QStringLiteral("NAME") },
        { QStringLiteral("allow-origin"), QStringLiteral("Let pages of ORIGIN (scheme://host[:port]) start fan-outs and follow the live feed (repeatable; default: only our own page)."), QStringLiteral("ORIGIN") },
        { QStringLiteral("head-timeout-ms"), QStringLiteral("A request's head must arrive whole within this, else 408 (default 10000)."), QStringLiteral("MS") },
        { QStringLiteral("trace-events"), QStringLiteral("Timeline events kept in memory; older ones are forgotten (default 500000, about 32 MB)."), QStringLiteral("N") },
        { QStringLiteral("run"), QStringLiteral("Window: send one request to PATH at start (e.g. '/async-worker?tasks=10')."), QStringLiteral("PATH") },
        { QStringLiteral("screenshot"), QStringLiteral("Window: once the --run request is answered, save the window as PNG to FILE and exit."), QStringLiteral("FILE") },
    });

    auto fail = [&result](const QString &message) {
        result.exitCode = UsageError;
        result.output = QStringLiteral("fanscope: ") + message + QStringLiteral("\nTry 'fanscope --help'.\n");
        return result;
    };

    if (!parser.parse(arguments))
        return fail(parser.errorText());
    if (parser.isSet(help)) {
        result.exitCode = 0;
        // Without an application object Qt cannot know the program's name.
        result.output = parser.helpText().replace(QStringLiteral("<executable_name>"), QStringLiteral("fanscope"));
        return result;
    }
    if (parser.isSet(version)) {
        result.exitCode = 0;
        result.output = QStringLiteral("fanscope %1 (Qt %2)\n").arg(QStringLiteral(FANSCOPE_VERSION), QString::fromLatin1(qVersion()));
        return result;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().constFirst()));

    AppOptions &options = result.options;
    options.headless = parser.isSet(QStringLiteral("headless"));
    int port = options.server.port;
    for (const QString &error : {
             readInt(parser, QStringLiteral("port"), 0, 65535, &port),
             readInt(parser, QStringLiteral("workers"), 1, 1024, &options.server.workers),
             readInt(parser, QStringLiteral("loop-threads"), 1, 256, &options.server.loopThreads),
             readInt(parser, QStringLiteral("max-queue"), 0, 1000000, &options.server.maxQueue),
             readInt(parser, QStringLiteral("pool-threads"), 1, 4096, &options.server.poolThreads),
             readInt(parser, QStringLiteral("upstream-connections"), 1, UpstreamClient::MaxMaxConnections, &options.server.upstreamConnections),
             readInt(parser, QStringLiteral("head-timeout-ms"), 100, 3600000, &options.server.headTimeoutMs),
             readInt(parser, QStringLiteral("max-connections"), 1, 1000000, &options.server.maxConnections),
             readInt(parser, QStringLiteral("max-live-clients"), 0, 10000, &options.server.maxLiveClients),
             readInt(parser, QStringLiteral("max-live-buffer-kib"), 64, 4 * 1024 * 1024, &options.server.maxLiveBufferKib),
             readInt(parser, QStringLiteral("max-exports"), 1, 64, &options.server.maxExports),
             readInt(parser, QStringLiteral("max-tasks-in-flight"), 1, 10000000, &options.server.maxTasksInFlight),
             readInt(parser, QStringLiteral("max-pool-seconds"), 1, 10000000, &options.server.maxPoolSeconds),
             readInt(parser, QStringLiteral("trace-events"), AppOptions::MinTraceEvents, AppOptions::MaxTraceEvents, &options.traceEvents),
         }) {
        if (!error.isEmpty())
            return fail(error);
    }
    options.server.port = quint16(port);
    if (parser.isSet(QStringLiteral("bind"))) {
        const QString text = parser.value(QStringLiteral("bind"));
        const QHostAddress address = text == QLatin1String("localhost") ? QHostAddress(QHostAddress::LocalHost) : QHostAddress(text);
        if (address.isNull())
            return fail(QStringLiteral("--bind: '%1' is not an IP address").arg(text));
        options.server.address = address;
    }
    for (const QString &host : parser.values(QStringLiteral("allow-host"))) {
        if (!AccessPolicy::isValidHost(host))
            return fail(QStringLiteral("--allow-host: expected NAME or NAME:PORT such as fanscope.lan or 192.168.1.5:6543, got '%1'").arg(host));
        options.server.allowHosts.append(host);
    }
    for (const QString &origin : parser.values(QStringLiteral("allow-origin"))) {
        const std::optional<QString> normalised = AccessPolicy::normalisedOrigin(origin);
        if (!normalised)
            return fail(QStringLiteral("--allow-origin: expected scheme://host[:port] such as https://fanscope.example, got '%1'").arg(origin));
        options.server.allowOrigins.append(*normalised);
    }
    if (parser.isSet(QStringLiteral("upstream"))) {
        const QString text = parser.value(QStringLiteral("upstream"));
        const QUrl upstream(text, QUrl::StrictMode);
        if (!upstream.isValid() || upstream.scheme() != QLatin1String("http") || upstream.host().isEmpty())
            return fail(QStringLiteral("--upstream: expected an http:// URL such as http://127.0.0.1:8080, got '%1'").arg(text));
        QUrl base = upstream.adjusted(QUrl::StripTrailingSlash | QUrl::RemoveQuery | QUrl::RemoveFragment);
        options.server.upstream = base;
    }
    options.runPath = parser.value(QStringLiteral("run"));
    options.screenshotFile = parser.value(QStringLiteral("screenshot"));
    if (!options.screenshotFile.isEmpty() && options.runPath.isEmpty())
        return fail(QStringLiteral("--screenshot needs --run PATH"));
    if (!options.runPath.isEmpty() && options.headless)
        return fail(QStringLiteral("--run and --screenshot need the window; drop --headless"));
    return result;
}
