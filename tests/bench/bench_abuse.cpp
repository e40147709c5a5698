// SPDX-License-Identifier: GPL-3.0-or-later
// Abuse: does a default server stay bounded, keep its deadlines and stay responsive while, for a
// minute, everything an attacker or an overloaded production day can throw at it arrives at once?
//
// Starts `fanscope --headless --port 0` as its own process (default options otherwise), warms it
// up (every strategy once, so that threads made once and kept exist) and measures it idle. Then,
// for --seconds, all at once:
//  - floods of fan-outs far beyond the work budget (10,000 tasks of 60 s each, on every strategy);
//  - kind=http fan-outs of 10,000 tasks (each a real call to the built-in upstream);
//  - /thread-pool requests that would hold every pool thread for a minute;
//  - WebSocket pages that never read, more than the live-client cap;
//  - slow readers of /api/trace;
//  - slowloris heads, a byte a second;
//  - requests with a foreign Host, and fan-outs from a foreign Origin;
//  - deadline probes: fan-outs whose tasks outlast their timeout, whose answers tell how late the
//    server answered (elapsed_ms against timeout_ms);
//  - /healthz, one request at a time, for its latency;
// sampling the server's resident memory every 250 ms. Then every client stops, and 10 s later
// memory, threads and descriptors are measured again. The attackers' threads run at nice 10 and
// the probes and /healthz at the server's priority: client and server share two cores here,
// and a probe's lateness should be the server's, not the attackers' CPU taken from the probe.
//
// Prints its figures, then one JSON line. Exits 0 when every goal is met: peak RSS under 1 GiB,
// RSS 10 s after under 2× idle, threads and descriptors back at their idle count, worst lateness
// past a deadline under 20 ms, /healthz p99 under 50 ms.
//
// Usage: bench_abuse [--seconds N (60)] [--binary PATH] [--skip GROUP]... [-- fanscope options]
// GROUP: floods, http, pool, probes, websockets, trace, slowloris, foreign: a run that leaves
// some out tells what the others cost; its JSON line names them.
#include "loadgenerator.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

// The scenarios, in groups that --skip can leave out (the /healthz monitor is never left out).
const QStringList &scenarioGroups()
{
    static const QStringList groups { QStringLiteral("floods"), QStringLiteral("http"),
        QStringLiteral("pool"), QStringLiteral("probes"), QStringLiteral("websockets"),
        QStringLiteral("trace"), QStringLiteral("slowloris"), QStringLiteral("foreign") };
    return groups;
}

struct Settings
{
    int seconds = 60;
    QString binary = QStringLiteral(FANSCOPE_BINARY);
    QStringList skip; // --skip GROUP: leave a group of scenarios out, to see what each costs
    QStringList serverArguments;
};

bool parse(const QStringList &arguments, Settings *settings)
{
    for (int i = 1; i < arguments.size(); ++i) {
        const QString &a = arguments.at(i);
        if (a == QLatin1String("--")) {
            settings->serverArguments = arguments.mid(i + 1);
            return true;
        }
        if (i + 1 >= arguments.size())
            return false;
        const QString value = arguments.at(++i);
        if (a == QLatin1String("--seconds")) {
            bool ok = false;
            settings->seconds = value.toInt(&ok);
            if (!ok || settings->seconds < 5)
                return false;
        } else if (a == QLatin1String("--binary")) {
            settings->binary = value;
        } else if (a == QLatin1String("--skip") && scenarioGroups().contains(value)) {
            settings->skip << value;
        } else {
            return false;
        }
    }
    return true;
}

// What /proc says of the server now.
struct ProcessFigures
{
    double rssMiB = -1;
    int threads = -1;
    int fds = -1;
};

