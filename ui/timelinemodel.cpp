#include "timelinemodel.h"

#include "tracerecorder.h"

#include <QTimer>

namespace {

// Events pulled per batch: keeps one GUI-thread slice short even when a load run floods in.
constexpr int PullBatch = 20000;
constexpr qint64 OpenSlot = std::numeric_limits<qint64>::max();

bool laneBefore(const ThreadLane &a, const ThreadLane &b)
{
    if (a.kind != b.kind)
        return a.kind < b.kind;
    if (a.ordinal != b.ordinal)
        return a.ordinal < b.ordinal;
    return a.id < b.id;
}

} // namespace

TimelineModel::TimelineModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

void TimelineModel::setRecorder(TraceRecorder *recorder)
{
    if (m_recorder)
        disconnect(m_recorder, nullptr, this, nullptr);
    m_recorder = recorder;
    if (!recorder)
        return;
    // Publication may happen on any thread; the pull always happens here, on ours.
    connect(recorder, &TraceRecorder::eventsPublished, this, [this] {
        if (!m_pullQueued) {
            m_pullQueued = true;
            QMetaObject::invokeMethod(this, &TimelineModel::pull, Qt::QueuedConnection);
        }
    }, Qt::QueuedConnection);
    pull();
}

void TimelineModel::pull()
{
    m_pullQueued = false;
    if (!m_recorder)
        return;
    // Threads get lanes when they start, before they record anything: show them already.
    const QVector<ThreadLane> lanes = m_recorder->lanes();
    if (lanes.size() > m_lanes.size()) {
        for (const ThreadLane &lane : lanes)
            addLane(lane);
    }
    applyEvents(m_recorder->eventsSince(m_lastSeq, PullBatch));
    if (m_recorder->lastSeq() > m_lastSeq && !m_pullQueued) {
        m_pullQueued = true; // more to come: let the GUI breathe between batches
        QMetaObject::invokeMethod(this, &TimelineModel::pull, Qt::QueuedConnection);
    }
}

void TimelineModel::applyEvents(const QVector<TraceEvent> &events)
{
    if (events.isEmpty())
        return;
    for (const TraceEvent &event : events) {
        switch (event.type) {
        case TraceEvent::Type::RequestStarted: {
            TimelineSpan span;
            span.type = TimelineSpan::Type::Request;
            span.requestId = event.requestId;
            span.route = event.route;
            span.startNs = event.timeNs;
            span.deadlineNs = event.timeNs + qint64(event.timeoutMs) * 1000000;
            if (!m_routeNames.contains(event.route) && m_recorder)
                m_routeNames.insert(event.route, m_recorder->routeName(event.route));
            const SpanRef ref = addSpan(event.lane, span);
            requestEntry(event.requestId, event.taskCount).span = ref;
            m_requestOrder.append(event.requestId);
            break;
        }
        case TraceEvent::Type::RequestEnded: {
            const auto it = m_requests.constFind(event.requestId);
            if (it == m_requests.cend() || !it->span.isValid())
                break; // started before a clear()
            spanAt(it->span).httpStatus = event.httpStatus;
            spanAt(it->span).status = event.httpStatus == TraceEvent::AbandonedStatus ? TaskStatus::Cancelled : TaskStatus::Ok;
            endSpan(it->span, event.timeNs);
            break;
        }
        case TraceEvent::Type::TaskStarted: {
            TimelineSpan span;
            span.type = TimelineSpan::Type::Task;
            span.kind = event.kind;
            span.requestId = event.requestId;
            span.task = event.task;
            span.startNs = event.timeNs;
            const SpanRef ref = addSpan(event.lane, span);
            RequestEntry &entry = requestEntry(event.requestId);
            if (entry.tasks.size() <= event.task)
                entry.tasks.resize(event.task + 1);
            entry.tasks[event.task] = ref;
            break;
        }
        case TraceEvent::Type::TaskEnded:
            endTask(event);
            break;
        case TraceEvent::Type::TaskReleased:
            releaseTask(event);
            break;
        }
        m_lastSeq = std::max(m_lastSeq, event.seq);
    }

    for (int laneId : std::as_const(m_touchedLanes)) {
        const QModelIndex changed = index(m_rowByLane.value(laneId));
        Q_EMIT dataChanged(changed, changed, { SpanCountRole, OpenSpanCountRole, SlotCountRole });
    }
    m_touchedLanes.clear();
    Q_EMIT spansChanged();
}

