#pragma once

// The recorded timeline in the forms that leave the process: Chrome Trace Event JSON (for
// Perfetto and chrome://tracing), CSV of the spans, and the JSON of live events that the web
// page reads. Built from a recorder's events, so /api/trace and the window's File > Export trace
// give the same file.
#include "threadlane.h"
#include "traceevent.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QPair>
#include <QSet>
#include <QStringList>
#include <QVector>

class TraceRecorder;

class TraceExport
{
public:
    enum class Format {
        ChromeTrace, // chromeTraceJson()
        Csv, // csv()
    };

    // One request or task span, rebuilt from its start and end events.
    struct Span {
        TraceEvent::Type type = TraceEvent::Type::RequestStarted; // RequestStarted or TaskStarted
        quint64 requestId = 0;
        int task = -1;
        int lane = -1;
        int route = -1; // requests: route id; tasks: their request's
        qint64 startNs = 0;
        qint64 endNs = -1; // -1: still open
        qint64 deadlineNs = -1; // requests
        qint64 releasedNs = -1; // tasks that ran on after being given up
        int httpStatus = 0;
        // Tasks: their status. Requests: Running, then Ok (answered) or Cancelled (abandoned:
        // the client hung up, httpStatus is TraceEvent::AbandonedStatus).
        TaskStatus status = TaskStatus::Running;
        TaskKind kind = TaskKind::Timer;
        bool outlives = false;
        bool isRequest() const { return type == TraceEvent::Type::RequestStarted; }
    };

    // Everything the recorder still holds, as of now.
    static TraceExport fromRecorder(TraceRecorder &recorder);
    TraceExport(const QVector<TraceEvent> &events, QVector<ThreadLane> lanes, QStringList routes, qint64 nowNs);

    const QVector<Span> &spans() const { return m_spans; }

    // {"traceEvents": [...], "displayTimeUnit": "ms"}: complete events ("X") for spans that never
    // overlap another on their lane, async begin/end pairs ("b"/"e", unique id2) for lanes where
    // spans overlap (tasks waiting on one loop thread), thread_name metadata for every lane.
    QByteArray chromeTraceJson() const;
    // One line per span: type,request_id,route,task,account,kind,status,http_status,thread,...
    QByteArray csv() const;
    QByteArray bytes(Format format) const;

    // The same documents in pieces, for writing them a little at a time (TraceExportWriter):
    // head, then each span's part in order, then tail.
    QByteArray chromeTraceHead() const; // up to the last metadata event
    static QByteArray chromeTraceTail();
    // The (lane, is-request) groups whose spans overlap: drawn as async events. Once per document.
    QSet<QPair<int, bool>> overlappingGroups() const;
    // A span's events, each after a comma; nothing for a span without a lane.
    void appendChromeEvents(
        const Span &span, const QSet<QPair<int, bool>> &overlapping, QByteArray *out) const;
    static QByteArray csvHead();
    QByteArray csvLine(const Span &span) const;

    // Writes everything the recorder holds to `path` in `format`, a piece at a time (see
    // TraceExportWriter), atomically (a half-written file never replaces a good one). Returns the
    // number of spans written, or -1 with *error. Slow for a full history: not on the GUI thread.
    static int save(TraceRecorder &recorder, const QString &path, Format format, QString *error);

    // The live-event form, a JSON array of {"seq", "type", "t_ms", "request", "lane", ...}.
    // Written directly: the live feed sends tens of thousands a second under load, and building
    // a QJsonObject for each costs several times more.
    static QByteArray eventsJson(const QVector<TraceEvent> &events, const QStringList &routes);
    static QJsonArray lanesJson(const QVector<ThreadLane> &lanes);

private:
    struct SpanIndex
    {
        QHash<quint64, int> requestSpan; // request id -> index in m_spans
        QHash<QPair<quint64, int>, int> taskSpan; // (request, task) -> index
    };
    void addEvents(const QVector<TraceEvent> &events, SpanIndex *index);
    QJsonObject spanArgs(const Span &span) const;
    QString laneName(int lane) const;

    QVector<Span> m_spans;
    QVector<ThreadLane> m_lanes;
    QStringList m_routes;
    qint64 m_nowNs = 0;
};
