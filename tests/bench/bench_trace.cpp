// What tracing costs on the hot path: nanoseconds per span (a start and an end event) recorded
// by one thread and by several at once, with a reader draining as the window does.
#include "tracerecorder.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include <atomic>
#include <numeric>
#include <time.h>
#include <cstdio>
#include <memory>
#include <vector>

namespace {

double threadCpuNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// CPU time a writer thread spends per span (a start and an end event), with `threads` writers
// at once and a reader draining all the while, as the window and the web page do.
double nsPerSpan(int threads, int spansPerThread)
{
    TraceRecorder recorder(1 << 20);
    std::atomic<bool> done { false };
    std::unique_ptr<QThread> reader(QThread::create([&] {
        quint64 seen = 0;
        while (!done.load()) {
            const auto batch = recorder.eventsSince(seen, 20000);
            if (!batch.isEmpty())
                seen = batch.constLast().seq;
        }
    }));
    reader->start();
    std::atomic<int> ready { 0 };
    std::atomic<bool> go { false };
    std::vector<double> cpuNs(size_t(threads), 0.0);
    std::vector<std::unique_ptr<QThread>> writers;
    for (int t = 0; t < threads; ++t) {
        writers.emplace_back(QThread::create([&, t] {
            recorder.registerCurrentThread(ThreadKind::Loop);
            ready.fetch_add(1);
            while (!go.load()) { }
            const double before = threadCpuNs();
            for (int i = 0; i < spansPerThread; ++i) {
                recorder.taskStarted(quint64(t), i, TaskKind::Timer, recorder.now());
                recorder.taskEnded(quint64(t), i, 0, TaskStatus::Ok, recorder.now());
            }
            cpuNs[size_t(t)] = threadCpuNs() - before;
        }));
        writers.back()->start();
    }
    while (ready.load() < threads) { }
    go = true;
    for (auto &writer : writers)
        writer->wait();
    done = true;
    reader->wait();
    return std::accumulate(cpuNs.cbegin(), cpuNs.cend(), 0.0) / (double(spansPerThread) * threads);
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    constexpr int Spans = 500000;
    std::vector<double> one, two;
    for (int run = 0; run < 5; ++run) {
        one.push_back(nsPerSpan(1, Spans));
        two.push_back(nsPerSpan(2, Spans / 2));
    }
    const double oneNs = median(one);
    const double twoNs = median(two);
    std::printf("tracing cost: writer CPU time per span (start + end event), median of 5 runs of %d spans, a reader draining:\n", Spans);
    std::printf("  1 writer thread:  %.1f ns per span\n", oneNs);
    std::printf("  2 writer threads: %.1f ns per span (contending, %d cores)\n", twoNs, QThread::idealThreadCount());
    const QJsonObject json {
        { QStringLiteral("ns_per_span_1_thread"), std::round(oneNs * 10) / 10 },
        { QStringLiteral("ns_per_span_2_threads"), std::round(twoNs * 10) / 10 },
        { QStringLiteral("goal_ns"), 1000 },
    };
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
    return 0;
}