void TimelineModel::endTask(const TraceEvent &event)
{
    const auto it = m_requests.find(event.requestId);
    if (it == m_requests.end())
        return;
    if (event.task >= it->tasks.size() || !it->tasks.at(event.task).isValid()) {
        ++it->neverStarted; // given up before any thread took it: nothing to draw
        return;
    }
    const SpanRef ref = it->tasks.at(event.task);
    TimelineSpan &span = spanAt(ref);
    span.status = event.status;
    if (event.outlives && span.isOpen()) {
        span.outlives = true; // stays on screen, running on, until its thread lets go
        ++m_runningOn;
    }
    endSpan(ref, event.timeNs);
}

void TimelineModel::releaseTask(const TraceEvent &event)
{
    const auto it = m_requests.constFind(event.requestId);
    if (it == m_requests.cend() || event.task >= it->tasks.size() || !it->tasks.at(event.task).isValid())
        return;
    const SpanRef ref = it->tasks.at(event.task);
    TimelineSpan &span = spanAt(ref);
    if (!span.isRunningOn())
        return;
    span.releasedNs = std::max(span.endNs, event.timeNs);
    --m_runningOn;
    m_lastEnd = std::max(m_lastEnd, span.releasedNs);
    m_lanes[m_rowByLane.value(ref.laneId)].slotBusyUntil[span.slot] = span.releasedNs;
    m_touchedLanes.insert(ref.laneId);
}

TimelineModel::RequestEntry &TimelineModel::requestEntry(quint64 requestId, int taskCount)
{
    RequestEntry &entry = m_requests[requestId];
    if (entry.tasks.size() < taskCount)
        entry.tasks.resize(taskCount);
    return entry;
}

TimelineModel::SpanRef TimelineModel::addSpan(int laneId, TimelineSpan span)
{
    if (laneId < 0)
        return {};
    const int row = ensureLane(laneId);
    TimelineLane &lane = m_lanes[row];
    // The first sub-row free at the span's start; a new one if all are busy.
    const bool task = span.type == TimelineSpan::Type::Task;
    QVector<qint64> &busyUntil = task ? lane.slotBusyUntil : lane.requestSlotBusyUntil;
    int slot = 0;
    while (slot < busyUntil.size() && busyUntil.at(slot) > span.startNs)
        ++slot;
    if (slot == busyUntil.size())
        busyUntil.append(OpenSlot);
    busyUntil[slot] = OpenSlot;
    int &slotCount = task ? lane.slotCount : lane.requestSlotCount;
    slotCount = std::max(slotCount, slot + 1);
    span.slot = slot;
    lane.spans.append(span);
    ++m_openSpans;
    m_firstStart = std::min(m_firstStart, span.startNs);
    m_lastEnd = std::max(m_lastEnd, span.startNs);
    m_touchedLanes.insert(laneId);
    return { laneId, int(lane.spans.size() - 1) };
}

void TimelineModel::endSpan(SpanRef ref, qint64 endNs)
{
    TimelineSpan &span = spanAt(ref);
    if (!span.isOpen())
        return;
    span.endNs = std::max(span.startNs, endNs);
    --m_openSpans;
    m_lastEnd = std::max(m_lastEnd, span.endNs);
    TimelineLane &lane = m_lanes[m_rowByLane.value(ref.laneId)];
    if (span.type == TimelineSpan::Type::Request)
        lane.requestSlotBusyUntil[span.slot] = span.endNs;
    else if (!span.outlives)
        lane.slotBusyUntil[span.slot] = span.endNs;
    m_touchedLanes.insert(ref.laneId);
}

