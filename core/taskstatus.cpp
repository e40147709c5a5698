#include "taskstatus.h"

QString taskStatusName(TaskStatus status)
{
    switch (status) {
    case TaskStatus::Queued:
        return QStringLiteral("queued");
    case TaskStatus::Running:
        return QStringLiteral("running");
    case TaskStatus::Ok:
        return QStringLiteral("ok");
    case TaskStatus::Failed:
        return QStringLiteral("failed");
    case TaskStatus::TimedOut:
        return QStringLiteral("timed_out");
    case TaskStatus::Cancelled:
        return QStringLiteral("cancelled");
    }
    return {};
}
