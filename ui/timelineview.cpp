#include "timelineview.h"

#include "densityruns.h"
#include "timelinelanelayout.h"
#include "timelinemodel.h"
#include "timelinestyle.h"
#include "timelinezoom.h"
#include "tracerecorder.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

namespace {

using Layout = TimelineLaneLayout;
constexpr int GroupHeaderHeight = 18;
// A press that moves less than this is a click.
constexpr int ClickSlop = 3;
// Hovering and clicking find spans this close to the pointer, in pixels.
constexpr qreal HitTolerance = 2;

QString groupTitle(ThreadKind kind)
{
    switch (kind) {
    case ThreadKind::Worker:
        return TimelineView::tr("Request workers");
    case ThreadKind::NoThread:
        return TimelineView::tr("No thread held");
    case ThreadKind::Loop:
        return TimelineView::tr("Event-loop threads");
    case ThreadKind::Pool:
        return TimelineView::tr("Blocking pool");
    case ThreadKind::Upstream:
        return TimelineView::tr("Upstream");
    case ThreadKind::Other:
        break;
    }
    return TimelineView::tr("Other threads");
}

QString formatMs(qint64 ns)
{
    return QStringLiteral("%1 ms").arg(double(ns) / 1e6, 0, 'f', 3);
}

// Below this, a task bar shows no outline, pattern or kind mark: it is drawn as density.
constexpr qreal DetailedBarWidth = 4;
constexpr qreal DetailedBarHeight = 3;
constexpr qreal MinDeadlineSpacing = 4;

QColor laneKindColor(ThreadKind kind)
{
    switch (kind) {
    case ThreadKind::Worker:
        return QColor(0x3f, 0x6f, 0xb8);
    case ThreadKind::NoThread:
        return QColor(0xbd, 0xbd, 0xbd);
    case ThreadKind::Loop:
        return QColor(0x7b, 0x1f, 0xa2);
    case ThreadKind::Pool:
        return QColor(0x00, 0x83, 0x8f);
    case ThreadKind::Upstream:
        return QColor(0x6d, 0x4c, 0x41);
    case ThreadKind::Other:
        break;
    }
    return Qt::gray;
}

} // namespace

TimelineView::TimelineView(QWidget *parent)
    : QAbstractScrollArea(parent)
    , m_zoom(new TimelineZoom(this))
{
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    viewport()->setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    m_frameTimer.setInterval(16); // ~60 Hz while anything moves
    m_frameTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_frameTimer, &QTimer::timeout, this, &TimelineView::tick);
    connect(m_zoom, &TimelineZoom::rangeChanged, viewport(), qOverload<>(&QWidget::update));
    connect(m_zoom, &TimelineZoom::followLiveChanged, this, &TimelineView::updateTicking);
    relayout();
}

void TimelineView::setModel(TimelineModel *model)
{
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = model;
    if (model) {
        connect(model, &TimelineModel::spansChanged, this, [this] {
            relayout();
            updateTicking();
            viewport()->update();
        });
        connect(model, &QAbstractItemModel::rowsInserted, this, &TimelineView::relayout);
        connect(model, &QAbstractItemModel::modelReset, this, [this] {
            clearSelection(); // cleared: what was selected is gone, and those showing it are told
            relayout();
        });
    }
    relayout();
    updateTicking();
}

qint64 TimelineView::now() const
{
    if (m_model && m_model->recorder())
        return m_model->recorder()->now();
    return m_model ? m_model->timeRange().second : 0;
}

TimelineScale TimelineView::scale() const
{
    const int left = labelWidth();
    return TimelineScale(m_zoom->startNs(), m_zoom->endNs(), left, viewport()->width() - left - 8);
}

int TimelineView::labelWidth() const
{
    return fontMetrics().horizontalAdvance(QStringLiteral("upstream-00")) + 24;
}

int TimelineView::axisHeight() const
{
    return fontMetrics().height() + 10;
}