int TimelineModel::ensureLane(int laneId)
{
    const auto it = m_rowByLane.constFind(laneId);
    if (it != m_rowByLane.cend())
        return *it;
    ThreadLane lane = m_recorder ? m_recorder->lane(laneId) : ThreadLane {};
    if (lane.id < 0) {
        lane.id = laneId;
        lane.kind = ThreadKind::Other;
        lane.ordinal = laneId + 1;
        lane.name = QStringLiteral("thread-") + QString::number(laneId);
    }
    addLane(lane);
    return m_rowByLane.value(laneId);
}

void TimelineModel::addLane(const ThreadLane &lane)
{
    if (m_rowByLane.contains(lane.id))
        return;
    const auto pos = std::upper_bound(m_lanes.cbegin(), m_lanes.cend(), lane,
        [](const ThreadLane &l, const TimelineLane &r) { return laneBefore(l, r.thread); });
    const int row = int(pos - m_lanes.cbegin());
    beginInsertRows({}, row, row);
    TimelineLane entry;
    entry.thread = lane;
    m_lanes.insert(row, entry);
    for (int r = row; r < m_lanes.size(); ++r)
        m_rowByLane.insert(m_lanes.at(r).thread.id, r);
    endInsertRows();
}

void TimelineModel::clear()
{
    beginResetModel();
    for (TimelineLane &lane : m_lanes) {
        lane.spans.clear();
        lane.slotCount = 0;
        lane.slotBusyUntil.clear();
        lane.requestSlotCount = 0;
        lane.requestSlotBusyUntil.clear();
    }
    m_requests.clear();
    m_requestOrder.clear();
    m_openSpans = 0;
    m_runningOn = 0;
    m_firstStart = std::numeric_limits<qint64>::max();
    m_lastEnd = std::numeric_limits<qint64>::min();
    endResetModel();
    Q_EMIT spansChanged();
}

int TimelineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_lanes.size());
}

QVariant TimelineModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TimelineLane &lane = m_lanes.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return lane.thread.name;
    case Qt::ToolTipRole:
        return tr("%1 thread, %n span(s)", nullptr, int(lane.spans.size()))
            .arg(threadKindName(lane.thread.kind));
    case LaneIdRole:
        return lane.thread.id;
    case LaneKindRole:
        return int(lane.thread.kind);
    case SpanCountRole:
        return int(lane.spans.size());
    case OpenSpanCountRole:
        return int(std::count_if(lane.spans.cbegin(), lane.spans.cend(),
            [](const TimelineSpan &s) { return s.isOpen() || s.isRunningOn(); }));
    case SlotCountRole:
        return lane.slotCount;
    }
    return {};
}

QHash<int, QByteArray> TimelineModel::roleNames() const
{
    auto names = QAbstractListModel::roleNames();
    names.insert(LaneIdRole, "laneId");
    names.insert(LaneKindRole, "laneKind");
    names.insert(SpanCountRole, "spanCount");
    names.insert(OpenSpanCountRole, "openSpanCount");
    names.insert(SlotCountRole, "slotCount");
    return names;
}

int TimelineModel::rowOfLane(int laneId) const
{
    return m_rowByLane.value(laneId, -1);
}

std::optional<TimelineModel::RequestView> TimelineModel::request(quint64 requestId) const
{
    const auto it = m_requests.constFind(requestId);
    if (it == m_requests.cend() || !it->span.isValid())
        return std::nullopt;
    RequestView view;
    view.request = spanAt(it->span);
    view.route = routeName(view.request.route);
    view.neverStarted = it->neverStarted;
    for (const SpanRef &ref : it->tasks) {
        if (ref.isValid())
            view.tasks.append(spanAt(ref));
    }
    return view;
}

QString TimelineModel::routeName(int route) const
{
    return m_routeNames.value(route);
}

QVector<quint64> TimelineModel::requestIds() const
{
    return m_requestOrder;
}

QPair<qint64, qint64> TimelineModel::timeRange() const
{
    if (m_firstStart > m_lastEnd)
        return { 0, 0 };
    return { m_firstStart, m_lastEnd };
}
