#pragma once

// One bar of the timeline: a request on its worker's lane or a task on its thread's lane.
#include "taskkind.h"
#include "taskstatus.h"
#include "traceevent.h"

#include <QtGlobal>

struct TimelineSpan {
    enum class Type : quint8 { Request, Task };

    Type type = Type::Task;
    // Requests: Running, then Ok (answered) or Cancelled (abandoned: the client hung up first).
    TaskStatus status = TaskStatus::Running;
    TaskKind kind = TaskKind::Timer;
    qint16 httpStatus = 0; // requests, once answered
    int route = -1; // requests: TraceRecorder::routeName() id
    int task = -1; // tasks: index in the request
    int slot = 0; // tasks: sub-row of the lane, so that overlapping tasks do not hide each other
    quint64 requestId = 0;
    qint64 startNs = 0;
    qint64 endNs = -1; // -1 while open
    qint64 deadlineNs = -1; // requests: when the view gives up
    // Tasks that could not be stopped when given up on (blocking pool calls): their thread ran
    // them on until releasedNs (-1 while it still does).
    bool outlives = false;
    qint64 releasedNs = -1;

    bool isOpen() const { return endNs < 0; }
    bool isAbandoned() const { return type == Type::Request && status == TaskStatus::Cancelled; }
    // Refused before it started: its work did not fit in the server's budget (HTTP 503).
    bool isRefused() const { return type == Type::Request && !isOpen() && httpStatus == TraceEvent::RefusedStatus; }
    bool isRunningOn() const { return outlives && releasedNs < 0; }
    // The end to draw: open spans grow until now.
    qint64 endOr(qint64 nowNs) const { return isOpen() ? std::max(startNs, nowNs) : endNs; }
};