void TimelineView::relayout()
{
    // Rows: a header per thread kind, then its lanes, or one folded strip in their place.
    m_rows.clear();
    int y = 0;
    const int lanes = m_model ? m_model->rowCount() : 0;
    for (int first = 0; first < lanes;) {
        const ThreadKind kind = m_model->lane(first).thread.kind;
        int end = first;
        while (end < lanes && m_model->lane(end).thread.kind == kind)
            ++end;
        const bool folded = m_collapsed.contains(int(kind));
        m_rows.append({ Row::Type::Header, kind, first, end - first, y, GroupHeaderHeight });
        y += GroupHeaderHeight;
        if (folded) {
            m_rows.append({ Row::Type::Folded, kind, first, end - first, y, Layout::CollapsedHeight });
            y += Layout::CollapsedHeight;
        } else {
            for (int row = first; row < end; ++row) {
                const TimelineLane &lane = m_model->lane(row);
                const int height = Layout(lane.requestSlotCount, lane.slotCount).height();
                m_rows.append({ Row::Type::Lane, kind, row, 1, y, height });
                y += height;
            }
        }
        first = end;
    }
    m_contentHeight = y;
    const int visible = viewport()->height() - axisHeight();
    verticalScrollBar()->setRange(0, std::max(0, y - visible));
    verticalScrollBar()->setPageStep(std::max(1, visible));
    verticalScrollBar()->setSingleStep(Layout::RequestStripHeight + Layout::SlotHeight);
    viewport()->update();
}

QRect TimelineView::rowRect(const Row &row) const
{
    const int top = axisHeight() + row.top - verticalScrollBar()->value();
    return QRect(0, top, viewport()->width(), row.height);
}

const TimelineView::Row *TimelineView::rowAt(int y) const
{
    const int contentY = y - axisHeight() + verticalScrollBar()->value();
    if (y < axisHeight())
        return nullptr;
    const auto it = std::upper_bound(m_rows.cbegin(), m_rows.cend(), contentY, [](int value, const Row &row) { return value < row.top; });
    if (it == m_rows.cbegin())
        return nullptr;
    const Row &row = *std::prev(it);
    return contentY < row.top + row.height ? &row : nullptr;
}

QRect TimelineView::laneRect(int row) const
{
    for (const Row &r : m_rows) {
        if (r.type == Row::Type::Lane && r.modelRow == row)
            return rowRect(r);
    }
    return {};
}

QRect TimelineView::groupHeaderRect(ThreadKind kind) const
{
    for (const Row &r : m_rows) {
        if (r.type == Row::Type::Header && r.kind == kind)
            return rowRect(r);
    }
    return {};
}

void TimelineView::setGroupCollapsed(ThreadKind kind, bool collapsed)
{
    if (collapsed == m_collapsed.contains(int(kind)))
        return;
    if (collapsed)
        m_collapsed.insert(int(kind));
    else
        m_collapsed.remove(int(kind));
    relayout();
}

TimelineModel::SpanRef TimelineView::spanAt(const QPoint &pos) const
{
    const Row *row = rowAt(pos.y());
    if (!m_model || !row || row->type != Row::Type::Lane || pos.x() < labelWidth())
        return {};
    const TimelineLane &lane = m_model->lane(row->modelRow);
    const auto hit = Layout(lane.requestSlotCount, lane.slotCount).hitAt(pos.y() - rowRect(*row).top());
    if (!hit)
        return {};
    const TimelineScale scale = this->scale();
    return m_model->spanAt(row->modelRow, hit->request, hit->firstSlot, hit->lastSlot,
        scale.mapXToTime(pos.x() - HitTolerance), scale.mapXToTime(pos.x() + HitTolerance), now());
}

QString TimelineView::describe(TimelineModel::SpanRef ref) const
{
    if (!m_model || !ref.isValid())
        return {};
    const TimelineSpan &span = m_model->span(ref);
    const qint64 end = span.endOr(now());
    const QString times = tr("start %1 · end %2 · %3").arg(formatMs(span.startNs), span.isOpen() ? tr("running") : formatMs(span.endNs), formatMs(end - span.startNs));
    const QString thread = tr("thread %1").arg(m_model->laneName(ref.laneId));
    const auto request = m_model->request(span.requestId);
    const QString route = request ? request->route : QString();
    if (span.type == TimelineSpan::Type::Request) {
        QString text = tr("<b>#%1 %2</b><br>%3<br>%4").arg(span.requestId).arg(route.toHtmlEscaped(), times, thread);
        if (!span.isOpen())
            text += tr("<br>answered HTTP %1").arg(span.httpStatus);
        if (request) {
            int ok = 0, failed = 0, timedOut = 0;
            for (const TimelineSpan &task : request->tasks) {
                ok += task.status == TaskStatus::Ok;
                failed += task.status == TaskStatus::Failed;
                timedOut += task.status == TaskStatus::TimedOut;
            }
            text += tr("<br>tasks: %1 ok, %2 failed, %3 timed out").arg(ok).arg(failed).arg(timedOut + request->neverStarted);
        }
        return text;
    }
    QString text = tr("<b>account-%1</b> of #%2 %3<br>%4 · %5<br>%6<br>%7")
                       .arg(span.task)
                       .arg(span.requestId)
                       .arg(route.toHtmlEscaped(), taskStatusName(span.status), taskKindName(span.kind), times, thread);
    if (span.outlives)
        text += span.isRunningOn() ? tr("<br>given up on, still holding its thread") : tr("<br>given up on; held its thread until %1").arg(formatMs(span.releasedNs));
    return text;
}

