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
    if (state == RequestState::Abandoned) {
        const QColor ink(0x45, 0x5a, 0x64);
        painter.fillRect(rect, abandonedRequestColor());
        if (rect.width() >= 3) {
            painter.setPen(QPen(ink, 1, Qt::DashLine));
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5));
            painter.setPen(QPen(ink, 1));
            const qreal middle = rect.center().y();
            painter.drawLine(QPointF(rect.left(), middle), QPointF(rect.right(), middle));
        }
        return;
    }
    const QColor color = requestColor(state == RequestState::Open);
    painter.fillRect(rect, color);
    if (rect.width() >= 3) {
        painter.setPen(QPen(color.darker(140), 1));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5));
    }
}

void TimelineStyle::paintTask(QPainter &painter, const QRectF &rect, TaskStatus status)
{
    const QColor color = taskColor(status);
    painter.fillRect(rect, color);
    // Patterns: failed is cross-hatched, timed out is striped, cancelled (its request abandoned)
    // is lined across, running is outlined.
    Qt::BrushStyle pattern = Qt::NoBrush;
    if (status == TaskStatus::Failed)
        pattern = Qt::DiagCrossPattern;
    else if (status == TaskStatus::TimedOut)
        pattern = Qt::BDiagPattern;
    else if (status == TaskStatus::Cancelled)
        pattern = Qt::HorPattern;
    if (pattern != Qt::NoBrush && rect.width() >= 3)
        painter.fillRect(rect, QBrush(color.darker(170), pattern));
    if (rect.width() >= 3 && rect.height() >= 3) {
        const bool running = status == TaskStatus::Running || status == TaskStatus::Queued;
        painter.setPen(QPen(running ? color.darker(150) : color.darker(130), 1,
            running ? Qt::DashLine : Qt::SolidLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5));
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
