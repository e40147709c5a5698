#pragma once

// Gives freed memory back to the system once the server has gone idle after work. glibc keeps
// what a burst freed in its arenas (one per thread that allocated: workers, loop threads, the
// pool), so without this a server's resident size stays at its peak for ever. When the work
// budget has had nothing in flight for IdleMs after some request came, malloc_trim(0)
// returns the free pages of every arena; then it waits for the next work.
#include <QObject>
#include <QTimer>

#include <memory>

class WorkBudget;

class IdleTrimmer : public QObject
{
    Q_OBJECT
public:
    static constexpr int IdleMs = 1000;

    explicit IdleTrimmer(std::shared_ptr<const WorkBudget> budget, QObject *parent = nullptr);

    // Once, at start, before any thread: blocks of BigBlockBytes and more (a live-feed message,
    // an export's snapshot, a burst's list of tasks) are mapped on their own, so that freeing one
    // gives it back at once. Without it glibc raises that threshold after the first big block is
    // freed and lets the next ones into its arenas, which a burst then leaves fragmented: 10 s
    // after a 30 s bench_abuse, 85 MiB resident against 56 MiB with it (medians of three).
    static void configureAllocator();
    static constexpr int BigBlockBytes = 128 * 1024;

    int trims() const { return m_trims; }

private:
    void check();

    std::shared_ptr<const WorkBudget> m_budget;
    QTimer m_timer;
    quint64 m_requestsAtTrim = 0; // requests the budget had admitted or refused at the last trim
    int m_idleChecks = 0; // checks in a row that found work done and nothing in flight
    int m_trims = 0;
};
