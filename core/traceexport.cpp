#include "traceexport.h"

#include "fanoutplan.h"
#include "traceexportwriter.h"
#include "tracerecorder.h"

#include <QHash>
#include <QSet>
#include <QJsonDocument>
#include <QSaveFile>

#include <cmath>

namespace {

// Trace Event timestamps are microseconds; keep the nanoseconds as decimals.
double toUs(qint64 ns)
{
    return double(ns) / 1000.0;
}

double toMs(qint64 ns)
{
    return std::round(double(ns) / 1e3) / 1e3;
}

const char *eventTypeName(TraceEvent::Type type)
{
    switch (type) {
    case TraceEvent::Type::RequestStarted:
        return "request_start";
    case TraceEvent::Type::RequestEnded:
        return "request_end";
    case TraceEvent::Type::TaskStarted:
        return "task_start";
    case TraceEvent::Type::TaskEnded:
        return "task_end";
    case TraceEvent::Type::TaskReleased:
        return "task_released";
    }
    return "";
}

// What became of a finished request: answered, abandoned by its client (no answer sent), or
// refused before it started (its work did not fit in the server's budget).
QString requestOutcome(const TraceExport::Span &span)
{
    if (span.httpStatus == TraceEvent::RefusedStatus)
        return QStringLiteral("refused");
    return span.status == TaskStatus::Cancelled ? QStringLiteral("abandoned") : QStringLiteral("answered");
}

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    return QLatin1Char('"') + QString(text).replace(QStringLiteral("\""), QStringLiteral("\"\"")) + QLatin1Char('"');
}

} // namespace

TraceExport TraceExport::fromRecorder(TraceRecorder &recorder)
{
    // The events up to the last one published now, read a batch at a time: only the spans are
    // held, never a copy of the whole history besides them. (Events forgotten meanwhile are
    // skipped, as they would be by a later export.)
    constexpr int BatchEvents = 64 * 1024;
    TraceExport trace({}, {}, {}, 0);
    SpanIndex index;
    QVector<TraceEvent> batch = recorder.eventsSince(0, BatchEvents);
    const quint64 last = recorder.lastSeq();
    if (!batch.isEmpty())
        trace.m_spans.reserve(qsizetype((last - batch.constFirst().seq + 1) / 2 + 1));
    while (!batch.isEmpty()) {
        const quint64 batchLast = batch.constLast().seq;
        batch.erase(std::remove_if(batch.begin(), batch.end(),
                        [last](const TraceEvent &e) { return e.seq > last; }),
            batch.end());
        trace.addEvents(batch, &index);
        if (batchLast >= last)
            break;
        batch = recorder.eventsSince(batchLast, BatchEvents);
    }
    trace.m_lanes = recorder.lanes();
    trace.m_routes = recorder.routes();
    trace.m_nowNs = recorder.now();
    return trace;
}

TraceExport::TraceExport(const QVector<TraceEvent> &events, QVector<ThreadLane> lanes, QStringList routes, qint64 nowNs)
    : m_lanes(std::move(lanes))
    , m_routes(std::move(routes))
    , m_nowNs(nowNs)
{
    SpanIndex index;
    addEvents(events, &index);
}

void TraceExport::addEvents(const QVector<TraceEvent> &events, SpanIndex *index)
{
    QHash<quint64, int> &requestSpan = index->requestSpan;
    QHash<QPair<quint64, int>, int> &taskSpan = index->taskSpan;
    for (const TraceEvent &event : events) {
        switch (event.type) {
        case TraceEvent::Type::RequestStarted: {
            Span span;
            span.type = event.type;
            span.requestId = event.requestId;
            span.lane = event.lane;
            span.route = event.route;
            span.startNs = event.timeNs;
            span.deadlineNs = event.timeNs + qint64(event.timeoutMs) * 1000000;
            requestSpan.insert(event.requestId, int(m_spans.size()));
            m_spans.append(span);
            break;
        }
        case TraceEvent::Type::RequestEnded:
            if (const int i = requestSpan.value(event.requestId, -1); i >= 0) {
                m_spans[i].endNs = event.timeNs;
                m_spans[i].httpStatus = event.httpStatus;
                m_spans[i].status = event.httpStatus == TraceEvent::AbandonedStatus ? TaskStatus::Cancelled : TaskStatus::Ok;
            }
            break;
        case TraceEvent::Type::TaskStarted: {
            Span span;
            span.type = event.type;
            span.requestId = event.requestId;
            span.task = event.task;
            span.lane = event.lane;
            span.kind = event.kind;
            span.startNs = event.timeNs;
            if (const int r = requestSpan.value(event.requestId, -1); r >= 0)
                span.route = m_spans.at(r).route;
            taskSpan.insert({ event.requestId, event.task }, int(m_spans.size()));
            m_spans.append(span);
            break;
        }
        case TraceEvent::Type::TaskEnded:
            // A task given up on before any thread took it never ran: there is no span to draw.
            if (const int i = taskSpan.value({ event.requestId, event.task }, -1); i >= 0) {
                m_spans[i].endNs = event.timeNs;
                m_spans[i].status = event.status;
                m_spans[i].outlives = event.outlives;
            }
            break;
        case TraceEvent::Type::TaskReleased:
            if (const int i = taskSpan.value({ event.requestId, event.task }, -1); i >= 0)
                m_spans[i].releasedNs = event.timeNs;
            break;
        }
    }
}

