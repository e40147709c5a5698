#include "timelinemodel.h"

#include "tracerecorder.h"

#include <QTimer>

#include <algorithm>
#include <cmath>

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
    setSpanCapacity(recorder->capacity() / 2);
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
    const QVector<TraceEvent> events = m_recorder->eventsSince(m_lastSeq, PullBatch);
    // Fell so far behind that the recorder forgot events we never saw (the GUI thread was
    // stalled): the spans they would have closed would stay open for ever. Start afresh.
    if (!events.isEmpty() && m_lastSeq > 0 && events.constFirst().seq > m_lastSeq + 1)
        clear();
    applyEvents(events);
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

    if (m_spanCount > std::max(m_spanCapacity, m_retryForgetAt))
        forgetOldest();
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

void TimelineModel::setSpanCapacity(int spans)
{
    m_spanCapacity = std::max(4, spans);
    if (m_spanCount > m_spanCapacity) {
        forgetOldest();
        if (!m_lanes.isEmpty())
            Q_EMIT dataChanged(index(0), index(int(m_lanes.size()) - 1), { SpanCountRole, OpenSpanCountRole, SlotCountRole });
        Q_EMIT spansChanged();
    }
}

bool TimelineModel::isFinished(const RequestEntry &entry) const
{
    // (A request that started before a clear() has tasks but no span of its own.)
    if (entry.span.isValid() && spanAt(entry.span).isOpen())
        return false;
    return std::none_of(entry.tasks.cbegin(), entry.tasks.cend(), [this](const SpanRef &ref) {
        return ref.isValid() && (spanAt(ref).isOpen() || spanAt(ref).isRunningOn());
    });
}

