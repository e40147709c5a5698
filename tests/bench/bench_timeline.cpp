// How long the timeline takes to paint a frame when it holds a load run's worth of spans.
//
// Fills a TimelineModel with 100,000 spans on 16 lanes (requests on worker lanes, tasks of ten
// overlapping on loop and pool lanes, some failed and timed out), then paints the view offscreen
// at 1600 x 900: the whole range (most spans narrower than a pixel), a zoom on one second, and
// while following live. Prints the median and p90 of repeated frames (CPU time of the painting
// thread), then one JSON object with "spans" and "frame_ms" (the worst of the medians).
// Goal: <= 16 ms, one frame at 60 Hz.
//
// Usage: bench_timeline [--spans N (100000)] [--frames N (30)]
#include "timelinemodel.h"
#include "timelineview.h"
#include "timelinezoom.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>

#include <algorithm>
#include <cstdio>
#include <random>
#include <time.h>

namespace {

constexpr qint64 Ms = 1000000;
constexpr int Lanes = 16;

TraceEvent event(TraceEvent::Type type, quint64 request, int lane, qint64 t)
{
    TraceEvent e;
    e.type = type;
    e.requestId = request;
    e.lane = lane;
    e.timeNs = t;
    return e;
}

// Requests of ten tasks on 5 worker lanes, their tasks spread over 11 loop and pool lanes,
// arriving every 2 ms: a load run of some seconds.
void fill(TimelineModel &model, int spans)
{
    for (int lane = 0; lane < Lanes; ++lane) {
        const ThreadKind kind = lane < 5 ? ThreadKind::Worker : lane < 9 ? ThreadKind::Loop : ThreadKind::Pool;
        const int ordinal = lane < 5 ? lane + 1 : lane < 9 ? lane - 4 : lane - 8;
        model.addLane(ThreadLane { lane, kind, ordinal, threadKindName(kind) + QLatin1Char('-') + QString::number(ordinal) });
    }
    model.setSpanCapacity(spans * 2);
    std::mt19937 random(7);
    std::uniform_int_distribution<int> latencyMs(20, 400);
    std::uniform_int_distribution<int> percent(0, 99);
    QVector<TraceEvent> events;
    quint64 request = 1;
    for (int made = 0; made < spans; made += 11, ++request) {
        const qint64 start = qint64(request) * 2 * Ms;
        TraceEvent begin = event(TraceEvent::Type::RequestStarted, request, int(request % 5), start);
        begin.timeoutMs = 300;
        begin.taskCount = 10;
        events.append(begin);
        qint64 last = start;
        for (int task = 0; task < 10; ++task) {
            const int lane = 5 + int((request + quint64(task)) % (Lanes - 5));
            TraceEvent taskStart = event(TraceEvent::Type::TaskStarted, request, lane, start + 10000);
            taskStart.task = task;
            events.append(taskStart);
            const qint64 end = start + std::min(300, latencyMs(random)) * Ms;
            TraceEvent taskEnd = event(TraceEvent::Type::TaskEnded, request, lane, end);
            taskEnd.task = task;
            const int roll = percent(random);
            taskEnd.status = end >= start + 300 * Ms ? TaskStatus::TimedOut : roll < 5 ? TaskStatus::Failed : TaskStatus::Ok;
            events.append(taskEnd);
            last = std::max(last, end);
        }
        TraceEvent done = event(TraceEvent::Type::RequestEnded, request, int(request % 5), last);
        done.httpStatus = 200;
        events.append(done);
    }
    // Published order: by time, as the recorder would.
    std::stable_sort(events.begin(), events.end(), [](const TraceEvent &a, const TraceEvent &b) { return a.timeNs < b.timeNs; });
    for (int i = 0; i < events.size(); ++i)
        events[i].seq = quint64(i + 1);
    model.applyEvents(events);
}

// The painting thread's CPU time: what a frame costs, whatever else the machine is doing (the
// paint is single-threaded, so on an idle machine it is the wall time too).
double threadCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Frames {
    double medianMs = 0;
    double p90Ms = 0;
};

Frames paintFrames(TimelineView &view, int frames)
{
    QImage image(view.viewport()->size() * view.devicePixelRatio(), QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(view.devicePixelRatio());
    std::vector<double> times;
    for (int i = 0; i < frames + 2; ++i) {
        const double before = threadCpuMs();
        view.viewport()->render(&image);
        if (i >= 2) // the first frames build glyph caches and pattern pixmaps
            times.push_back(threadCpuMs() - before);
    }
    std::sort(times.begin(), times.end());
    return { times[times.size() / 2], times[size_t(double(times.size()) * 0.9)] };
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    int spans = 100000, frames = 30;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args.at(i) == QLatin1String("--spans"))
            spans = args.at(i + 1).toInt();
        else if (args.at(i) == QLatin1String("--frames"))
            frames = args.at(i + 1).toInt();
    }
    if (spans < 100 || frames < 1) {
        std::fprintf(stderr, "usage: bench_timeline [--spans N (>= 100)] [--frames N]\n");
        return 2;
    }

    TimelineModel model;
    QElapsedTimer filling;
    filling.start();
    fill(model, spans);
    const double fillMs = double(filling.nsecsElapsed()) / 1e6;
    TimelineView view;
    view.setModel(&model);
    view.resize(1600, 900);
    view.show();

    view.zoom()->setFollowLive(false);
    view.zoomToFit();
    const Frames whole = paintFrames(view, frames);
    const auto [first, last] = model.timeRange();
    const qint64 middle = (first + last) / 2;
    view.zoom()->setRange(middle, middle + 1000 * Ms);
    const Frames second = paintFrames(view, frames);
    view.zoom()->setRange(last - 10000 * Ms, last + 200 * Ms); // where a live view looks
    const Frames live = paintFrames(view, frames);

    std::printf("%d spans on %d lanes (model filled in %.0f ms), frames of %dx%d:\n", model.spanCount(), Lanes, fillMs,
        view.viewport()->width(), view.viewport()->height());
    std::printf("  whole range:   median %6.2f ms, p90 %6.2f ms\n", whole.medianMs, whole.p90Ms);
    std::printf("  one second:    median %6.2f ms, p90 %6.2f ms\n", second.medianMs, second.p90Ms);
    std::printf("  last 10 s:     median %6.2f ms, p90 %6.2f ms\n", live.medianMs, live.p90Ms);
    const double worst = std::max({ whole.medianMs, second.medianMs, live.medianMs });
    const QJsonObject json {
        { QStringLiteral("spans"), model.spanCount() },
        { QStringLiteral("lanes"), Lanes },
        { QStringLiteral("frame_ms"), std::round(worst * 100) / 100 },
        { QStringLiteral("whole_ms"), std::round(whole.medianMs * 100) / 100 },
        { QStringLiteral("one_second_ms"), std::round(second.medianMs * 100) / 100 },
        { QStringLiteral("live_ms"), std::round(live.medianMs * 100) / 100 },
    };
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
    return 0;
}
