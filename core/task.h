#pragma once

// One fanned-out task, living in the thread that runs it. It reports to its request's FanIn
// and then emits finished(); deleting it cancels it (timers stop, calls are aborted).
#include "taskplan.h"
#include "taskstatus.h"

#include <QObject>

#include <atomic>
#include <memory>
#include <optional>

class FanIn;

class Task : public QObject
{
    Q_OBJECT
public:
    // The task for the plan's kind, in the thread of parent (or the calling thread).
    static Task *create(const std::shared_ptr<FanIn> &fanIn, int index, QObject *parent = nullptr);
    ~Task() override;

    const TaskPlan &plan() const;
    // Starts the work. The task must have been begun in its FanIn by the caller.
    virtual void start() = 0;
    // A task that is not stoppable runs to its end even when its request gives up on it (it
    // stands for a blocking call); only a stopping server interrupts it. Default: stoppable.
    void setStoppable(bool stoppable) { m_stoppable = stoppable; }
    bool isStoppable() const { return m_stoppable; }

    // Tasks alive in the process: lets tests prove that cancelled tasks are gone.
    static int liveCount() { return s_live.load(std::memory_order_acquire); }

Q_SIGNALS:
    void finished(TaskStatus status);

protected:
    Task(std::shared_ptr<FanIn> fanIn, int index, QObject *parent);
    // Reports the final status to the FanIn (where the deadline may have won already) and emits
    // finished(). Call once.
    void complete(TaskStatus status, const QString &error = {}, std::optional<double> balance = {});
    FanIn &fanIn() const { return *m_fanIn; }
    int index() const { return m_index; }

private:
    static std::atomic<int> s_live;
    std::shared_ptr<FanIn> m_fanIn;
    const int m_index;
    bool m_stoppable = true;
};
