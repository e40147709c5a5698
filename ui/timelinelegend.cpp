#include "timelinelegend.h"

#include "timelinestyle.h"

#include <QPainter>

namespace {

constexpr int SwatchWidth = 28;
constexpr int SwatchHeight = 10;
constexpr int Gap = 6;
constexpr int Spacing = 16;

enum class Entry { Request, Abandoned, Refused, Running, Ok, Failed, TimedOut, Cancelled, RunningOn, Http, Cpu, Deadline };

QString entryText(Entry entry)
{
    switch (entry) {
    case Entry::Request:
        return TimelineLegend::tr("request");
    case Entry::Abandoned:
        return TimelineLegend::tr("abandoned");
    case Entry::Refused:
        return TimelineLegend::tr("refused");
    case Entry::Running:
        return TimelineLegend::tr("task running");
    case Entry::Ok:
        return TimelineLegend::tr("ok");
    case Entry::Failed:
        return TimelineLegend::tr("failed");
    case Entry::TimedOut:
        return TimelineLegend::tr("timed out");
    case Entry::Cancelled:
        return TimelineLegend::tr("cancelled");
    case Entry::RunningOn:
        return TimelineLegend::tr("ran on, given up");
    case Entry::Http:
        return TimelineLegend::tr("http");
    case Entry::Cpu:
        return TimelineLegend::tr("cpu");
    case Entry::Deadline:
        return TimelineLegend::tr("deadline");
    }
    return {};
}

constexpr Entry Entries[] = { Entry::Request, Entry::Abandoned, Entry::Refused, Entry::Running, Entry::Ok, Entry::Failed, Entry::TimedOut, Entry::Cancelled, Entry::RunningOn, Entry::Http, Entry::Cpu, Entry::Deadline };

} // namespace

TimelineLegend::TimelineLegend(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    setToolTip(tr("Requests are drawn on the worker thread that ran them; tasks on the thread that ran them. "
                  "An abandoned request's client hung up before its answer (HTTP 499): its unfinished tasks were cancelled. "
                  "A refused request's work did not fit in the server's budget (HTTP 503): none of its tasks ran. "
                  "A notch at a task's start marks http (blue) and cpu (purple) tasks."));
}

int TimelineLegend::rowHeight() const
{
    return std::max(SwatchHeight + 4, fontMetrics().height() + 4);
}

QVector<QPoint> TimelineLegend::layOut(int width) const
{
    QVector<QPoint> corners;
    int x = 4;
    int y = 0;
    for (Entry entry : Entries) {
        const int entryWidth = SwatchWidth + Gap + fontMetrics().horizontalAdvance(entryText(entry)) + Spacing;
        if (x > 4 && x + entryWidth - Spacing > width) {
            x = 4;
            y += rowHeight();
        }
        corners.append(QPoint(x, y));
        x += entryWidth;
    }
    return corners;
}

QSize TimelineLegend::sizeHint() const
{
    int oneRow = 4;
    for (Entry entry : Entries)
        oneRow += SwatchWidth + Gap + fontMetrics().horizontalAdvance(entryText(entry)) + Spacing;
    return QSize(oneRow, heightForWidth(width()));
}

QSize TimelineLegend::minimumSizeHint() const
{
    return QSize(SwatchWidth * 4, rowHeight());
}

int TimelineLegend::heightForWidth(int width) const
{
    return layOut(width).constLast().y() + rowHeight();
}

void TimelineLegend::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    if (heightForWidth(width()) != height())
        updateGeometry();
}

void TimelineLegend::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QVector<QPoint> corners = layOut(width());
    for (int i = 0; i < corners.size(); ++i) {
        const Entry entry = Entries[i];
        const int x = corners.at(i).x();
        const int y = corners.at(i).y() + (rowHeight() - SwatchHeight) / 2;
        const QRectF swatch(x, y, SwatchWidth, SwatchHeight);
        switch (entry) {
        case Entry::Request:
            TimelineStyle::paintRequest(painter, swatch, TimelineStyle::RequestState::Answered);
            break;
        case Entry::Abandoned:
            TimelineStyle::paintRequest(painter, swatch, TimelineStyle::RequestState::Abandoned);
            break;
        case Entry::Refused:
            TimelineStyle::paintRequest(painter, swatch, TimelineStyle::RequestState::Refused);
            break;
        case Entry::Running:
            TimelineStyle::paintTask(painter, swatch, TaskStatus::Running);
            break;
        case Entry::Ok:
            TimelineStyle::paintTask(painter, swatch, TaskStatus::Ok);
            break;
        case Entry::Failed:
            TimelineStyle::paintTask(painter, swatch, TaskStatus::Failed);
            break;
        case Entry::TimedOut:
            TimelineStyle::paintTask(painter, swatch, TaskStatus::TimedOut);
            break;
        case Entry::Cancelled:
            TimelineStyle::paintTask(painter, swatch, TaskStatus::Cancelled);
            break;
        case Entry::RunningOn:
            TimelineStyle::paintRunningOn(painter, swatch);
            break;
        case Entry::Http:
            TimelineStyle::paintTask(painter, swatch, TaskStatus::Ok);
            TimelineStyle::paintKindMark(painter, swatch, TaskKind::Http);
            break;
        case Entry::Cpu:
            TimelineStyle::paintTask(painter, swatch, TaskStatus::Ok);
            TimelineStyle::paintKindMark(painter, swatch, TaskKind::Cpu);
            break;
        case Entry::Deadline:
            TimelineStyle::paintDeadline(painter, x + SwatchWidth / 2.0, y - 1, y + SwatchHeight + 1);
            break;
        }
        const QString text = entryText(entry);
        painter.setPen(palette().color(QPalette::WindowText));
        painter.drawText(QRect(x + SwatchWidth + Gap, corners.at(i).y(), fontMetrics().horizontalAdvance(text) + 2, rowHeight()), Qt::AlignVCenter, text);
    }
}
