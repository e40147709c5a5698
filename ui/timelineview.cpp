#include "timelineview.h"

#include "timelinemodel.h"
#include "timelinestyle.h"
#include "timelinezoom.h"
#include "tracerecorder.h"

#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include <cmath>

namespace {

constexpr int LanePadding = 3;
constexpr int RequestStripHeight = 12;
constexpr int StripGap = 2;
constexpr int SlotHeight = 7;
constexpr int MaxTaskAreaHeight = 84; // beyond 12 overlapping tasks, sub-rows get thinner
constexpr int EmptyTaskAreaHeight = 8;
constexpr int MaxRequestStripHeight = 6 * RequestStripHeight;

int taskAreaHeight(int slots)
{
    return slots == 0 ? EmptyTaskAreaHeight : std::min(slots * SlotHeight, MaxTaskAreaHeight);
}

int requestStripHeight(int slots)
{
    return std::clamp(slots * RequestStripHeight, RequestStripHeight, MaxRequestStripHeight);
}

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
        connect(model, &QAbstractItemModel::modelReset, this, &TimelineView::relayout);
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
    m_laneTops.clear();
    int y = 0;
    const int rows = m_model ? m_model->rowCount() : 0;
    for (int row = 0; row < rows; ++row) {
        m_laneTops.append(y);
        const TimelineLane &lane = m_model->lane(row);
        y += 2 * LanePadding + requestStripHeight(lane.requestSlotCount) + StripGap + taskAreaHeight(lane.slotCount);
    }
    m_laneTops.append(y);
    const int visible = viewport()->height() - axisHeight();
    verticalScrollBar()->setRange(0, std::max(0, y - visible));
    verticalScrollBar()->setPageStep(std::max(1, visible));
    verticalScrollBar()->setSingleStep(RequestStripHeight + SlotHeight);
    viewport()->update();
}

QRect TimelineView::laneRect(int row) const
{
    if (row < 0 || row + 1 >= m_laneTops.size())
        return {};
    const int top = axisHeight() + m_laneTops.at(row) - verticalScrollBar()->value();
    return QRect(0, top, viewport()->width(), m_laneTops.at(row + 1) - m_laneTops.at(row));
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
    const int rows = m_model ? m_model->rowCount() : 0;
    const int top = axisHeight();

    painter.save();
    painter.setClipRect(QRect(0, top, viewport()->width(), viewport()->height() - top));
    for (int row = 0; row < rows; ++row) {
        const QRect rect = laneRect(row);
        if (rect.bottom() < top || rect.top() > viewport()->height())
            continue;
        paintLane(painter, row, rect, scale, nowNs);
    }
    if (rows == 0) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(viewport()->rect().adjusted(0, top, 0, 0), Qt::AlignCenter,
            tr("No requests yet: press a route button, or send one with curl."));
    }
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

