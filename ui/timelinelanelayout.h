#pragma once

// Where things sit vertically inside one lane of the timeline: the request strip on top, the
// task sub-rows below, their heights as the lane's sub-row counts grow, and which sub-rows a y
// coordinate falls on. Plain arithmetic shared by painting and hit-testing, tested on its own.
#include <QtGlobal>

#include <optional>

class TimelineLaneLayout
{
public:
    static constexpr int Padding = 3;
    static constexpr int RequestStripHeight = 12; // one request sub-row
    static constexpr int StripGap = 2;
    static constexpr int SlotHeight = 7; // one task sub-row, while they fit
    static constexpr int MaxTaskAreaHeight = 84; // beyond 12 sub-rows they get thinner
    static constexpr int EmptyTaskAreaHeight = 8;
    static constexpr int MaxRequestStripHeight = 6 * RequestStripHeight;
    static constexpr int CollapsedHeight = 2 * Padding + RequestStripHeight; // a folded group

    // A lane with this many request and task sub-rows in use.
    TimelineLaneLayout(int requestSlots, int taskSlots);

    int height() const;
    // Relative to the lane's top.
    qreal stripTop() const { return Padding; }
    int stripHeight() const { return m_stripHeight; }
    qreal tasksTop() const { return Padding + m_stripHeight + StripGap; }
    int taskAreaHeight() const { return m_taskAreaHeight; }
    int requestSlots() const { return m_requestSlots; } // at least 1
    int taskSlots() const { return m_taskSlots; } // at least 1
    qreal requestSlotHeight() const { return qreal(m_stripHeight) / m_requestSlots; }
    qreal taskSlotHeight() const { return qreal(m_taskAreaHeight) / m_taskSlots; }
    qreal requestY(int slot) const { return stripTop() + (slot % m_requestSlots) * requestSlotHeight(); }
    qreal taskY(int slot) const { return tasksTop() + (slot % m_taskSlots) * taskSlotHeight(); }

    // Which sub-rows y (relative to the lane's top) falls on: several where sub-rows are
    // thinner than a pixel. None in the padding and gaps.
    struct Hit {
        bool request = false; // the request strip; else the task area
        int firstSlot = 0;
        int lastSlot = 0; // inclusive
    };
    std::optional<Hit> hitAt(qreal y) const;

private:
    int m_requestSlots;
    int m_taskSlots;
    int m_stripHeight;
    int m_taskAreaHeight;
};
