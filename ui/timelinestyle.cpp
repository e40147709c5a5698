#include "timelinestyle.h"

#include <QPainter>
#include <QPainterPath>

QColor TimelineStyle::requestColor(bool open)
{
    return open ? QColor(0x90, 0xb4, 0xe6) : QColor(0x3f, 0x6f, 0xb8);
}

QColor TimelineStyle::abandonedRequestColor()
{
    return QColor(0xcf, 0xd8, 0xdc);
}

QColor TimelineStyle::refusedRequestColor()
{
    return QColor(0xc2, 0x18, 0x5b);
}

QColor TimelineStyle::taskColor(TaskStatus status)
{
    switch (status) {
    case TaskStatus::Queued:
    case TaskStatus::Running:
        return QColor(0xa5, 0xd6, 0xa7);
    case TaskStatus::Ok:
        return QColor(0x2e, 0x9d, 0x4f);
    case TaskStatus::Failed:
        return QColor(0xd3, 0x2f, 0x2f);
    case TaskStatus::TimedOut:
        return QColor(0xf5, 0x8f, 0x00);
    case TaskStatus::Cancelled:
        return QColor(0x60, 0x7d, 0x8b);
    }
    return Qt::gray;
}

QColor TimelineStyle::deadlineColor()
{
    return QColor(0xc6, 0x28, 0x28);
}

void TimelineStyle::paintRequest(QPainter &painter, const QRectF &rect, RequestState state)
{
    // Whole pixels and fills where it can: the raster engine's fast path.
    const QRect bar = rect.toAlignedRect();
    if (state == RequestState::Abandoned) {
        const QColor ink(0x45, 0x5a, 0x64);
        painter.fillRect(bar, abandonedRequestColor());
        if (bar.width() >= 3) {
            painter.setPen(QPen(ink, 1, Qt::DashLine));
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(QRectF(bar).adjusted(0.5, 0.5, -0.5, -0.5));
            painter.setPen(QPen(ink, 1));
            const qreal middle = QRectF(bar).center().y();
            painter.drawLine(QPointF(bar.left(), middle), QPointF(bar.right() + 1, middle));
        }
        return;
    }
    if (state == RequestState::Refused) {
        painter.fillRect(bar, refusedRequestColor());
        if (bar.width() >= 4 && bar.height() >= 4) {
            painter.setPen(QPen(Qt::white, 1));
            const QRectF inner = QRectF(bar).adjusted(1, 1, -1, -1);
            painter.drawLine(inner.topLeft(), inner.bottomRight());
            painter.drawLine(inner.bottomLeft(), inner.topRight());
        }
        return;
    }
    const QColor color = requestColor(state == RequestState::Open);
    if (bar.width() >= 3 && bar.height() >= 3) {
        painter.fillRect(bar, color.darker(140));
        painter.fillRect(bar.adjusted(1, 1, -1, -1), color);
    } else {
        painter.fillRect(bar, color);
    }
}

void TimelineStyle::paintTask(QPainter &painter, const QRectF &rect, TaskStatus status)
{
    // Whole pixels: the raster engine fills aligned rectangles on its fast path, and a load
    // run's timeline is tens of thousands of them.
    const QRect bar = rect.toAlignedRect();
    const QColor color = taskColor(status);
    const bool running = status == TaskStatus::Running || status == TaskStatus::Queued;
    const bool outlined = bar.width() >= 3 && bar.height() >= 3;
    if (outlined && !running) {
        // A solid outline as a darker fill under the bar's own: two fills, no stroking.
        painter.fillRect(bar, color.darker(130));
        painter.fillRect(bar.adjusted(1, 1, -1, -1), color);
    } else {
        painter.fillRect(bar, color);
    }
    // Patterns: failed is cross-hatched, timed out is striped, cancelled (its request abandoned)
    // is lined across, running is outlined with dashes.
    Qt::BrushStyle pattern = Qt::NoBrush;
    if (status == TaskStatus::Failed)
        pattern = Qt::DiagCrossPattern;
    else if (status == TaskStatus::TimedOut)
        pattern = Qt::BDiagPattern;
    else if (status == TaskStatus::Cancelled)
        pattern = Qt::HorPattern;
    if (pattern != Qt::NoBrush && bar.width() >= 3)
        painter.fillRect(bar, QBrush(color.darker(170), pattern));
    if (outlined && running) {
        painter.setPen(QPen(color.darker(150), 1, Qt::DashLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(QRectF(bar).adjusted(0.5, 0.5, -0.5, -0.5));
    }
}

void TimelineStyle::paintDeadline(QPainter &painter, qreal x, qreal top, qreal bottom)
{
    const QColor color = deadlineColor();
    painter.setPen(QPen(color, 1.5));
    painter.drawLine(QPointF(x, top), QPointF(x, bottom));
    QPainterPath flag;
    flag.moveTo(x - 4, top);
    flag.lineTo(x + 4, top);
    flag.lineTo(x, top + 5);
    flag.closeSubpath();
    painter.fillPath(flag, color);
}

void TimelineStyle::paintRunningOn(QPainter &painter, const QRectF &rect)
{
    const QColor color(0x75, 0x75, 0x75);
    painter.fillRect(rect, color.lighter(170));
    painter.fillRect(rect, QBrush(color, Qt::Dense5Pattern));
}

QColor TimelineStyle::kindColor(TaskKind kind)
{
    switch (kind) {
    case TaskKind::Timer:
        break;
    case TaskKind::Http:
        return QColor(0x15, 0x65, 0xc0);
    case TaskKind::Cpu:
        return QColor(0x6a, 0x1b, 0x9a);
    }
    return {};
}

void TimelineStyle::paintKindMark(QPainter &painter, const QRectF &rect, TaskKind kind)
{
    const QColor color = kindColor(kind);
    if (!color.isValid() || rect.width() < 6)
        return;
    painter.fillRect(QRectF(rect.left(), rect.top(), 3, rect.height()), color);
}
