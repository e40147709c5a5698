#pragma once

// Time <-> pixel mapping of the timeline's visible range: plain arithmetic, tested on its own.
#include <QtGlobal>

class TimelineScale
{
public:
    TimelineScale() = default;
    // [startNs, endNs] is drawn across [left, left + width] pixels.
    TimelineScale(qint64 startNs, qint64 endNs, double left, double width);

    double mapTimeToX(qint64 timeNs) const;
    qint64 mapXToTime(double x) const;
    double nsPerPixel() const { return m_nsPerPixel; }
    qint64 startNs() const { return m_startNs; }
    qint64 endNs() const { return m_endNs; }
    double left() const { return m_left; }
    double width() const { return m_width; }

    // A round tick step (1, 2 or 5 times a power of ten, in ns) at least minSpacing pixels wide.
    qint64 tickStepNs(double minSpacing) const;
    // "1.5 s", "250 ms", "40 µs": a time in the unit that suits the tick step.
    static QString formatTime(qint64 timeNs, qint64 stepNs);

private:
    qint64 m_startNs = 0;
    qint64 m_endNs = 1;
    double m_left = 0;
    double m_width = 1;
    double m_nsPerPixel = 1;
};
