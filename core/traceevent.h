#pragma once

// One timestamped fact of the timeline. Plain data, so that recording one is a copy.
#include "taskkind.h"
#include "taskstatus.h"

#include <QtGlobal>

struct TraceEvent {
    // RequestEnded's httpStatus for a request whose client hung up before it was answered:
    // nginx's 499 "client closed request". Nothing was sent; its unfinished tasks end Cancelled.
    static constexpr int AbandonedStatus = 499;
    // RequestEnded's httpStatus for a request refused before it started, because its work
    // would not fit in the server's work budget (WorkBudget): it ran no task.
    static constexpr int RefusedStatus = 503;

    enum class Type : quint8 {
        RequestStarted,
        RequestEnded,
        TaskStarted,
        TaskEnded,
        // A task given up on (TaskEnded TimedOut with `outlives`) that could not be stopped has
        // finally let go of its thread.
        TaskReleased,
    };

    quint64 seq = 0; // 1, 2, 3 ... in the order the recorder published them
    qint64 timeNs = 0; // TraceRecorder::now() when it happened
    quint64 requestId = 0;
    qint32 lane = -1; // thread it happened on; for TaskEnded, the thread the task ran on
    qint32 task = -1; // task index (task events)
    qint32 route = -1; // RequestStarted: TraceRecorder::routeName() id
    qint32 timeoutMs = 0; // RequestStarted
    qint32 taskCount = 0; // RequestStarted
    qint16 httpStatus = 0; // RequestEnded; AbandonedStatus or RefusedStatus, see above
    TaskStatus status = TaskStatus::Queued; // TaskEnded
    TaskKind kind = TaskKind::Timer; // TaskStarted
    bool outlives = false; // TaskEnded: the task runs on; a TaskReleased event will follow
    Type type = Type::RequestStarted;
};
