#pragma once

// The task plans of one request, drawn from its spec with a seeded generator.
#include "fanoutspec.h"
#include "taskplan.h"

#include <QUrl>
#include <QVector>

#include <optional>

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

    // Where kind=http tasks send their calls: {upstream}/upstream/balance/account-N.
    QUrl upstream() const { return m_upstream; }
    void setUpstream(const QUrl &upstream) { m_upstream = upstream; }
    // How many connections to it each thread may keep open (--upstream-connections); 0: the
    // UpstreamClient's default.
    int upstreamConnections() const { return m_upstreamConnections; }
    void setUpstreamConnections(int count) { m_upstreamConnections = count; }

    static QString accountName(int index);
    static std::optional<int> accountIndex(const QString &account); // "account-7" -> 7
    // The balance of account index under a seed: 1.00-20.00, two decimals.
    static double balanceFor(quint64 seed, int index);

private:
    FanOutSpec m_spec;
    quint64 m_seed = 0;
    QVector<TaskPlan> m_tasks;
    QUrl m_upstream;
    int m_upstreamConnections = 0;
};