void TimelineView::selectRequest(quint64 requestId)
{
    if (requestId == m_selectedRequest)
        return;
    m_selectedRequest = requestId;
    viewport()->update();
    Q_EMIT requestSelected(requestId);
}

void TimelineView::selectRange(qint64 fromNs, qint64 toNs)
{
    if (fromNs > toNs)
        std::swap(fromNs, toNs);
    m_range = qMakePair(fromNs, toNs);
    viewport()->update();
    Q_EMIT rangeSelected(fromNs, toNs);
}

void TimelineView::clearSelection()
{
    const bool hadRange = m_range.has_value();
    m_range.reset();
    selectRequest(0);
    if (hadRange)
        Q_EMIT rangeSelected(0, 0);
    viewport()->update();
}

void TimelineView::updateTicking()
{
    // Repaint every frame only while the picture moves: live following, or open spans growing.
    const bool moving = m_zoom->followsLive() || (m_model && m_model->openSpanCount() > 0);
    if (moving && isVisible()) {
        if (!m_frameTimer.isActive())
            m_frameTimer.start();
    } else {
        m_frameTimer.stop();
    }
}

void TimelineView::tick()
{
    m_zoom->updateLive(now());
    viewport()->update();
    if (!m_zoom->followsLive() && (!m_model || m_model->openSpanCount() == 0))
        m_frameTimer.stop();
}

void TimelineView::zoomToFit()
{
    if (!m_model)
        return;
    const auto [first, last] = m_model->timeRange();
    if (first == 0 && last == 0)
        return;
    const qint64 end = m_model->openSpanCount() > 0 ? std::max(last, now()) : last;
    m_zoom->fit(first, end);
}

void TimelineView::zoomIn()
{
    m_zoom->zoomAround(m_zoom->followsLive() ? now() : (m_zoom->startNs() + m_zoom->endNs()) / 2, 0.5);
}

void TimelineView::zoomOut()
{
    m_zoom->zoomAround(m_zoom->followsLive() ? now() : (m_zoom->startNs() + m_zoom->endNs()) / 2, 2.0);
}

void TimelineView::paintEvent(QPaintEvent *)
{
    QPainter painter(viewport());
    const QPalette &pal = palette();
    painter.fillRect(viewport()->rect(), pal.base());

    const TimelineScale scale = this->scale();
    const qint64 nowNs = now();
    const int top = axisHeight();

    painter.save();
    painter.setClipRect(QRect(0, top, viewport()->width(), viewport()->height() - top));
    for (const Row &row : std::as_const(m_rows)) {
        const QRect rect = rowRect(row);
        if (rect.bottom() < top || rect.top() > viewport()->height())
            continue;
        switch (row.type) {
        case Row::Type::Header:
            paintHeader(painter, row, rect);
            break;
        case Row::Type::Lane:
            paintLane(painter, row.modelRow, rect, scale, nowNs);
            break;
        case Row::Type::Folded:
            paintFolded(painter, row, rect, scale, nowNs);
            break;
        }
    }
    if (m_rows.isEmpty()) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(viewport()->rect().adjusted(0, top, 0, 0), Qt::AlignCenter,
            tr("No requests yet: press a route button, or send one with curl."));
    }
    paintSelection(painter, scale, nowNs);
    // "Now", while it is on screen.
    const qreal nowX = scale.mapTimeToX(nowNs);
    if (nowX >= scale.left() && nowX <= scale.left() + scale.width()) {
        painter.setPen(QPen(pal.color(QPalette::Highlight), 1, Qt::DotLine));
        painter.drawLine(QPointF(nowX, top), QPointF(nowX, viewport()->height()));
    }
    painter.restore();

    paintAxis(painter, scale);
}