void TimelineView::paintLane(QPainter &painter, int row, const QRect &rect, const TimelineScale &scale, qint64 now) const
{
    const TimelineLane &lane = m_model->lane(row);
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
    painter.drawEllipse(QPointF(10, rect.top() + LanePadding + RequestStripHeight / 2.0), 4, 4);
    painter.setRenderHint(QPainter::Antialiasing, false);
    painter.setPen(pal.color(QPalette::Text));
    painter.drawText(QRect(20, rect.top() + LanePadding - 2, labelW - 22, RequestStripHeight + 4),
        Qt::AlignLeft | Qt::AlignVCenter, lane.thread.name);

    const qreal left = scale.left();
    const qreal right = scale.left() + scale.width();
    painter.save();
    painter.setClipRect(QRectF(left, rect.top(), right - left, rect.height()), Qt::IntersectClip);

    const qreal stripTop = rect.top() + LanePadding;
    const int requestSlots = std::max(1, lane.requestSlotCount);
    const qreal requestH = qreal(requestStripHeight(lane.requestSlotCount)) / requestSlots;
    const qreal tasksTop = stripTop + requestStripHeight(lane.requestSlotCount) + StripGap;
    const int slots = std::max(1, lane.slotCount);
    const qreal slotH = qreal(taskAreaHeight(lane.slotCount)) / slots;
    // Spans narrower than a pixel that land where the previous one in the same sub-row ended
    // are not drawn again: what keeps dense lanes cheap.
    QVector<qreal> lastRight(slots + requestSlots, -1e9);
    for (const TimelineSpan &span : lane.spans) {
        const qreal x0 = scale.mapTimeToX(span.startNs);
        const qreal x1 = std::max(x0 + 1.0, scale.mapTimeToX(span.endOr(now)));
        const qreal xLast = span.outlives ? scale.mapTimeToX(span.isRunningOn() ? now : span.releasedNs) : x1;
        if (std::max(x1, xLast) < left || x0 > right)
            continue;
        const int key = span.type == TimelineSpan::Type::Request ? slots + span.slot % requestSlots : span.slot % slots;
        if (x1 - x0 < 1.0 && std::floor(x0) <= lastRight[key])
            continue;
        lastRight[key] = x1;
        if (span.type == TimelineSpan::Type::Request) {
            const QRectF bar(x0, stripTop + (span.slot % requestSlots) * requestH, x1 - x0, std::max(1.0, requestH - (requestH >= 4 ? 1 : 0)));
            using State = TimelineStyle::RequestState;
            const State state = span.isOpen() ? State::Open : span.isAbandoned() ? State::Abandoned : State::Answered;
            TimelineStyle::paintRequest(painter, bar, state);
            if (bar.width() > 50 && bar.height() >= painter.fontMetrics().height() - 4) {
                painter.setPen(state == State::Answered ? QColor(Qt::white) : pal.color(QPalette::Text));
                QString label = QStringLiteral("#%1 %2").arg(span.requestId).arg(m_model->routeName(span.route));
                if (state == State::Abandoned)
                    label += tr(" · abandoned");
                painter.drawText(bar.adjusted(4, 0, -2, 0), Qt::AlignLeft | Qt::AlignVCenter,
                    painter.fontMetrics().elidedText(label, Qt::ElideRight, int(bar.width()) - 6));
            }
            // The deadline where it matters: while the request waits, where it cut the request,
            // or when zoomed in on it. A flag per finished request would drown a load run.
            const qreal deadlineX = scale.mapTimeToX(span.deadlineNs);
            const bool cut = !span.isOpen() && span.endNs >= span.deadlineNs - 2000000;
            if (deadlineX >= left && deadlineX <= right && (span.isOpen() || cut || bar.width() >= 40))
                TimelineStyle::paintDeadline(painter, deadlineX, stripTop, rect.bottom() - 1);
        } else {
            const qreal y = tasksTop + (span.slot % slots) * slotH;
            const qreal h = std::max(1.0, slotH - (slotH >= 4 ? 1 : 0));
            const QRectF bar(x0, y, x1 - x0, h);
            TimelineStyle::paintTask(painter, bar, span.status);
            TimelineStyle::paintKindMark(painter, bar, span.kind);
            if (span.outlives) {
                const qreal x2 = scale.mapTimeToX(span.isRunningOn() ? std::max(span.endNs, now) : span.releasedNs);
                if (x2 > x1)
                    TimelineStyle::paintRunningOn(painter, QRectF(x1, y, x2 - x1, h));
            }
        }
    }
    painter.restore();
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
    if (event->button() == Qt::LeftButton) {
        m_dragX = int(event->position().x());
        viewport()->setCursor(Qt::ClosedHandCursor);
    }
}

void TimelineView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_dragX < 0)
        return;
    const int x = int(event->position().x());
    if (x != m_dragX) {
        m_zoom->panBy(qint64(double(m_dragX - x) * scale().nsPerPixel()));
        m_dragX = x;
    }
}

void TimelineView::mouseReleaseEvent(QMouseEvent *)
{
    m_dragX = -1;
    viewport()->unsetCursor();
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
