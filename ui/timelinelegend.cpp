#include "timelinelegend.h"

#include "timelinestyle.h"

#include <QPainter>

namespace {

constexpr int SwatchWidth = 28;
constexpr int SwatchHeight = 10;
constexpr int Gap = 6;
constexpr int Spacing = 16;

enum class Entry { Request, Running, Ok, Failed, TimedOut, RunningOn, Http, Cpu, Deadline };

QString entryText(Entry entry)
{
    switch (entry) {
    case Entry::Request:
        return TimelineLegend::tr("request");
    case Entry::Running:
        return TimelineLegend::tr("task running");
    case Entry::Ok:
        return TimelineLegend::tr("ok");
    case Entry::Failed:
        return TimelineLegend::tr("failed");
    case Entry::TimedOut:
        return TimelineLegend::tr("timed out");
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

constexpr Entry Entries[] = { Entry::Request, Entry::Running, Entry::Ok, Entry::Failed, Entry::TimedOut, Entry::RunningOn, Entry::Http, Entry::Cpu, Entry::Deadline };

} // namespace

TimelineLegend::TimelineLegend(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    setToolTip(tr("Requests are drawn on the worker thread that ran them; tasks on the thread that ran them. "
                  "A notch at a task's start marks http (blue) and cpu (purple) tasks."));
}

QSize TimelineLegend::sizeHint() const
{
    int width = 0;
    for (Entry entry : Entries)
        width += SwatchWidth + Gap + fontMetrics().horizontalAdvance(entryText(entry)) + Spacing;
    return QSize(width, std::max(SwatchHeight + 4, fontMetrics().height() + 4));
}

void TimelineLegend::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    int x = 4;
    const int y = (height() - SwatchHeight) / 2;
    for (Entry entry : Entries) {
        const QRectF swatch(x, y, SwatchWidth, SwatchHeight);
        switch (entry) {
        case Entry::Request:
            TimelineStyle::paintRequest(painter, swatch, false);
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
        x += SwatchWidth + Gap;
        const QString text = entryText(entry);
        painter.setPen(palette().color(QPalette::WindowText));
        painter.drawText(QRect(x, 0, fontMetrics().horizontalAdvance(text) + 2, height()), Qt::AlignVCenter, text);
        x += fontMetrics().horizontalAdvance(text) + Spacing;
    }
}