ProcessFigures measure(qint64 pid)
{
    ProcessFigures figures;
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (status.open(QIODevice::ReadOnly)) {
        const QString text = QString::fromLatin1(status.readAll());
        static const QRegularExpression rss(QStringLiteral("VmRSS:\\s+(\\d+) kB"));
        static const QRegularExpression threads(QStringLiteral("Threads:\\s+(\\d+)"));
        if (const auto m = rss.match(text); m.hasMatch())
            figures.rssMiB = m.captured(1).toDouble() / 1024.0;
        if (const auto m = threads.match(text); m.hasMatch())
            figures.threads = m.captured(1).toInt();
    }
    figures.fds = int(
        QDir(QStringLiteral("/proc/%1/fd").arg(pid)).entryList(QDir::Files | QDir::System).size());
    return figures;
}

// The server's descriptors now, counted by kind ("socket", "anon_inode:[eventfd]", "pipe" ...),
// so that those left after the run can be named.
QMap<QString, int> descriptorKinds(qint64 pid)
{
    QMap<QString, int> kinds;
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    static const QRegularExpression inode(QStringLiteral(":\\[\\d+\\]$"));
    for (const QString &fd : fds.entryList(QDir::Files | QDir::System))
        ++kinds[QFileInfo(fds.filePath(fd))
                    .symLinkTarget()
                    .section(QLatin1Char('/'), -1)
                    .remove(inode)];
    return kinds;
}

QUrl startServer(QProcess &server, const Settings &settings)
{
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start(settings.binary,
        QStringList { QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0") }
            + settings.serverArguments);
    if (!server.waitForStarted(10000))
        return {};
    QByteArray out;
    while (!out.contains('\n') && server.waitForReadyRead(30000))
        out += server.readAllStandardOutput();
    const auto match
        = QRegularExpression(QStringLiteral("listening on (\\S+)")).match(QString::fromUtf8(out));
    return match.hasMatch() ? QUrl(match.captured(1)) : QUrl();
}

LoadConfig configFor(const QUrl &base, const QString &path, int requests, int concurrency)
{
    LoadConfig config;
    config.url = base.resolved(QUrl(path));
    config.requests = requests;
    config.concurrency = concurrency;
    return config;
}

LoadReport load(const QUrl &base, const QString &path, int requests, int concurrency,
    const std::function<void(int, const QByteArray &)> &onBody = {})
{
    return LoadGenerator(configFor(base, path, requests, concurrency)).run(onBody);
}

// The load generators running now, so that their clients can all hang up when the run ends.
class Generators
{
public:
    // Runs a generator to its end unless stop() came first or comes meanwhile.
    LoadReport run(
        const LoadConfig &config, const std::function<void(int, const QByteArray &)> &onBody = {})
    {
        LoadGenerator generator(config);
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_stopped)
                return {};
            m_running.push_back(&generator);
        }
        LoadReport report = generator.run(onBody);
        std::lock_guard<std::mutex> lock(m_mutex);
        m_running.erase(std::find(m_running.begin(), m_running.end(), &generator));
        return report;
    }
    void stop()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopped = true;
        for (LoadGenerator *generator : m_running)
            generator->cancel();
    }

private:
    std::mutex m_mutex;
    std::vector<LoadGenerator *> m_running;
    bool m_stopped = false;
};

