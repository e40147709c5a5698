#pragma once

// Merges task bars too small to show their outline into runs, per pixel row and status, so that
// a lane where hundreds of tasks overlap costs a fill per run rather than one per task.
//
// Under a load run, sub-rows get thinner than a pixel and bars narrower than their outline;
// drawing each bar would repeat fills over pixels already drawn. Bars come best in order of
// their start (as a lane holds them); a bar that touches or overlaps the current run of its
// row and status extends it, any other (one that starts before the run, too) closes that run
// (handing it to the sink) and starts a new one. Whatever is open is handed over by finish()
// or the destructor.
#include "taskstatus.h"

#include <QRect>

#include <functional>
#include <vector>

class DensityRuns
{
public:
    using Sink = std::function<void(const QRect &run, TaskStatus status)>;

    // Pixel rows [top, top + rows) of a lane's task area.
    DensityRuns(int top, int rows, Sink sink);
    ~DensityRuns(); // finish()
    DensityRuns(const DensityRuns &) = delete;
    DensityRuns &operator=(const DensityRuns &) = delete;

    // The bar [x0, x1) on pixel rows [y, y + height); rows outside the area are ignored.
    void add(int y, int height, TaskStatus status, int x0, int x1);
    // Hands every open run to the sink.
    void finish();

private:
    static constexpr size_t StatusCount = 8; // room for every TaskStatus value
    struct Run {
        int x0 = 0;
        int x1 = 0; // exclusive; x1 <= x0: no run
    };
    void close(size_t index);

    int m_top;
    int m_rows;
    Sink m_sink;
    std::vector<Run> m_runs; // row * StatusCount + status
};
