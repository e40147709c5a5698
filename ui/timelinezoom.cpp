#include "timelinezoom.h"

#include <cmath>

TimelineZoom::TimelineZoom(QObject *parent)
    : QObject(parent)
{
}

void TimelineZoom::setFollowLive(bool follow)
{
    if (m_followLive == follow)
        return;
    m_followLive = follow;
    Q_EMIT followLiveChanged(follow);
}

void TimelineZoom::setRange(qint64 startNs, qint64 endNs)
{
    apply(startNs, endNs);
}

void TimelineZoom::zoomAround(qint64 anchorNs, double factor)
{
    if (!(factor > 0))
        return;
    const double width = std::clamp(double(widthNs()) * factor, double(MinWidthNs), double(MaxWidthNs));
    // Keep the anchor's fraction of the way across the view.
    const double fraction = double(anchorNs - m_startNs) / double(widthNs());
    const qint64 start = anchorNs - qint64(std::llround(fraction * width));
    apply(start, start + qint64(std::llround(width)));
}

void TimelineZoom::panBy(qint64 deltaNs)
{
    setFollowLive(false);
    apply(m_startNs + deltaNs, m_endNs + deltaNs);
}

void TimelineZoom::fit(qint64 firstNs, qint64 lastNs)
{
    setFollowLive(false);
    const qint64 width = std::max(MinWidthNs, lastNs - firstNs);
    const qint64 margin = width / 20;
    apply(firstNs - margin, firstNs + width + margin);
}

void TimelineZoom::updateLive(qint64 nowNs)
{
    if (!m_followLive)
        return;
    const qint64 width = widthNs();
    const qint64 end = nowNs + width / 20; // a little room ahead of "now"
    apply(end - width, end);
}

void TimelineZoom::apply(qint64 startNs, qint64 endNs)
{
    const qint64 width = std::clamp(endNs - startNs, MinWidthNs, MaxWidthNs);
    if (startNs == m_startNs && startNs + width == m_endNs)
        return;
    m_startNs = startNs;
    m_endNs = startNs + width;
    Q_EMIT rangeChanged();
}
