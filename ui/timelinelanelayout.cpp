#include "timelinelanelayout.h"

#include <algorithm>
#include <cmath>

TimelineLaneLayout::TimelineLaneLayout(int requestSlots, int taskSlots)
    : m_requestSlots(std::max(1, requestSlots))
    , m_taskSlots(std::max(1, taskSlots))
    , m_stripHeight(std::clamp(requestSlots * RequestStripHeight, RequestStripHeight, MaxRequestStripHeight))
    , m_taskAreaHeight(taskSlots <= 0 ? EmptyTaskAreaHeight : std::min(taskSlots * SlotHeight, MaxTaskAreaHeight))
{
}

int TimelineLaneLayout::height() const
{
    return 2 * Padding + m_stripHeight + StripGap + m_taskAreaHeight;
}

std::optional<TimelineLaneLayout::Hit> TimelineLaneLayout::hitAt(qreal y) const
{
    // The pixel row [y, y + 1) against the sub-rows it overlaps.
    auto slots = [y](qreal top, qreal slotHeight, int count) {
        const int first = std::clamp(int(std::floor((y - top) / slotHeight)), 0, count - 1);
        const int last = std::clamp(int(std::ceil((y + 1 - top) / slotHeight)) - 1, first, count - 1);
        return std::pair(first, last);
    };
    if (y >= stripTop() && y < stripTop() + m_stripHeight) {
        const auto [first, last] = slots(stripTop(), requestSlotHeight(), m_requestSlots);
        return Hit { true, first, last };
    }
    if (y >= tasksTop() && y < tasksTop() + m_taskAreaHeight) {
        const auto [first, last] = slots(tasksTop(), taskSlotHeight(), m_taskSlots);
        return Hit { false, first, last };
    }
    return std::nullopt;
}
