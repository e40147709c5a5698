// Fan-out overhead and throughput against their ideal bounds.
//
// 1. Per strategy, the overhead of one request beyond its ideal (the slowest task): 10 and 1000
//    timer tasks of 200 ms, run in the view directly (no HTTP), median and p90 of repeated runs.
// 2. Over HTTP, with the load generator: one request of 10 x 1 s (the original demo's 1.0045 s);
//    100 concurrent such requests on 5 workers against the bound of 20 s (the demo's 20.12 s);
//    1000 concurrent /async-continuation requests of 10 x 200 ms (goal: 0.8 s).
// Usage: bench_fanout [--quick]   (--quick: fewer repetitions, no 20 s run)
#include "fanoutstrategy.h"
#include "loadgenerator.h"
#include "serverhost.h"
#include "tracerecorder.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSemaphore>
#include <QThread>

#include <cstdio>

namespace {

constexpr int LatencyMs = 200;

double percentile(std::vector<double> values, double p)
{
    std::sort(values.begin(), values.end());
    const auto rank = size_t(std::ceil(p / 100.0 * double(values.size())));
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

FanOutResult runOnce(FanOutStrategy *strategy, const FanOutSpec &spec)
{
    if (strategy->holdsWorker())
        return strategy->execute(spec);
    // start() ends the request on a loop thread: wait here for its callback.
    QSemaphore done;
    FanOutResult result;
    strategy->start(spec, {}, [&](const FanOutResult &ended) {
        result = ended;
        done.release();
    });
    done.acquire();
    return result;
}

QJsonObject measureOverhead(FanOutStrategy *strategy, int tasks, int repetitions)
{
    std::vector<double> overheads;
    for (int r = 0; r < repetitions + 1; ++r) {
        FanOutSpec spec;
        spec.tasks = tasks;
        spec.latencyMs = LatencyMs;
        spec.timeoutMs = 10000;
        spec.seed = quint64(r);
        const FanOutResult result = runOnce(strategy, spec);
        if (r == 0)
            continue; // warm-up: threads, timers and sockets made on first use
        overheads.push_back(result.elapsedMs() - LatencyMs);
    }
    const double median = percentile(overheads, 50);
    const double p90 = percentile(overheads, 90);
    std::printf("  %-22s %5d tasks: overhead median %7.3f ms, p90 %7.3f ms\n", qPrintable(strategy->route()), tasks, median, p90);
    std::fflush(stdout);
    return QJsonObject { { QStringLiteral("median_ms"), round3(median) }, { QStringLiteral("p90_ms"), round3(p90) } };
}

LoadReport load(const QUrl &base, const QString &pathAndQuery, int requests, int concurrency)
{
    LoadConfig config;
    config.url = base.resolved(QUrl(pathAndQuery));
    config.requests = requests;
    config.concurrency = concurrency;
    return LoadGenerator(config).run();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    const int repetitions = quick ? 5 : 15;

    TraceRecorder recorder;
    ServerOptions options;
    options.port = 0;
    ServerHost host(recorder, options);
    QString error;
    if (!host.start(&error)) {
        std::fprintf(stderr, "bench_fanout: %s\n", qPrintable(error));
        return 1;
    }

    std::printf("machine: %d cores, Qt %s\n", QThread::idealThreadCount(), qVersion());
    std::printf("fan-out overhead beyond the slowest task (%d ms timer tasks, %d runs each):\n", LatencyMs, repetitions);
    QJsonObject overhead;
    for (FanOutStrategy *strategy : host.strategies()) {
        const QString name = strategy->name();
        // The sequential baseline and the single task of /await-one fan nothing out at once.
        if (name == QLatin1String("sequential") || name == QLatin1String("await-one"))
            continue;
        QJsonObject perCount;
        perCount.insert(QStringLiteral("10"), measureOverhead(strategy, 10, repetitions));
        // 1000 blocking tasks on a 32-thread pool are 32 rounds, not one: no single-latency ideal.
        if (name != QLatin1String("thread-pool"))
            perCount.insert(QStringLiteral("1000"), measureOverhead(strategy, 1000, repetitions));
        overhead.insert(name, perCount);
    }

    QJsonObject http;
    const QUrl base = host.url();
    const LoadReport one = load(base, QStringLiteral("/async-worker?tasks=10&latency_ms=1000"), 1, 1);
    std::printf("one request of 10 x 1 s over HTTP: %.4f s (original demo: 1.0045 s)\n", one.totalS);
    http.insert(QStringLiteral("one_request_10x1s_s"), round3(one.totalS * 1000) / 1000);

    if (!quick) {
        const LoadReport hundred = load(base, QStringLiteral("/async-worker?tasks=10&latency_ms=1000"), 100, 100);
        const double bound = 100.0 / options.workers * 1.0;
        std::printf("100 concurrent /async-worker 10 x 1 s on %d workers: %.3f s, bound %.1f s, %+.2f %% (original demo: 20.12 s)\n",
            options.workers, hundred.totalS, bound, (hundred.totalS / bound - 1) * 100);
        http.insert(QStringLiteral("c100_async_worker_s"), round3(hundred.totalS));
        http.insert(QStringLiteral("c100_bound_s"), bound);
        http.insert(QStringLiteral("c100_over_bound_pct"), std::round((hundred.totalS / bound - 1) * 10000) / 100);
    }

    const LoadReport thousand = load(base, QStringLiteral("/async-continuation?tasks=10&latency_ms=200"), 1000, 1000);
    std::printf("1000 concurrent /async-continuation 10 x 200 ms: %.3f s (goal 0.8 s), %d answered, %d errors\n",
        thousand.totalS, thousand.answered(), thousand.errors());
    http.insert(QStringLiteral("c1000_continuation_s"), round3(thousand.totalS));
    http.insert(QStringLiteral("c1000_continuation_errors"), thousand.errors());

    const LoadReport trivial = load(base, QStringLiteral("/healthz"), 20000, 50);
    std::printf("trivial route (/healthz), 20000 requests, 50 at once: %.0f requests/s (original demo: 3050)\n", trivial.rps());
    http.insert(QStringLiteral("healthz_rps"), std::round(trivial.rps()));

    const QJsonObject json {
        { QStringLiteral("cores"), QThread::idealThreadCount() },
        { QStringLiteral("latency_ms"), LatencyMs },
        { QStringLiteral("overhead"), overhead },
        { QStringLiteral("http"), http },
    };
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
    host.stop();
    return 0;
}