void TimelineView::paintAxis(QPainter &painter, const TimelineScale &scale) const
{
    const QPalette &pal = palette();
    const int height = axisHeight();
    painter.fillRect(QRect(0, 0, viewport()->width(), height), pal.window());
    painter.setPen(pal.color(QPalette::Mid));
    painter.drawLine(0, height - 1, viewport()->width(), height - 1);

    const qint64 step = scale.tickStepNs(90);
    const qint64 first = static_cast<qint64>(std::ceil(double(scale.startNs()) / double(step))) * step;
    painter.setPen(pal.color(QPalette::WindowText));
    for (qint64 t = first; t <= scale.endNs(); t += step) {
        const qreal x = scale.mapTimeToX(t);
        painter.drawLine(QPointF(x, height - 6), QPointF(x, height - 1));
        painter.drawText(QPointF(x + 3, height - 7), TimelineScale::formatTime(t, step));
    }
    painter.fillRect(QRect(0, 0, labelWidth(), height), pal.window());
    painter.drawText(QRect(6, 0, labelWidth() - 6, height - 2), Qt::AlignLeft | Qt::AlignVCenter,
        m_zoom->followsLive() ? tr("live") : tr("paused"));
}

void TimelineView::paintHeader(QPainter &painter, const Row &row, const QRect &rect) const
{
    const QPalette &pal = palette();
    painter.fillRect(rect, pal.window());
    painter.setPen(pal.color(QPalette::Mid));
    painter.drawLine(rect.bottomLeft(), rect.bottomRight());
    // A disclosure triangle, then the group's name and size.
    const bool folded = m_collapsed.contains(int(row.kind));
    const QPointF c(9, rect.center().y() + 0.5);
    QPolygonF triangle;
    if (folded)
        triangle << QPointF(c.x() - 2.5, c.y() - 4) << QPointF(c.x() + 2.5, c.y()) << QPointF(c.x() - 2.5, c.y() + 4);
    else
        triangle << QPointF(c.x() - 4, c.y() - 2.5) << QPointF(c.x() + 4, c.y() - 2.5) << QPointF(c.x(), c.y() + 2.5);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(Qt::NoPen);
    painter.setBrush(pal.color(QPalette::WindowText));
    painter.drawPolygon(triangle);
    painter.setRenderHint(QPainter::Antialiasing, false);
    QFont bold = painter.font();
    bold.setBold(true);
    painter.save();
    painter.setFont(bold);
    painter.setPen(pal.color(QPalette::WindowText));
    painter.drawText(rect.adjusted(18, 0, -4, 0), Qt::AlignLeft | Qt::AlignVCenter,
        tr("%1 · %n lane(s)", nullptr, row.laneCount).arg(groupTitle(row.kind)));
    painter.restore();
}

void TimelineView::paintFolded(QPainter &painter, const Row &row, const QRect &rect, const TimelineScale &scale, qint64 now) const
{
    // Every span of the group's lanes on one strip: where they ran and how they ended, without
    // the lanes. Requests go on the top half, tasks on the bottom half.
    const qreal left = scale.left(), right = scale.left() + scale.width();
    painter.save();
    painter.setClipRect(QRectF(left, rect.top(), right - left, rect.height()), Qt::IntersectClip);
    const int half = (rect.height() - 2 * Layout::Padding) / 2;
    const int top = rect.top() + Layout::Padding;
    {
        const QColor requestColor = TimelineStyle::requestColor(false);
        DensityRuns requests(top, half, [&](const QRect &run, TaskStatus) { painter.fillRect(run, requestColor); });
        DensityRuns tasks(top + half, half, [&](const QRect &run, TaskStatus status) { painter.fillRect(run, TimelineStyle::taskColor(status)); });
        for (int laneRow = row.modelRow; laneRow < row.modelRow + row.laneCount; ++laneRow) {
            for (const TimelineSpan &span : m_model->lane(laneRow).spans) {
                const qreal x0 = scale.mapTimeToX(span.startNs);
                const qreal x1 = std::max(x0 + 1.0, scale.mapTimeToX(span.endOr(now)));
                if (x1 < left || x0 > right)
                    continue;
                const QRect pixels = QRectF(x0, 0, x1 - x0, 1).toAlignedRect();
                if (span.type == TimelineSpan::Type::Request)
                    requests.add(top, half, TaskStatus::Ok, pixels.left(), pixels.right() + 1);
                else
                    tasks.add(top + half, half, span.status, pixels.left(), pixels.right() + 1);
            }
        }
    }
    painter.restore();
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(QRect(20, rect.top(), labelWidth() - 22, rect.height()), Qt::AlignLeft | Qt::AlignVCenter, tr("(folded)"));
    painter.setPen(palette().color(QPalette::Midlight));
    painter.drawLine(rect.bottomLeft(), rect.bottomRight());
}

