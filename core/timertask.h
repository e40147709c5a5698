#pragma once

// Simulated I/O: the task's latency is a timer in the event loop of the thread that runs it
// (a TimerQueue entry, precise to microseconds), never a sleep, so any number of them wait at
// once on one thread. Deleting the task cancels its timer.
#include "task.h"
#include "timerqueue.h"

class TimerTask : public Task
{
    Q_OBJECT
public:
    TimerTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent = nullptr);
    ~TimerTask() override;
    void start() override;

private:
    void expire();

    TimerQueue *m_queue = nullptr; // the queue of the thread that started us
    TimerQueue::Id m_timer = 0;
};