QString TraceExport::laneName(int lane) const
{
    return lane >= 0 && lane < m_lanes.size() ? m_lanes.at(lane).name : QString();
}

QJsonObject TraceExport::spanArgs(const Span &span) const
{
    QJsonObject args {
        { QStringLiteral("request_id"), qint64(span.requestId) },
        { QStringLiteral("route"), m_routes.value(span.route) },
        { QStringLiteral("thread"), laneName(span.lane) },
    };
    if (span.isRequest()) {
        args.insert(QStringLiteral("http_status"), span.httpStatus);
        args.insert(QStringLiteral("deadline_ms"), toMs(span.deadlineNs));
        if (span.endNs >= 0)
            args.insert(QStringLiteral("outcome"), requestOutcome(span));
    } else {
        args.insert(QStringLiteral("account"), FanOutPlan::accountName(span.task));
        args.insert(QStringLiteral("status"), taskStatusName(span.status));
        args.insert(QStringLiteral("kind"), taskKindName(span.kind));
    }
    if (span.endNs < 0)
        args.insert(QStringLiteral("open"), true);
    return args;
}

QByteArray TraceExport::chromeTraceJson() const
{
    QByteArray out = chromeTraceHead();
    const QSet<QPair<int, bool>> overlapping = overlappingGroups();
    for (const Span &span : m_spans)
        appendChromeEvents(span, overlapping, &out);
    return out + chromeTraceTail();
}

QByteArray TraceExport::chromeTraceHead() const
{
    // The document is written by hand around events serialised one by one, so that it can be
    // written a piece at a time; the keys are in QJsonDocument's (sorted) order, as they were.
    QJsonArray events;
    events.append(QJsonObject { { QStringLiteral("ph"), QStringLiteral("M") }, { QStringLiteral("name"), QStringLiteral("process_name") },
        { QStringLiteral("pid"), 1 }, { QStringLiteral("tid"), 0 }, { QStringLiteral("args"), QJsonObject { { QStringLiteral("name"), QStringLiteral("fanscope") } } } });
    for (const ThreadLane &lane : m_lanes) {
        // Trace Event thread ids are lane ids + 1: some viewers treat tid 0 specially.
        events.append(QJsonObject { { QStringLiteral("ph"), QStringLiteral("M") }, { QStringLiteral("name"), QStringLiteral("thread_name") },
            { QStringLiteral("pid"), 1 }, { QStringLiteral("tid"), lane.id + 1 }, { QStringLiteral("args"), QJsonObject { { QStringLiteral("name"), lane.name } } } });
        events.append(QJsonObject { { QStringLiteral("ph"), QStringLiteral("M") }, { QStringLiteral("name"), QStringLiteral("thread_sort_index") },
            { QStringLiteral("pid"), 1 }, { QStringLiteral("tid"), lane.id + 1 }, { QStringLiteral("args"), QJsonObject { { QStringLiteral("sort_index"), int(lane.kind) * 1000 + lane.ordinal } } } });
    }
    // "[...]" without its closing bracket: the spans' events follow.
    return "{\"displayTimeUnit\":\"ms\",\"traceEvents\":"
        + QJsonDocument(events).toJson(QJsonDocument::Compact).chopped(1);
}

QByteArray TraceExport::chromeTraceTail()
{
    return QByteArrayLiteral("]}");
}