void TimelineView::paintLane(QPainter &painter, int row, const QRect &rect, const TimelineScale &scale, qint64 now) const
{
    const TimelineLane &lane = m_model->lane(row);
    const Layout layout(lane.requestSlotCount, lane.slotCount);
    const QPalette &pal = palette();
    if (row % 2)
        painter.fillRect(rect, pal.alternateBase());
    painter.setPen(pal.color(QPalette::Midlight));
    painter.drawLine(rect.bottomLeft(), rect.bottomRight());

    // Label column: a dot in the thread kind's colour, then the name.
    const int labelW = labelWidth();
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(Qt::NoPen);
    painter.setBrush(laneKindColor(lane.thread.kind));
    painter.drawEllipse(QPointF(10, rect.top() + Layout::Padding + Layout::RequestStripHeight / 2.0), 4, 4);
    painter.setRenderHint(QPainter::Antialiasing, false);
    painter.setPen(pal.color(QPalette::Text));
    painter.drawText(QRect(20, rect.top() + Layout::Padding - 2, labelW - 22, Layout::RequestStripHeight + 4),
        Qt::AlignLeft | Qt::AlignVCenter, lane.thread.name);

    const qreal left = scale.left();
    const qreal right = scale.left() + scale.width();
    painter.save();
    painter.setClipRect(QRectF(left, rect.top(), right - left, rect.height()), Qt::IntersectClip);

    const qreal stripTop = rect.top() + layout.stripTop();
    const qreal requestH = layout.requestSlotHeight();
    const qreal tasksTop = rect.top() + layout.tasksTop();
    const qreal slotH = layout.taskSlotHeight();
    const int slots = layout.taskSlots();
    const int requestSlots = layout.requestSlots();
    // Spans narrower than a pixel that land where the previous one in the same sub-row ended
    // are not drawn again, and small task bars merge into runs: what keeps dense lanes cheap.
    QVector<qreal> lastRight(slots + requestSlots, -1e9);
    DensityRuns density(int(tasksTop), layout.taskAreaHeight(),
        [&painter](const QRect &run, TaskStatus status) { painter.fillRect(run, TimelineStyle::taskColor(status)); });
    qreal lastDeadlineX = -1e9;
    for (const TimelineSpan &span : lane.spans) {
        const qreal x0 = scale.mapTimeToX(span.startNs);
        const qreal xEnd = scale.mapTimeToX(span.endOr(now));
        // Drawn at least a pixel wide; a refused request, which takes no time, wider.
        const qreal x1 = std::max(x0 + (span.isRefused() ? TimelineStyle::RefusedMinWidth : 1.0), xEnd);
        const qreal xLast = span.outlives ? scale.mapTimeToX(span.isRunningOn() ? now : span.releasedNs) : x1;
        if (std::max(x1, xLast) < left || x0 > right)
            continue;
        const int key = span.type == TimelineSpan::Type::Request ? slots + span.slot % requestSlots : span.slot % slots;
        if (xEnd - x0 < 1.0 && std::floor(x0) <= lastRight[key] && !span.isRefused())
            continue;
        lastRight[key] = x1;
        if (span.type == TimelineSpan::Type::Request) {
            const QRectF bar(x0, stripTop + (span.slot % requestSlots) * requestH, x1 - x0, std::max(1.0, requestH - (requestH >= 4 ? 1 : 0)));
            using State = TimelineStyle::RequestState;
            const State state = span.isOpen() ? State::Open
                : span.isAbandoned()          ? State::Abandoned
                : span.isRefused()            ? State::Refused
                                              : State::Answered;
            TimelineStyle::paintRequest(painter, bar, state);
            if (bar.width() > 50 && bar.height() >= painter.fontMetrics().height() - 4) {
                painter.setPen(state == State::Answered ? QColor(Qt::white) : pal.color(QPalette::Text));
                QString label = QStringLiteral("#%1 %2").arg(span.requestId).arg(m_model->routeName(span.route));
                if (state == State::Abandoned)
                    label += tr(" · abandoned");
                else if (state == State::Refused)
                    label += tr(" · refused");
                painter.drawText(bar.adjusted(4, 0, -2, 0), Qt::AlignLeft | Qt::AlignVCenter,
                    painter.fontMetrics().elidedText(label, Qt::ElideRight, int(bar.width()) - 6));
            }
            // The deadline where it matters: while the request waits, where it cut the request,
            // or when zoomed in on it. A flag per finished request would drown a load run, and
            // flags closer than a few pixels to the last one drawn add nothing but cost.
            const qreal deadlineX = scale.mapTimeToX(span.deadlineNs);
            const bool cut = !span.isOpen() && span.endNs >= span.deadlineNs - 2000000;
            if (deadlineX >= left && deadlineX <= right && (span.isOpen() || cut || bar.width() >= 40)
                && std::abs(deadlineX - lastDeadlineX) >= MinDeadlineSpacing) {
                TimelineStyle::paintDeadline(painter, deadlineX, stripTop, rect.bottom() - 1);
                lastDeadlineX = deadlineX;
            }
        } else {
            const qreal y = tasksTop + (span.slot % slots) * slotH;
            const qreal h = std::max(1.0, slotH - (slotH >= 4 ? 1 : 0));
            const QRectF bar(x0, y, x1 - x0, h);
            if ((bar.width() < DetailedBarWidth || h < DetailedBarHeight) && !span.outlives) {
                const QRect pixels = bar.toAlignedRect();
                density.add(pixels.top(), pixels.height(), span.status, pixels.left(), pixels.right() + 1);
                continue;
            }
            TimelineStyle::paintTask(painter, bar, span.status);
            TimelineStyle::paintKindMark(painter, bar, span.kind);
            if (span.outlives) {
                const qreal x2 = scale.mapTimeToX(span.isRunningOn() ? std::max(span.endNs, now) : span.releasedNs);
                if (x2 > x1)
                    TimelineStyle::paintRunningOn(painter, QRectF(x1, y, x2 - x1, h));
            }
        }
    }
    density.finish();
    painter.restore();
}

