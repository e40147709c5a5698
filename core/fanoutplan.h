#pragma once

// The task plans of one request, drawn from its spec with a seeded generator.
#include "fanoutspec.h"
#include "taskplan.h"

#include <QVector>

class FanOutPlan
{
public:
    FanOutPlan() = default;
    // Draws every task's latency (latency ± jitter), failure and balance. Without a seed in the
    // spec a fresh one is taken, and reported by seed() so a run can be replayed.
    explicit FanOutPlan(const FanOutSpec &spec);

    const FanOutSpec &spec() const { return m_spec; }
    quint64 seed() const { return m_seed; }
    int size() const { return int(m_tasks.size()); }
    const TaskPlan &task(int index) const { return m_tasks.at(index); }
    const QVector<TaskPlan> &tasks() const { return m_tasks; }

    static QString accountName(int index);

private:
    FanOutSpec m_spec;
    quint64 m_seed = 0;
    QVector<TaskPlan> m_tasks;
};
