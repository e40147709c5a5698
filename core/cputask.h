#pragma once

// CPU-bound work: the task computes on its thread for its latency, holding that thread (and its
// event loop) the whole time, as real CPU work does. It checks between short slices whether
// its request has given up on it or passed its deadline, and stops there.
#include "task.h"

class CpuTask : public Task
{
    Q_OBJECT
public:
    CpuTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent = nullptr);
    void start() override;

    // Work kept from the computation so that the optimiser cannot drop it.
    quint64 checksum() const { return m_checksum; }

private:
    quint64 m_checksum = 0;
};
