#pragma once

// The meeting point of one request's tasks: each task reports here, from whatever thread runs
// it, and the request waits here for all of them or for its deadline.
//
// Every task moves Queued -> Running -> Ok/Failed, or to TimedOut when the request gives up on
// it (Cancelled when it gives up because its client hung up). The first final status wins, so a
// task that completes a moment after the deadline can never change an answer that has been sent.
#include "fanoutplan.h"
#include "taskoutcome.h"
#include "workbudget.h"

#include <QDeadlineTimer>
#include <QMutex>
#include <QVector>
#include <QWaitCondition>

#include <functional>
#include <optional>

class TraceRecorder;

class FanIn
{
public:
    FanIn(TraceRecorder &recorder, quint64 requestId, FanOutPlan plan, QDeadlineTimer deadline);
    FanIn(const FanIn &) = delete;
    FanIn &operator=(const FanIn &) = delete;

    TraceRecorder &recorder() const { return m_recorder; }
    quint64 requestId() const { return m_requestId; }
    const FanOutPlan &plan() const { return m_plan; }
    int size() const { return m_plan.size(); }
    // When the request gives up on whatever has not finished.
    QDeadlineTimer deadline() const { return m_deadline; }

    // Task side, from the thread that runs the task. begin() returns false if the request has
    // given up on the task already: it must not start. A task that cannot be stopped (a blocking
    // call on a pool thread) goes on running after it is given up on; its thread's release is
    // then recorded when it finishes.
    bool begin(int index, bool stoppable = true);
    // Returns false if the task had already been given up on; its result is then dropped. A
    // balance overrides the plan's (an upstream's answer).
    bool finish(int index, TaskStatus status, const QString &error = {}, std::optional<double> balance = {});
    // For work that cannot be interrupted (CPU loops): poll this between slices.
    bool isGivenUp(int index) const;

    // Request side.
    bool isDone() const;
    // Blocks the calling thread until every task is final or the deadline passes. Returns isDone().
    bool waitUntilDone(QDeadlineTimer deadline);
    // Marks every task that is not final TimedOut, now. Returns how many it marked.
    int expireUnfinished();
    // Gives up on the request before its deadline (the server is stopping): expires what is
    // unfinished and wakes whoever waits, through the wake-up hook if one is set.
    void abort();
    // The same because nobody wants the answer any more (the client hung up): what is
    // unfinished ends Cancelled, and the request is abandoned.
    void abandon();
    // How to wake a waiter that does not wait in waitUntilDone() (an event loop). Set and
    // cleared by that waiter; abort() and abandon() call it from their own thread, under the
    // fan-in's lock, so it must only post (never wait).
    void setWakeUp(std::function<void()> wakeUp);
    bool isAborted() const;
    bool isAbandoned() const;
    // Given up on before its deadline, either way: a waiter that has not started waiting must
    // not start.
    bool isCancelled() const;
    // Called once, outside the lock, on the thread that makes the last task final (a task's or
    // the one expiring them): how a continuation learns that the fan-in is over.
    void setOnAllFinal(std::function<void()> onAllFinal);

    // The request's share of the server's work budget: given back when the fan-in goes, that is
    // when the last of its tasks has really ended (one given up on may run on) and the request
    // is answered, since each of them holds the fan-in.
    void holdLease(WorkBudget::Lease lease) { m_lease = std::move(lease); }

    TaskOutcome outcome(int index) const;
    // A copy of its own, never sharing the fan-in's list, so it is the caller's to read anywhere.
    QVector<TaskOutcome> outcomes() const;
    int finishedCount() const;

private:
    // Marks every task that is not final `status`, now; returns how many.
    int giveUpUnfinished(TaskStatus status);
    // For abort() and abandon(): through the wake-up hook, if the waiter set one.
    void wakeWaiter();
    void notifyAllFinal();

    TraceRecorder &m_recorder;
    const quint64 m_requestId;
    const FanOutPlan m_plan;
    const QDeadlineTimer m_deadline;

    mutable QMutex m_mutex;
    QWaitCondition m_allFinal;
    QVector<TaskOutcome> m_outcomes;
    int m_finalCount = 0;
    bool m_aborted = false;
    bool m_abandoned = false;
    std::function<void()> m_wakeUp;
    std::function<void()> m_onAllFinal;
    WorkBudget::Lease m_lease; // set once, before any task starts
};
