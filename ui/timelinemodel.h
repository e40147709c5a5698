#pragma once

// The timeline as a list model: one row per thread lane (grouped by thread kind: workers, loop
// threads, pool threads, upstream, others), each holding the spans that ran on it. Fed from a
// TraceRecorder on the GUI thread, or from events directly (tests); it knows nothing of painting.
#include "threadlane.h"
#include "timelinespan.h"
#include "traceevent.h"

#include <QAbstractListModel>
#include <QHash>
#include <QPointer>
#include <QSet>
#include <QVector>

#include <limits>
#include <optional>

#include "tracerecorder.h"

struct TimelineLane {
    ThreadLane thread;
    QVector<TimelineSpan> spans; // in order of start events
    int slotCount = 0; // task sub-rows in use at most
    QVector<qint64> slotBusyUntil; // per slot: end of its last span, max() while open
    // Requests overlap only on a lane that is no thread (continuations): they get sub-rows too.
    int requestSlotCount = 0;
    QVector<qint64> requestSlotBusyUntil;
};

class TimelineModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        LaneIdRole = Qt::UserRole + 1, // TraceRecorder lane id
        LaneKindRole, // ThreadKind as int
        SpanCountRole,
        OpenSpanCountRole,
        SlotCountRole,
    };

    // Where a span sits: lane id (stable, unlike rows) and index in the lane's spans.
    struct SpanRef {
        int laneId = -1;
        int span = -1;
        bool isValid() const { return laneId >= 0; }
    };
    // A request with its task spans, as the model holds them.
    struct RequestView {
        TimelineSpan request;
        QString route;
        QVector<TimelineSpan> tasks; // started tasks, any lane
        int neverStarted = 0; // tasks given up before any thread took them
    };

    // Spans held unless told otherwise: about as many as a default recorder's events make.
    static constexpr int DefaultSpanCapacity = TraceRecorder::DefaultCapacity / 2;

    explicit TimelineModel(QObject *parent = nullptr);

    // Follows the recorder: pulls what it publishes, and its lane names. Holds as many spans as
    // the recorder's events make (half its capacity).
    void setRecorder(TraceRecorder *recorder);
    // The memory bound: past this many spans, the oldest finished requests and their tasks are
    // forgotten, a quarter of the capacity at a time so that the cost is spread thin.
    void setSpanCapacity(int spans);
    int spanCapacity() const { return m_spanCapacity; }
    int spanCount() const { return m_spanCount; }
    TraceRecorder *recorder() const { return m_recorder; }
    // Applies events in order. Lanes not given by addLane() are asked of the recorder.
    void applyEvents(const QVector<TraceEvent> &events);
    void addLane(const ThreadLane &lane);
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    const TimelineLane &lane(int row) const { return m_lanes.at(row); }
    int rowOfLane(int laneId) const;
    const TimelineSpan &span(SpanRef ref) const { return spanAt(ref); }
    // Where a request's spans are: its own first, then its started tasks. Empty if not held.
    QVector<SpanRef> spansOf(quint64 requestId) const;
    QString laneName(int laneId) const;

    // Hit-testing: the span of the lane in `row` on sub-rows [firstSlot, lastSlot] of the request
    // strip (request) or the task area that covers [fromNs, toNs], open spans reaching nowNs; the
    // one nearest the middle of the interval if several do. Invalid if none.
    SpanRef spanAt(int row, bool request, int firstSlot, int lastSlot, qint64 fromNs, qint64 toNs, qint64 nowNs) const;

    // What a selected time range holds: spans that start in [fromNs, toNs).
    struct RangeStatistics {
        int requests = 0;
        int tasks = 0;
        int ok = 0;
        int failed = 0;
        int timedOut = 0;
        int cancelled = 0; // their requests abandoned
        int open = 0; // still running: not in the durations
        double taskP50Ms = 0;
        double taskP99Ms = 0;
        double requestP50Ms = 0;
        double requestP99Ms = 0;
    };
    RangeStatistics statistics(qint64 fromNs, qint64 toNs) const;
    std::optional<RequestView> request(quint64 requestId) const;
    QString routeName(int route) const;
    QVector<quint64> requestIds() const; // oldest first
    // Earliest start and latest end (or open start) of all spans; {0, 0} when empty.
    QPair<qint64, qint64> timeRange() const;
    // Spans still growing: open ones, and tasks given up on that run on.
    int openSpanCount() const { return m_openSpans + m_runningOn; }
    quint64 lastSeq() const { return m_lastSeq; }

Q_SIGNALS:
    // Spans were added or ended (rows are announced by the usual model signals).
    void spansChanged();

private:
    struct RequestEntry {
        SpanRef span;
        QVector<SpanRef> tasks; // by task index; invalid until started
        int neverStarted = 0;
    };

    void pull();
    void forgetOldest();
    bool isFinished(const RequestEntry &entry) const;
    SpanRef addSpan(int laneId, TimelineSpan span);
    void endTask(const TraceEvent &event);
    void releaseTask(const TraceEvent &event);
    void endSpan(SpanRef ref, qint64 endNs);
    TimelineSpan &spanAt(SpanRef ref) { return m_lanes[m_rowByLane.value(ref.laneId)].spans[ref.span]; }
    const TimelineSpan &spanAt(SpanRef ref) const { return m_lanes[m_rowByLane.value(ref.laneId)].spans[ref.span]; }
    int ensureLane(int laneId);
    RequestEntry &requestEntry(quint64 requestId, int taskCount = 0);

    QPointer<TraceRecorder> m_recorder;
    quint64 m_lastSeq = 0;
    QVector<TimelineLane> m_lanes; // sorted by (kind, ordinal)
    QHash<int, int> m_rowByLane;
    QHash<quint64, RequestEntry> m_requests;
    QVector<quint64> m_requestOrder;
    QHash<int, QString> m_routeNames;
    int m_openSpans = 0;
    int m_runningOn = 0;
    int m_spanCount = 0;
    int m_spanCapacity = DefaultSpanCapacity;
    // When nothing could be forgotten (every old request still running), the count at which to
    // try again: not on every batch, or each would compact every lane for nothing.
    int m_retryForgetAt = 0;
    qint64 m_firstStart = std::numeric_limits<qint64>::max();
    qint64 m_lastEnd = std::numeric_limits<qint64>::min();
    QSet<int> m_touchedLanes; // lanes changed by the batch being applied
    bool m_pullQueued = false;
};
