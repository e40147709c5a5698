#pragma once

// Where a fanned-out task stands; the last four are final.
#include <QString>

enum class TaskStatus : quint8 {
    Queued, // accepted, not started yet
    Running,
    Ok,
    Failed,
    TimedOut, // given up at the request's deadline (or never started before it)
    // Given up before the deadline because nobody wants the answer any more: the client hung up
    // and its request was abandoned. Stopped as a timed-out task is, drawn differently.
    Cancelled,
};

QString taskStatusName(TaskStatus status);
// Given up on by its request, at the deadline or because the request was abandoned.
inline bool wasGivenUp(TaskStatus status)
{
    return status == TaskStatus::TimedOut || status == TaskStatus::Cancelled;
}
inline bool isFinal(TaskStatus status)
{
    return status == TaskStatus::Ok || status == TaskStatus::Failed || wasGivenUp(status);
}