QRectF TimelineView::spanRect(TimelineModel::SpanRef ref, const TimelineScale &scale, qint64 now) const
{
    const int row = m_model->rowOfLane(ref.laneId);
    const QRect lane = laneRect(row);
    if (lane.isEmpty())
        return {};
    const TimelineLane &l = m_model->lane(row);
    const Layout layout(l.requestSlotCount, l.slotCount);
    const TimelineSpan &span = m_model->span(ref);
    const qreal x0 = scale.mapTimeToX(span.startNs);
    const qreal x1 = std::max(x0 + 1.0, scale.mapTimeToX(span.endOr(now)));
    if (span.type == TimelineSpan::Type::Request)
        return QRectF(x0, lane.top() + layout.requestY(span.slot), x1 - x0, std::max(1.0, layout.requestSlotHeight()));
    return QRectF(x0, lane.top() + layout.taskY(span.slot), x1 - x0, std::max(1.0, layout.taskSlotHeight()));
}

void TimelineView::paintSelection(QPainter &painter, const TimelineScale &scale, qint64 now) const
{
    const QColor highlight = palette().color(QPalette::Highlight);
    const qreal left = scale.left(), right = scale.left() + scale.width();
    const int top = axisHeight();
    // The selected range: a veil over it, its edges and its length.
    if (m_range && m_range->second > m_range->first) {
        const qreal x0 = std::clamp(scale.mapTimeToX(m_range->first), left, right);
        const qreal x1 = std::clamp(scale.mapTimeToX(m_range->second), left, right);
        QColor veil = highlight;
        veil.setAlpha(40);
        painter.fillRect(QRectF(x0, top, x1 - x0, viewport()->height() - top), veil);
        painter.setPen(QPen(highlight, 1));
        painter.drawLine(QPointF(x0, top), QPointF(x0, viewport()->height()));
        painter.drawLine(QPointF(x1, top), QPointF(x1, viewport()->height()));
        const QString length = TimelineScale::formatTime(m_range->second - m_range->first, std::max<qint64>(1, (m_range->second - m_range->first) / 100));
        // The length at the bottom, on a plate of its own, clear of the lanes' labels.
        const QRectF plate(x0 + 2, viewport()->height() - fontMetrics().height() - 6, fontMetrics().horizontalAdvance(length) + 8, fontMetrics().height() + 4);
        painter.fillRect(plate, highlight);
        painter.setPen(palette().color(QPalette::HighlightedText));
        painter.drawText(plate, Qt::AlignCenter, length);
    }
    // The selected request and its tasks: outlined.
    if (!m_model || m_selectedRequest == 0)
        return;
    painter.save();
    painter.setClipRect(QRectF(left, top, right - left, viewport()->height() - top));
    painter.setPen(QPen(highlight, 2));
    painter.setBrush(Qt::NoBrush);
    for (const TimelineModel::SpanRef &ref : m_model->spansOf(m_selectedRequest)) {
        const QRectF rect = spanRect(ref, scale, now);
        if (!rect.isEmpty())
            painter.drawRect(rect.adjusted(-1, -1, 1, 1));
    }
    painter.restore();
}