// A raw client socket to the server, for what no well-behaved client does. -1 if it failed.
int connectRaw(quint16 port, int receiveBuffer = 0)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (receiveBuffer > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool sendAll(int fd, const QByteArray &bytes)
{
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n
            = ::send(fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += n;
    }
    return true;
}

// Reads until the peer closes or `ms` pass; returns what came (at most `limit` bytes kept).
QByteArray readFor(int fd, int ms, qsizetype limit = 4096)
{
    QByteArray got;
    QElapsedTimer clock;
    clock.start();
    char buffer[4096];
    while (clock.elapsed() < ms) {
        pollfd p { fd, POLLIN, 0 };
        if (::poll(&p, 1, int(std::max<qint64>(1, ms - clock.elapsed()))) <= 0)
            break;
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            break;
        if (got.size() < limit)
            got.append(buffer, qsizetype(std::min<ssize_t>(n, limit - got.size())));
    }
    return got;
}

int statusOf(const QByteArray &response)
{
    // "HTTP/1.1 421 Misdirected Request"
    return response.startsWith("HTTP/1.") && response.size() >= 12 ? response.mid(9, 3).toInt() : 0;
}

// Counts per scenario, shared by the threads that run them.
struct Tally
{
    std::mutex mutex;
    QMap<QString, QMap<int, int>> statuses; // scenario -> HTTP status -> count
    double worstServerLatenessMs = 0; // answers' elapsed_ms - timeout_ms
    QMap<QString, double> worstLatenessByProbe; // the same, per probe
    // /async-continuation probes, seen by the client: from its request's connection being open
    // (the goal), and from the request's start, connecting included; and the slowest connect.
    double worstClientLatenessMs = 0;
    double worstClientLatenessWithConnectMs = 0;
    double worstConnectMs = 0;
    int probesAnswered = 0;
    QVector<double> healthzMs;

    void count(const QString &scenario, const LoadReport &report)
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (auto it = report.statusCounts.cbegin(); it != report.statusCounts.cend(); ++it)
            statuses[scenario][it.key()] += it.value();
        if (report.errors() > 0)
            statuses[scenario][0] += report.errors();
    }
    void countOne(const QString &scenario, int status)
    {
        std::lock_guard<std::mutex> lock(mutex);
        statuses[scenario][status] += 1;
    }
};

constexpr int AttackerNice = 10;

// Runs fn again and again on a thread of its own until stop is set.
class Scenario
{
public:
    // An attacker's thread runs at a lower priority (and so do the threads it starts): on this
    // machine it shares the server's cores, where a real attacker would spend its own. What it
    // sends still arrives as fast as the server takes it whenever the server leaves a core idle.
    Scenario(std::atomic<bool> &stop, bool attacker, std::function<void()> round)
        : m_thread([&stop, attacker, round = std::move(round)] {
            if (attacker)
                ::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), AttackerNice);
            while (!stop.load())
                round();
        })
    { }
    void join() { m_thread.join(); }

private:
    std::thread m_thread;
};

