#include "timelinescale.h"

#include <QString>

#include <cmath>

TimelineScale::TimelineScale(qint64 startNs, qint64 endNs, double left, double width)
    : m_startNs(startNs)
    , m_endNs(std::max(endNs, startNs + 1))
    , m_left(left)
    , m_width(std::max(1.0, width))
    , m_nsPerPixel(double(m_endNs - m_startNs) / m_width)
{
}

double TimelineScale::mapTimeToX(qint64 timeNs) const
{
    return m_left + double(timeNs - m_startNs) / m_nsPerPixel;
}

qint64 TimelineScale::mapXToTime(double x) const
{
    return m_startNs + qint64(std::llround((x - m_left) * m_nsPerPixel));
}

qint64 TimelineScale::tickStepNs(double minSpacing) const
{
    const double minStep = std::max(1.0, minSpacing * m_nsPerPixel);
    double magnitude = std::pow(10.0, std::floor(std::log10(minStep)));
    for (;;) {
        for (double factor : { 1.0, 2.0, 5.0 }) {
            if (factor * magnitude >= minStep)
                return qint64(factor * magnitude);
        }
        magnitude *= 10.0;
    }
}

QString TimelineScale::formatTime(qint64 timeNs, qint64 stepNs)
{
    // Enough decimals to tell two neighbouring ticks apart, no more.
    auto format = [](double value, double step) {
        const int decimals = step >= 1.0 ? 0 : int(std::ceil(-std::log10(step)));
        return QString::number(value, 'f', std::min(decimals, 6));
    };
    if (stepNs >= 100000000) // 0.1 s and up
        return format(double(timeNs) / 1e9, double(stepNs) / 1e9) + QStringLiteral(" s");
    if (stepNs >= 100000)
        return format(double(timeNs) / 1e6, double(stepNs) / 1e6) + QStringLiteral(" ms");
    return format(double(timeNs) / 1e3, double(stepNs) / 1e3) + QStringLiteral(" µs");
}