void TimelineModel::forgetOldest()
{
    // Oldest first, finished requests only (a long one still running stays, with its tasks),
    // down to three quarters of the capacity.
    int excess = m_spanCount - (m_spanCapacity - m_spanCapacity / 4);
    QSet<quint64> forgotten;
    QVector<quint64> kept;
    kept.reserve(m_requestOrder.size());
    for (quint64 id : std::as_const(m_requestOrder)) {
        const RequestEntry &entry = m_requests[id];
        if (excess > 0 && isFinished(entry)) {
            forgotten.insert(id);
            excess -= 1 + int(std::count_if(entry.tasks.cbegin(), entry.tasks.cend(), [](const SpanRef &r) { return r.isValid(); }));
        } else {
            kept.append(id);
        }
    }
    // Tasks of requests that started before a clear() have no request span to order them by.
    for (auto it = m_requests.cbegin(); it != m_requests.cend(); ++it) {
        if (!it->span.isValid() && excess > 0 && isFinished(it.value())) {
            forgotten.insert(it.key());
            excess -= int(std::count_if(it->tasks.cbegin(), it->tasks.cend(), [](const SpanRef &r) { return r.isValid(); }));
        }
    }
    if (forgotten.isEmpty()) {
        m_retryForgetAt = m_spanCount + m_spanCapacity / 4;
        return;
    }
    m_retryForgetAt = 0;
    m_requestOrder = kept;
    for (quint64 id : std::as_const(forgotten))
        m_requests.remove(id);

    // Compact every lane, then point the requests that stay at their spans' new places.
    m_spanCount = 0;
    m_firstStart = std::numeric_limits<qint64>::max();
    for (TimelineLane &lane : m_lanes) {
        QVector<TimelineSpan> spans;
        spans.reserve(lane.spans.size());
        for (const TimelineSpan &span : std::as_const(lane.spans)) {
            if (forgotten.contains(span.requestId))
                continue;
            const SpanRef ref { lane.thread.id, int(spans.size()) };
            RequestEntry &entry = m_requests[span.requestId];
            if (span.type == TimelineSpan::Type::Request)
                entry.span = ref;
            else
                entry.tasks[span.task] = ref;
            m_firstStart = std::min(m_firstStart, span.startNs);
            spans.append(span);
        }
        m_spanCount += int(spans.size());
        lane.spans = std::move(spans);
        m_touchedLanes.insert(lane.thread.id);
    }
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
    ++m_spanCount;
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
    m_spanCount = 0;
    m_retryForgetAt = 0;
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

TimelineModel::SpanRef TimelineModel::spanAt(int row, bool request, int firstSlot, int lastSlot, qint64 fromNs, qint64 toNs, qint64 nowNs) const
{
    if (row < 0 || row >= m_lanes.size())
        return {};
    const TimelineLane &lane = m_lanes.at(row);
    const int slots = std::max(1, request ? lane.requestSlotCount : lane.slotCount);
    const qint64 middle = fromNs + (toNs - fromNs) / 2;
    SpanRef best;
    qint64 bestDistance = std::numeric_limits<qint64>::max();
    for (int i = 0; i < lane.spans.size(); ++i) {
        const TimelineSpan &span = lane.spans.at(i);
        if ((span.type == TimelineSpan::Type::Request) != request)
            continue;
        const int slot = span.slot % slots; // as drawn
        if (slot < firstSlot || slot > lastSlot)
            continue;
        const qint64 end = span.isRunningOn() ? std::max(span.endNs, nowNs) : span.outlives ? span.releasedNs : span.endOr(nowNs);
        if (span.startNs > toNs || end < fromNs)
            continue;
        // Inside it: distance 0; beside it (within the tolerance): how far.
        const qint64 distance = middle < span.startNs ? span.startNs - middle : middle > end ? middle - end : 0;
        if (distance < bestDistance) {
            bestDistance = distance;
            best = { lane.thread.id, i };
        }
    }
    return best;
}

namespace {

// Nearest-rank percentile of sorted values; 0 without any.
double percentileOf(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto rank = size_t(std::ceil(p / 100.0 * double(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

} // namespace

TimelineModel::RangeStatistics TimelineModel::statistics(qint64 fromNs, qint64 toNs) const
{
    RangeStatistics stats;
    std::vector<double> taskMs, requestMs;
    for (const TimelineLane &lane : m_lanes) {
        for (const TimelineSpan &span : lane.spans) {
            if (span.startNs < fromNs || span.startNs >= toNs)
                continue;
            const bool request = span.type == TimelineSpan::Type::Request;
            ++(request ? stats.requests : stats.tasks);
            if (span.isOpen()) {
                ++stats.open;
                continue;
            }
            (request ? requestMs : taskMs).push_back(double(span.endNs - span.startNs) / 1e6);
            if (request)
                continue;
            if (span.status == TaskStatus::Ok)
                ++stats.ok;
            else if (span.status == TaskStatus::Failed)
                ++stats.failed;
            else if (span.status == TaskStatus::TimedOut)
                ++stats.timedOut;
            else if (span.status == TaskStatus::Cancelled)
                ++stats.cancelled;
        }
    }
    std::sort(taskMs.begin(), taskMs.end());
    std::sort(requestMs.begin(), requestMs.end());
    stats.taskP50Ms = percentileOf(taskMs, 50);
    stats.taskP99Ms = percentileOf(taskMs, 99);
    stats.requestP50Ms = percentileOf(requestMs, 50);
    stats.requestP99Ms = percentileOf(requestMs, 99);
    return stats;
}

QVector<TimelineModel::SpanRef> TimelineModel::spansOf(quint64 requestId) const
{
    QVector<SpanRef> refs;
    const auto it = m_requests.constFind(requestId);
    if (it == m_requests.cend())
        return refs;
    if (it->span.isValid())
        refs.append(it->span);
    for (const SpanRef &ref : it->tasks) {
        if (ref.isValid())
            refs.append(ref);
    }
    return refs;
}

QString TimelineModel::laneName(int laneId) const
{
    const int row = rowOfLane(laneId);
    return row >= 0 ? m_lanes.at(row).thread.name : QString();
}