bool TimelineView::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const QString text = describe(spanAt(help->pos()));
        if (text.isEmpty()) {
            // Between spans: say what the view does, as the other controls' tooltips do.
            QToolTip::showText(help->globalPos(), toolTip(), viewport());
        } else {
            QToolTip::showText(help->globalPos(), text, viewport());
        }
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

void TimelineView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    relayout();
}

void TimelineView::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) {
        event->ignore();
        return;
    }
    if (event->modifiers() & Qt::ShiftModifier) { // shift+wheel scrolls the lanes
        QAbstractScrollArea::wheelEvent(event);
        return;
    }
    const qint64 anchor = scale().mapXToTime(event->position().x());
    m_zoom->zoomAround(anchor, std::pow(0.8, steps));
    event->accept();
}

void TimelineView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    m_pressX = m_dragX = int(event->position().x());
    m_moved = false;
    m_drag = event->modifiers() & Qt::ShiftModifier ? Drag::Select : Drag::Pan;
    if (m_drag == Drag::Pan)
        viewport()->setCursor(Qt::ClosedHandCursor);
}

void TimelineView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_drag == Drag::None)
        return;
    const int x = int(event->position().x());
    m_moved = m_moved || std::abs(x - m_pressX) > ClickSlop;
    if (!m_moved)
        return;
    const TimelineScale scale = this->scale();
    if (m_drag == Drag::Select) {
        selectRange(scale.mapXToTime(m_pressX), scale.mapXToTime(x));
    } else if (x != m_dragX) {
        m_zoom->panBy(qint64(double(m_dragX - x) * scale.nsPerPixel()));
    }
    m_dragX = x;
}

void TimelineView::mouseReleaseEvent(QMouseEvent *event)
{
    const Drag drag = std::exchange(m_drag, Drag::None);
    viewport()->unsetCursor();
    if (drag == Drag::None || m_moved)
        return;
    // A click: on a group header folds or unfolds it; on a span selects its request; elsewhere
    // clears the selection.
    const QPoint pos = event->position().toPoint();
    if (const Row *row = rowAt(pos.y()); row && row->type == Row::Type::Header) {
        setGroupCollapsed(row->kind, !m_collapsed.contains(int(row->kind)));
        return;
    }
    const TimelineModel::SpanRef ref = spanAt(pos);
    if (ref.isValid())
        selectRequest(m_model->span(ref).requestId);
    else
        clearSelection();
}

void TimelineView::keyPressEvent(QKeyEvent *event)
{
    // The window's menus carry the zoom, fit and follow shortcuts; these only make sense here.
    const qint64 step = m_zoom->widthNs() / 10;
    switch (event->key()) {
    case Qt::Key_Escape:
        clearSelection();
        return;
    case Qt::Key_Left:
        m_zoom->panBy(-step);
        return;
    case Qt::Key_Right:
        m_zoom->panBy(step);
        return;
    default:
        QAbstractScrollArea::keyPressEvent(event);
    }
}

void TimelineView::scrollContentsBy(int, int)
{
    viewport()->update();
}

void TimelineView::showEvent(QShowEvent *event)
{
    QAbstractScrollArea::showEvent(event);
    updateTicking();
}

void TimelineView::hideEvent(QHideEvent *event)
{
    QAbstractScrollArea::hideEvent(event);
    m_frameTimer.stop();
}

QSize TimelineView::sizeHint() const
{
    return QSize(800, 420);
}

QSize TimelineView::minimumSizeHint() const
{
    return QSize(300, 160);
}
