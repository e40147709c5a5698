#include "timertask.h"

TimerTask::TimerTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent)
    : Task(std::move(fanIn), index, parent)
{
}

TimerTask::~TimerTask()
{
    if (m_timer)
        m_queue->cancel(m_timer);
}

void TimerTask::start()
{
    m_queue = TimerQueue::forCurrentThread();
    m_timer = m_queue->schedule(TimerQueue::nowNs() + plan().latencyNs, [this] { expire(); });
}

void TimerTask::expire()
{
    m_timer = 0;
    if (plan().fails)
        complete(TaskStatus::Failed, QStringLiteral("simulated failure"));
    else
        complete(TaskStatus::Ok);
}
