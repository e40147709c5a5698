#include "task.h"

#include "cputask.h"
#include "fanin.h"
#include "httptask.h"
#include "timertask.h"

std::atomic<int> Task::s_live { 0 };

Task *Task::create(const std::shared_ptr<FanIn> &fanIn, int index, QObject *parent)
{
    switch (fanIn->plan().task(index).kind) {
    case TaskKind::Timer:
        return new TimerTask(fanIn, index, parent);
    case TaskKind::Cpu:
        return new CpuTask(fanIn, index, parent);
    case TaskKind::Http:
        return new HttpTask(fanIn, index, parent);
    }
    Q_UNREACHABLE();
    return nullptr;
}

Task::Task(std::shared_ptr<FanIn> fanIn, int index, QObject *parent)
    : QObject(parent)
    , m_fanIn(std::move(fanIn))
    , m_index(index)
{
    s_live.fetch_add(1, std::memory_order_acq_rel);
}

Task::~Task()
{
    s_live.fetch_sub(1, std::memory_order_acq_rel);
}

const TaskPlan &Task::plan() const
{
    return m_fanIn->plan().task(m_index);
}

void Task::complete(TaskStatus status, const QString &error, std::optional<double> balance)
{
    m_fanIn->finish(m_index, status, error, balance);
    Q_EMIT finished(status);
}
