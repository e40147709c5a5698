#include "densityruns.h"

#include <algorithm>

static_assert(size_t(TaskStatus::TimedOut) < 8, "DensityRuns::StatusCount must cover every TaskStatus");

DensityRuns::DensityRuns(int top, int rows, Sink sink)
    : m_top(top)
    , m_rows(std::max(rows, 0))
    , m_sink(std::move(sink))
    , m_runs(size_t(m_rows) * StatusCount)
{
}

DensityRuns::~DensityRuns()
{
    finish();
}

void DensityRuns::add(int y, int height, TaskStatus status, int x0, int x1)
{
    if (x1 <= x0)
        return;
    const int first = std::max(0, y - m_top);
    const int last = std::min(m_rows, y - m_top + height);
    for (int row = first; row < last; ++row) {
        const size_t index = size_t(row) * StatusCount + size_t(status);
        Run &run = m_runs[index];
        // Touching or overlapping the run, not starting before it: bars out of order (a folded
        // group adds lane after lane) start a run of their own rather than being lost.
        if (run.x1 > run.x0 && x0 <= run.x1 && x0 >= run.x0) {
            run.x1 = std::max(run.x1, x1);
            continue;
        }
        close(index);
        run = { x0, x1 };
    }
}

void DensityRuns::finish()
{
    for (size_t index = 0; index < m_runs.size(); ++index)
        close(index);
}

void DensityRuns::close(size_t index)
{
    Run &run = m_runs[index];
    if (run.x1 > run.x0)
        m_sink(QRect(run.x0, m_top + int(index / StatusCount), run.x1 - run.x0, 1), TaskStatus(index % StatusCount));
    run = {};
}
