#pragma once

// Long-lived event-loop threads that every request schedules its tasks on, and the original
// demo's loopworker helpers to wait for them from a synchronous view: waitFor, waitResults and
// awaitOne.
//
// Tasks are spread round-robin over the threads. The view's thread blocks on the FanIn with a
// deadline; tasks not final by then are given up on at once (so nothing they do later counts),
// and their objects are deleted on their loop thread right after, which stops their timers.
#include "taskoutcome.h"

#include <QVector>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class FanIn;
class LoopThread;
class TraceRecorder;

// The tasks of one request as scheduled on the loop threads.
class TaskBatch
{
public:
    const std::shared_ptr<FanIn> &fanIn() const { return m_fanIn; }

private:
    friend class LoopWorker;
    struct Shard; // the part of the batch on one loop thread
    std::shared_ptr<FanIn> m_fanIn;
    std::vector<std::shared_ptr<Shard>> m_shards;
};

class LoopWorker
{
public:
    LoopWorker(TraceRecorder &recorder, int threadCount);
    ~LoopWorker(); // stops the threads; anything still scheduled is deleted, not run
    LoopWorker(const LoopWorker &) = delete;
    LoopWorker &operator=(const LoopWorker &) = delete;

    int threadCount() const { return int(m_threads.size()); }

    // Posts every task of the fan-in to the loop threads; returns at once.
    TaskBatch schedule(const std::shared_ptr<FanIn> &fanIn);

    struct Waited
    {
        QVector<TaskOutcome> done; // Ok or Failed, in task order
        QVector<TaskOutcome>
            notDone; // given up: TimedOut, or Cancelled if the request was abandoned
    };
    // Blocks until every task of the batch is done or its deadline passes; cancels the rest.
    Waited waitFor(const TaskBatch &batch);
    // As waitFor, keeping only the successful outcomes.
    QVector<TaskOutcome> waitResults(const TaskBatch &batch);
    // Schedules the fan-in's single task and waits for it: its outcome, TimedOut at the deadline.
    TaskOutcome awaitOne(const std::shared_ptr<FanIn> &fanIn);

    // Deletes the batch's task objects on their loop threads (stopping what still runs). Call
    // once the fan-in is over; waitFor() does.
    void release(const TaskBatch &batch);
    // Calls fn on a thread of its own, which runs nothing else, once CLOCK_MONOTONIC reaches
    // dueNs (a QDeadlineTimer's deadlineNSecs()): how a waiter that holds no thread keeps its
    // deadline. That thread keeps every such deadline, so fn must be quick: whatever takes time
    // goes elsewhere (isDeadlineThread() tells a callback that it is there).
    void callAt(qint64 dueNs, std::function<void()> fn);
    bool isDeadlineThread() const;
    // Returns once the callback the deadline thread may be running now has returned.
    void waitForDeadlineThread();

private:
    TraceRecorder &m_recorder;
    std::vector<std::unique_ptr<LoopThread>> m_threads;
    // Keeps callAt() timers apart from the task threads: CPU work saturating those must not
    // hold up a deadline.
    std::unique_ptr<LoopThread> m_deadlines;
    std::atomic<unsigned> m_nextThread { 0 };
};