QByteArray webSocketUpgrade(const QByteArray &host, const QByteArray &origin)
{
    return "GET /api/ws HTTP/1.1\r\nHost: " + host
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: "
        + origin + "\r\n\r\n";
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Settings settings;
    if (!parse(app.arguments(), &settings)) {
        std::fprintf(stderr,
            "usage: bench_abuse [--seconds N (>= 5)] [--binary PATH] [--skip GROUP]... [-- "
            "fanscope options]\n"
            "  GROUP: %s\n",
            qPrintable(scenarioGroups().join(QStringLiteral(", "))));
        return 2;
    }
    QProcess server;
    const QUrl base = startServer(server, settings);
    if (base.isEmpty()) {
        std::fprintf(stderr, "bench_abuse: fanscope did not start\n");
        return 1;
    }
    const qint64 pid = server.processId();
    const auto port = quint16(base.port());
    const QByteArray host = "127.0.0.1:" + QByteArray::number(port);
    const QByteArray ownOrigin = "http://" + host;
    std::printf(
        "abuse: %d s against %s (pid %lld)\n", settings.seconds, qPrintable(base.toString()), pid);

    // Warm-up: every strategy once, so that what is made once and kept (worker, loop and pool
    // threads, each with its timer queue, the upstream's connections) exists before the idle
    // figures are taken. Five /sequential at once, so that every one of the five workers has run
    // a timer task (their timer queue is made on a thread's first one: a descriptor each).
    load(base, QStringLiteral("/sequential?tasks=2&latency_ms=200"), 5, 5);
    for (const char *path :
        { "/async-scoped?tasks=10&latency_ms=10", "/async-worker?tasks=10&latency_ms=10",
            "/async-worker-simple?tasks=10&latency_ms=10", "/await-one?latency_ms=10",
            "/thread-pool?tasks=64&latency_ms=50", "/async-continuation?tasks=10&latency_ms=10",
            "/async-worker?tasks=20&latency_ms=10&kind=http", "/api/trace", "/metrics" })
        load(base, QString::fromLatin1(path), 1, 1);
    QThread::sleep(12); // idle connections and helper threads time out
    const ProcessFigures idle = measure(pid);
    const QMap<QString, int> idleDescriptors = descriptorKinds(pid);
    std::printf("idle: rss %.1f MiB, %d threads, %d fds\n", idle.rssMiB, idle.threads, idle.fds);

    Tally tally;
    std::atomic<bool> stop { false };
    Generators generators;
    // A flood: many requests at once, again and again, honouring Retry-After between rounds as a
    // well-behaved client would (without it, it is a flood of refusals, which is wrk's job).
    auto flood = [&](const QString &name, const QString &path, int requests, int concurrency) {
        return [&, name, path, requests, concurrency] {
            tally.count(name, generators.run(configFor(base, path, requests, concurrency)));
            if (!stop.load())
                QThread::sleep(1);
        };
    };
    // Fan-outs whose tasks outlast their deadline: how late is the answer?
    auto probe = [&](const QString &name, const QString &path, int timeoutMs, bool clientSide) {
        return [&, name, path, timeoutMs, clientSide] {
            LoadConfig config = configFor(base, path, 10, 5);
            config.timeoutMs = 30000;
            const LoadReport report
                = generators.run(config, [&](int status, const QByteArray &body) {
                      if (status != 200)
                          return;
                      const QJsonObject answer = QJsonDocument::fromJson(body).object();
                      const double lateness = answer.value(QStringLiteral("elapsed_ms")).toDouble()
                          - answer.value(QStringLiteral("timeout_ms")).toDouble();
                      std::lock_guard<std::mutex> lock(tally.mutex);
                      tally.worstServerLatenessMs = std::max(tally.worstServerLatenessMs, lateness);
                      tally.worstLatenessByProbe[name]
                          = std::max(tally.worstLatenessByProbe.value(name), lateness);
                      ++tally.probesAnswered;
                  });
            if (clientSide && report.answered() > 0
                && report.statusCounts.value(200) == report.answered()) {
                std::lock_guard<std::mutex> lock(tally.mutex);
                tally.worstClientLatenessMs = std::max(
                    tally.worstClientLatenessMs, report.slowestOnConnectionMs() - timeoutMs);
                tally.worstClientLatenessWithConnectMs = std::max(
                    tally.worstClientLatenessWithConnectMs, report.slowestMs() - timeoutMs);
                tally.worstConnectMs = std::max(tally.worstConnectMs, report.slowestConnectMs());
            }
            tally.count(name, report);
        };
    };

    std::vector<std::unique_ptr<Scenario>> scenarios;
    auto run = [&](const QString &group, std::function<void()> round) {
        if (!settings.skip.contains(group)) {
            const bool monitor
                = group == QLatin1String("probes") || group == QLatin1String("healthz");
            scenarios.push_back(std::make_unique<Scenario>(stop, !monitor, std::move(round)));
        }
    };
    const QString big = QStringLiteral("?tasks=10000&latency_ms=60000&timeout_ms=60000");
    run(QStringLiteral("floods"),
        flood(QStringLiteral("flood /async-continuation"),
            QStringLiteral("/async-continuation") + big, 1000, 300));
    run(QStringLiteral("floods"),
        flood(QStringLiteral("flood /async-worker"), QStringLiteral("/async-worker") + big, 300,
            150));
    run(QStringLiteral("floods"),
        flood(QStringLiteral("flood /async-scoped"), QStringLiteral("/async-scoped") + big, 300,
            150));
    run(QStringLiteral("http"),
        flood(QStringLiteral("http fan-outs"),
            QStringLiteral(
                "/async-continuation?tasks=10000&latency_ms=5000&timeout_ms=15000&kind=http"),
            3, 3));
    run(QStringLiteral("pool"),
        flood(QStringLiteral("pool hogs"),
            QStringLiteral("/thread-pool?tasks=32&latency_ms=60000&timeout_ms=1"), 20, 4));
    run(QStringLiteral("probes"),
        probe(QStringLiteral("probe /async-continuation"),
            QStringLiteral("/async-continuation?tasks=100&latency_ms=5000&timeout_ms=1000"), 1000,
            true));
    run(QStringLiteral("probes"),
        probe(QStringLiteral("probe /async-worker"),
            QStringLiteral("/async-worker?tasks=100&latency_ms=5000&timeout_ms=1000"), 1000,
            false));
    run(QStringLiteral("probes"),
        probe(QStringLiteral("probe /async-scoped"),
            QStringLiteral("/async-scoped?tasks=100&latency_ms=5000&timeout_ms=1000"), 1000,
            false));
    run(QStringLiteral("healthz"), [&] {
        LoadConfig config = configFor(base, QStringLiteral("/healthz"), 20, 1);
        config.timeoutMs = 5000;
        const LoadReport report = generators.run(config);
        {
            // A request that got no answer in 5 s counts as 5 s: it is the worst of latencies.
            std::lock_guard<std::mutex> lock(tally.mutex);
            tally.healthzMs += report.latenciesMs;
            for (int i = 0; i < report.timeouts(); ++i)
                tally.healthzMs.append(config.timeoutMs);
        }
        tally.count(QStringLiteral("/healthz"), report);
        QThread::msleep(20); // a monitor's pace, not a load
    });
    // Pages that never read: more than the cap, each with a tiny receive buffer.
    run(QStringLiteral("websockets"), [&] {
        std::vector<int> sockets;
        for (int i = 0; i < 100 && !stop.load(); ++i) {
            const int fd = connectRaw(port, 4096);
            if (fd >= 0 && sendAll(fd, webSocketUpgrade(host, ownOrigin)))
                sockets.push_back(fd);
        }
        for (int i = 0; i < 100 && !stop.load(); ++i)
            QThread::msleep(100);
        for (int fd : sockets)
            ::close(fd);
    });
    // Slow readers of the trace: a few KiB a second each.
    run(QStringLiteral("trace"), [&] {
        std::vector<int> sockets;
        for (int i = 0; i < 8; ++i) {
            const int fd = connectRaw(port, 4096);
            if (fd >= 0 && sendAll(fd, "GET /api/trace HTTP/1.1\r\nHost: " + host + "\r\n\r\n"))
                sockets.push_back(fd);
        }
        for (int round = 0; round < 100 && !stop.load(); ++round) {
            for (int fd : sockets)
                readFor(fd, 10, 4096);
            QThread::msleep(100);
        }
        for (int fd : sockets)
            ::close(fd);
    });
    // Slowloris: heads that never end, a byte a second.
    run(QStringLiteral("slowloris"), [&] {
        std::vector<int> sockets;
        for (int i = 0; i < 200; ++i) {
            const int fd = connectRaw(port);
            if (fd >= 0 && sendAll(fd, "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nX-Slow: "))
                sockets.push_back(fd);
        }
        for (int second = 0; second < 30 && !stop.load(); ++second) {
            for (int fd : sockets)
                sendAll(fd, "a");
            QThread::sleep(1);
        }
        for (int fd : sockets) {
            tally.countOne(QStringLiteral("slowloris"), statusOf(readFor(fd, 1)));
            ::close(fd);
        }
    });
    // DNS rebinding and cross-site requests.
    run(QStringLiteral("foreign"), [&] {
        const QList<QPair<QString, QByteArray>> requests {
            { QStringLiteral("foreign Host"),
                "GET /api/trace HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n" },
            { QStringLiteral("foreign Origin"),
                "GET /async-worker?tasks=10 HTTP/1.1\r\nHost: " + host
                    + "\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n" },
            { QStringLiteral("cross-site fetch"),
                "GET /async-continuation?tasks=10 HTTP/1.1\r\nHost: " + host
                    + "\r\nSec-Fetch-Site: cross-site\r\nConnection: close\r\n\r\n" },
            { QStringLiteral("foreign WebSocket"), webSocketUpgrade(host, "http://evil.example") },
        };
        for (const auto &[name, bytes] : requests) {
            const int fd = connectRaw(port);
            if (fd < 0)
                continue;
            sendAll(fd, bytes);
            tally.countOne(name, statusOf(readFor(fd, 2000, 64)));
            ::close(fd);
        }
        QThread::msleep(50);
    });

    // Resident memory while it all runs.
    QElapsedTimer clock;
    clock.start();
    double peakRss = 0;
    qint64 nextPrintMs = 0;
    while (
        clock.elapsed() < qint64(settings.seconds) * 1000 && server.state() == QProcess::Running) {
        const ProcessFigures during = measure(pid);
        peakRss = std::max(peakRss, during.rssMiB);
        if (clock.elapsed() >= nextPrintMs && (nextPrintMs += 5000))
            std::printf("t=%5.1f s  rss %7.1f MiB  threads %d  fds %d\n",
                double(clock.elapsed()) / 1000, during.rssMiB, during.threads, during.fds);
        std::fflush(stdout);
        QThread::msleep(250);
    }
    stop.store(true);
    generators.stop(); // their clients hang up: what they asked is abandoned
    for (auto &scenario : scenarios)
        scenario->join();
    const bool alive = server.state() == QProcess::Running;
    // How long the server's thread was kept from its clients at a time, over the whole run.
    QByteArray metrics;
    load(base, QStringLiteral("/metrics"), 1, 1,
        [&](int, const QByteArray &body) { metrics = body; });
    const auto sample = [&metrics](const char *name) {
        const QRegularExpression line(QLatin1Char('^')
                + QRegularExpression::escape(QLatin1String(name)) + QStringLiteral(" (\\S+)$"),
            QRegularExpression::MultilineOption);
        const auto match = line.match(QString::fromUtf8(metrics));
        return match.hasMatch() ? match.captured(1).toDouble() : -1;
    };
    const double longestTurnMs = sample("fanscope_server_thread_longest_turn_seconds") * 1000;
    const double turns = sample("fanscope_server_thread_turn_seconds_count");
    const double turnsOver10Ms
        = turns - sample("fanscope_server_thread_turn_seconds_bucket{le=\"0.01\"}");
    const double turnsOver1Ms
        = turns - sample("fanscope_server_thread_turn_seconds_bucket{le=\"0.001\"}");
    QThread::sleep(10);
    const ProcessFigures after = measure(pid);
    QStringList leftDescriptors;
    const QMap<QString, int> afterDescriptors = descriptorKinds(pid);
    for (auto it = afterDescriptors.cbegin(); it != afterDescriptors.cend(); ++it) {
        if (it.value() > idleDescriptors.value(it.key()))
            leftDescriptors << QStringLiteral("%1 × %2")
                                   .arg(it.value() - idleDescriptors.value(it.key()))
                                   .arg(it.key());
    }
    server.terminate();
    const bool cleanExit = server.waitForFinished(10000)
        && server.exitStatus() == QProcess::NormalExit && server.exitCode() == 0;

    std::sort(tally.healthzMs.begin(), tally.healthzMs.end());
    const double healthzP99 = tally.healthzMs.isEmpty()
        ? -1
        : tally.healthzMs.at(std::min<qsizetype>(tally.healthzMs.size() - 1,
            qsizetype(std::ceil(0.99 * double(tally.healthzMs.size()))) - 1));
    const double lateness = std::max(tally.worstServerLatenessMs, tally.worstClientLatenessMs);
    std::printf("\nafter 10 s idle: rss %.1f MiB (idle %.1f, peak %.1f), %d threads (idle %d), %d "
                "fds (idle %d)\n",
        after.rssMiB, idle.rssMiB, peakRss, after.threads, idle.threads, after.fds, idle.fds);
    if (!leftDescriptors.isEmpty()) {
        std::printf("descriptors more than when idle: %s\n",
            qPrintable(leftDescriptors.join(QStringLiteral(", "))));
    }
    std::printf("worst lateness past a deadline: %.1f ms in the answers, %.1f ms seen by clients "
                "(%d probes answered)\n",
        tally.worstServerLatenessMs, tally.worstClientLatenessMs, tally.probesAnswered);
    std::printf("  seen by clients with their connect: %.1f ms (slowest connect %.1f ms)\n",
        tally.worstClientLatenessWithConnectMs, tally.worstConnectMs);
    for (auto it = tally.worstLatenessByProbe.cbegin(); it != tally.worstLatenessByProbe.cend();
         ++it)
        std::printf("  %-28s worst %.1f ms in the answers\n", qPrintable(it.key()), it.value());
    std::printf(
        "/healthz: %lld answered, p99 %.2f ms\n", qint64(tally.healthzMs.size()), healthzP99);
    std::printf("server thread: %.0f turns, %.0f over 1 ms, %.0f over 10 ms, longest %.1f ms\n",
        turns, turnsOver1Ms, turnsOver10Ms, longestTurnMs);
    QJsonObject statuses;
    for (auto it = tally.statuses.cbegin(); it != tally.statuses.cend(); ++it) {
        QJsonObject counts;
        QStringList line;
        for (auto c = it.value().cbegin(); c != it.value().cend(); ++c) {
            counts.insert(c.key() ? QString::number(c.key()) : QStringLiteral("error"), c.value());
            line << QStringLiteral("%1×%2").arg(c.value()).arg(
                c.key() ? QString::number(c.key()) : QStringLiteral("error"));
        }
        statuses.insert(it.key(), counts);
        std::printf(
            "  %-28s %s\n", qPrintable(it.key()), qPrintable(line.join(QStringLiteral(", "))));
    }

    const bool goals = alive && peakRss < 1024 && after.rssMiB < 2 * idle.rssMiB
        && after.threads <= idle.threads && after.fds <= idle.fds && lateness < 20
        && healthzP99 >= 0 && healthzP99 < 50 && tally.probesAnswered > 0;
    const auto rounded = [](double v) { return std::round(v * 10) / 10; };
    const QJsonObject json {
        { QStringLiteral("seconds"), settings.seconds },
        { QStringLiteral("skipped"), QJsonArray::fromStringList(settings.skip) },
        { QStringLiteral("survived"), alive },
        { QStringLiteral("clean_exit"), cleanExit },
        { QStringLiteral("rss_idle_mib"), rounded(idle.rssMiB) },
        { QStringLiteral("rss_peak_mib"), rounded(peakRss) },
        { QStringLiteral("rss_after_10s_mib"), rounded(after.rssMiB) },
        { QStringLiteral("threads_idle"), idle.threads },
        { QStringLiteral("threads_after"), after.threads },
        { QStringLiteral("fds_idle"), idle.fds },
        { QStringLiteral("fds_after"), after.fds },
        { QStringLiteral("worst_lateness_ms"), rounded(lateness) },
        { QStringLiteral("worst_lateness_answer_ms"), rounded(tally.worstServerLatenessMs) },
        { QStringLiteral("worst_lateness_client_ms"), rounded(tally.worstClientLatenessMs) },
        { QStringLiteral("worst_lateness_client_with_connect_ms"),
            rounded(tally.worstClientLatenessWithConnectMs) },
        { QStringLiteral("worst_connect_ms"), rounded(tally.worstConnectMs) },
        { QStringLiteral("healthz_p99_ms"), std::round(healthzP99 * 100) / 100 },
        { QStringLiteral("server_longest_turn_ms"), rounded(longestTurnMs) },
        { QStringLiteral("server_turns_over_10ms"), turnsOver10Ms },
        { QStringLiteral("healthz_answered"), int(tally.healthzMs.size()) },
        { QStringLiteral("statuses"), statuses },
        { QStringLiteral("goals_met"), goals },
    };
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
    return goals ? 0 : 1;
}