QSet<QPair<int, bool>> TraceExport::overlappingGroups() const
{
    // Which (lane, request-or-task) groups have spans that partly overlap: those cannot be
    // complete events, which must nest on their thread.
    QHash<QPair<int, bool>, QVector<const Span *>> groups;
    for (const Span &span : m_spans) {
        if (span.lane >= 0)
            groups[{ span.lane, span.isRequest() }].append(&span);
    }
    QSet<QPair<int, bool>> overlapping;
    for (auto it = groups.begin(); it != groups.end(); ++it) {
        QVector<const Span *> &list = it.value();
        std::sort(list.begin(), list.end(), [](const Span *a, const Span *b) { return a->startNs < b->startNs; });
        qint64 lastEnd = std::numeric_limits<qint64>::min();
        for (const Span *span : std::as_const(list)) {
            if (span->startNs < lastEnd) {
                overlapping.insert(it.key());
                break;
            }
            lastEnd = std::max(lastEnd, span->endNs < 0 ? m_nowNs : std::max(span->endNs, span->releasedNs));
        }
    }
    return overlapping;
}

void TraceExport::appendChromeEvents(
    const Span &span, const QSet<QPair<int, bool>> &overlapping, QByteArray *out) const
{
    if (span.lane < 0)
        return;
    // The metadata events always come first, so every span's event follows a comma.
    auto append = [out](const QJsonObject &event) {
        *out += ',';
        *out += QJsonDocument(event).toJson(QJsonDocument::Compact);
    };
    const qint64 end = span.endNs < 0 ? m_nowNs : span.endNs;
    QString name
        = span.isRequest() ? m_routes.value(span.route) : FanOutPlan::accountName(span.task);
    // Named apart, as the "ran on" spans are, so that a trace viewer shows it at a glance.
    if (span.isRequest() && span.status == TaskStatus::Cancelled)
        name += QStringLiteral(" (abandoned)");
    else if (span.isRequest() && span.httpStatus == TraceEvent::RefusedStatus)
        name += QStringLiteral(" (refused)");
    const QString category = span.isRequest() ? QStringLiteral("request") : QStringLiteral("task");
    const QJsonObject args = spanArgs(span);
    const bool async = overlapping.contains({ span.lane, span.isRequest() });
    auto emitSpan = [&](const QString &spanName, qint64 from, qint64 to, const QString &idSuffix) {
        if (!async) {
            append(QJsonObject { { QStringLiteral("ph"), QStringLiteral("X") },
                { QStringLiteral("name"), spanName }, { QStringLiteral("cat"), category },
                { QStringLiteral("pid"), 1 }, { QStringLiteral("tid"), span.lane + 1 },
                { QStringLiteral("ts"), toUs(from) }, { QStringLiteral("dur"), toUs(to - from) },
                { QStringLiteral("args"), args } });
            return;
        }
        const QString id
            = QStringLiteral("%1.%2%3").arg(span.requestId).arg(span.task).arg(idSuffix);
        const QJsonObject id2 { { QStringLiteral("local"), id } };
        append(QJsonObject { { QStringLiteral("ph"), QStringLiteral("b") },
            { QStringLiteral("name"), spanName }, { QStringLiteral("cat"), category },
            { QStringLiteral("pid"), 1 }, { QStringLiteral("tid"), span.lane + 1 },
            { QStringLiteral("id2"), id2 }, { QStringLiteral("ts"), toUs(from) },
            { QStringLiteral("args"), args } });
        append(QJsonObject { { QStringLiteral("ph"), QStringLiteral("e") },
            { QStringLiteral("name"), spanName }, { QStringLiteral("cat"), category },
            { QStringLiteral("pid"), 1 }, { QStringLiteral("tid"), span.lane + 1 },
            { QStringLiteral("id2"), id2 }, { QStringLiteral("ts"), toUs(to) } });
    };
    emitSpan(name, span.startNs, end, QString());
    // A blocking task given up on goes on holding its thread: its own span, "ran on".
    if (span.outlives && span.endNs >= 0) {
        const qint64 released = span.releasedNs < 0 ? m_nowNs : span.releasedNs;
        if (released > span.endNs)
            emitSpan(name + QStringLiteral(" (ran on, given up)"), span.endNs, released,
                QStringLiteral(".ran-on"));
    }
}

QByteArray TraceExport::csv() const
{
    QByteArray out = csvHead();
    for (const Span &span : m_spans)
        out += csvLine(span);
    return out;
}

