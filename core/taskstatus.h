#pragma once

// Where a fanned-out task stands; the last three are final.
#include <QString>

enum class TaskStatus : quint8 {
    Queued, // accepted, not started yet
    Running,
    Ok,
    Failed,
    TimedOut, // given up at the request's deadline (or never started before it)
};

QString taskStatusName(TaskStatus status);
inline bool isFinal(TaskStatus status)
{
    return status == TaskStatus::Ok || status == TaskStatus::Failed
        || status == TaskStatus::TimedOut;
}
