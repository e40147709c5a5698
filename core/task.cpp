#include "task.h"

#include "cputask.h"
#include "fanin.h"
#include "timertask.h"

#include <QTimer>

namespace {

// kind=http until the upstream exists: fails at once, saying why, rather than pretending.
class UnavailableTask : public Task
{
public:
    using Task::Task;
    void start() override
    {
        QTimer::singleShot(0, this, [this] { complete(TaskStatus::Failed, QStringLiteral("kind=http is not available in this build")); });
    }
};

} // namespace

std::atomic<int> Task::s_live { 0 };

Task *Task::create(const std::shared_ptr<FanIn> &fanIn, int index, QObject *parent)
{
    switch (fanIn->plan().task(index).kind) {
    case TaskKind::Timer:
        return new TimerTask(fanIn, index, parent);
    case TaskKind::Cpu:
        return new CpuTask(fanIn, index, parent);
    case TaskKind::Http:
        break;
    }
    return new UnavailableTask(fanIn, index, parent);
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

void Task::complete(TaskStatus status, const QString &error)
{
    m_fanIn->finish(m_index, status, error);
    Q_EMIT finished(status);
}