QByteArray TraceExport::csvHead()
{
    return QByteArrayLiteral("type,request_id,route,task,account,kind,status,http_status,thread,"
                             "start_ms,end_ms,duration_ms,released_ms\n");
}

QByteArray TraceExport::csvLine(const Span &span) const
{
    const bool open = span.endNs < 0;
    const QStringList fields {
        span.isRequest() ? QStringLiteral("request") : QStringLiteral("task"),
        QString::number(span.requestId),
        csvField(m_routes.value(span.route)),
        span.isRequest() ? QString() : QString::number(span.task),
        span.isRequest() ? QString() : FanOutPlan::accountName(span.task),
        span.isRequest() ? QString() : taskKindName(span.kind),
        open ? QStringLiteral("running")
             : (span.isRequest() ? requestOutcome(span) : taskStatusName(span.status)),
        span.isRequest() && !open ? QString::number(span.httpStatus) : QString(),
        csvField(laneName(span.lane)),
        QString::number(toMs(span.startNs), 'f', 3),
        open ? QString() : QString::number(toMs(span.endNs), 'f', 3),
        open ? QString() : QString::number(toMs(span.endNs - span.startNs), 'f', 3),
        span.releasedNs < 0 ? QString() : QString::number(toMs(span.releasedNs), 'f', 3),
    };
    return (fields.join(QLatin1Char(',')) + QLatin1Char('\n')).toUtf8();
}

QByteArray TraceExport::eventsJson(const QVector<TraceEvent> &events, const QStringList &routes)
{
    // Route names are quoted once; every other value is a number or a fixed word.
    QVector<QByteArray> quotedRoutes;
    for (const QString &route : routes)
        quotedRoutes.append(QJsonDocument(QJsonArray { route }).toJson(QJsonDocument::Compact).mid(1).chopped(1));
    QByteArray out;
    out.reserve(events.size() * 110 + 2);
    out += '[';
    for (const TraceEvent &event : events) {
        if (out.size() > 1)
            out += ',';
        out += "{\"seq\":" + QByteArray::number(event.seq) + ",\"type\":\"" + eventTypeName(event.type)
            + "\",\"t_ms\":" + QByteArray::number(toMs(event.timeNs), 'f', 3) + ",\"request\":" + QByteArray::number(event.requestId)
            + ",\"lane\":" + QByteArray::number(event.lane);
        switch (event.type) {
        case TraceEvent::Type::RequestStarted:
            out += ",\"route\":" + quotedRoutes.value(event.route, QByteArrayLiteral("\"\"")) + ",\"timeout_ms\":" + QByteArray::number(event.timeoutMs)
                + ",\"tasks\":" + QByteArray::number(event.taskCount);
            break;
        case TraceEvent::Type::RequestEnded:
            out += ",\"http_status\":" + QByteArray::number(event.httpStatus);
            break;
        case TraceEvent::Type::TaskStarted:
            out += ",\"task\":" + QByteArray::number(event.task) + ",\"kind\":\"" + taskKindName(event.kind).toLatin1() + '"';
            break;
        case TraceEvent::Type::TaskEnded:
            out += ",\"task\":" + QByteArray::number(event.task) + ",\"status\":\"" + taskStatusName(event.status).toLatin1() + '"';
            if (event.outlives)
                out += ",\"outlives\":true";
            break;
        case TraceEvent::Type::TaskReleased:
            out += ",\"task\":" + QByteArray::number(event.task);
            break;
        }
        out += '}';
    }
    out += ']';
    return out;
}

QJsonArray TraceExport::lanesJson(const QVector<ThreadLane> &lanes)
{
    QJsonArray array;
    for (const ThreadLane &lane : lanes) {
        array.append(QJsonObject { { QStringLiteral("id"), lane.id }, { QStringLiteral("name"), lane.name },
            { QStringLiteral("kind"), threadKindName(lane.kind) }, { QStringLiteral("ordinal"), lane.ordinal } });
    }
    return array;
}

QByteArray TraceExport::bytes(Format format) const
{
    return format == Format::Csv ? csv() : chromeTraceJson();
}

int TraceExport::save(TraceRecorder &recorder, const QString &path, Format format, QString *error)
{
    // A piece at a time, as the server sends it: the file's size costs no memory.
    const std::unique_ptr<TraceExportWriter> writer
        = TraceExportWriter::fromRecorder(recorder, format);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !writer->writeTo(file) || !file.commit()) {
        *error = file.errorString();
        return -1;
    }
    return writer->spanCount();
}
