#pragma once

// The work a server lets be in flight at once, shared by all its strategies: tasks (each costs
// memory until it really ends), and milliseconds of blocking work on the /thread-pool pool
// (each holds a pool thread that cannot be interrupted). A request asks for its whole cost
// before it starts; if that would go past a limit it is refused and never starts, so whatever
// arrives, the memory and the pool threads held stay bounded.
//
// What is acquired is held by a Lease until the work really ends: a task given up on at its
// deadline that runs on (a blocking pool call) still costs memory and a thread, so the lease
// lives as long as the request's fan-in, which its tasks share. Thread-safe.
#include <QtGlobal>

#include <QMutex>

#include <array>
#include <memory>

class WorkBudget : public std::enable_shared_from_this<WorkBudget>
{
public:
    // Why a request was refused.
    enum class Refusal { None, Tasks, PoolTime };
    static constexpr int RefusalCount = 3;
    // How the reason is named in /metrics and in errors: "tasks", "pool_seconds".
    static const char *refusalName(Refusal refusal);

    // A request's share of the budget, given back when the lease is destroyed. Move-only.
    class Lease
    {
    public:
        Lease() = default;
        ~Lease();
        Lease(Lease &&other) noexcept;
        Lease &operator=(Lease &&other) noexcept;
        Lease(const Lease &) = delete;
        Lease &operator=(const Lease &) = delete;

        // Whether the work was admitted; if not, why.
        bool isAdmitted() const { return m_refusal == Refusal::None; }
        Refusal refusal() const { return m_refusal; }
        qint64 tasks() const { return m_tasks; }
        qint64 poolMs() const { return m_poolMs; }
        // Gives the share back now (the destructor does it otherwise).
        void release();

    private:
        friend class WorkBudget;
        std::shared_ptr<WorkBudget> m_budget; // keeps the budget alive as long as the lease
        qint64 m_tasks = 0;
        qint64 m_poolMs = 0;
        Refusal m_refusal = Refusal::None;
    };

    // Limits of 0 or less mean "no limit". Make it with std::make_shared: leases share it.
    WorkBudget(qint64 maxTasks, qint64 maxPoolMs);
    WorkBudget(const WorkBudget &) = delete;
    WorkBudget &operator=(const WorkBudget &) = delete;

    // Admits `tasks` tasks and `poolMs` of blocking pool work if both fit under their limits
    // together with what is in flight, or refuses them, holding nothing. A request that asks
    // for nothing is always admitted; one larger than a whole limit never is.
    Lease tryAcquire(qint64 tasks, qint64 poolMs = 0);

    qint64 maxTasks() const { return m_maxTasks; }
    qint64 maxPoolMs() const { return m_maxPoolMs; }

    // Snapshots, from any thread.
    struct Counters {
        qint64 tasksInFlight = 0;
        qint64 poolMsInFlight = 0;
        quint64 admitted = 0; // leases granted since the start
        std::array<quint64, RefusalCount> refused {}; // by Refusal (None stays 0)
    };
    Counters counters() const;
    qint64 tasksInFlight() const;
    bool isIdle() const; // nothing in flight

private:
    void giveBack(qint64 tasks, qint64 poolMs);

    const qint64 m_maxTasks;
    const qint64 m_maxPoolMs;
    mutable QMutex m_mutex; // guards m_counters
    Counters m_counters;
};
