#pragma once

// What became of one task: its status, its result and where and when it ran.
#include "taskstatus.h"

#include <QString>

struct TaskOutcome {
    int index = 0;
    TaskStatus status = TaskStatus::Queued;
    double balance = 0.0; // meaningful when status is Ok
    qint64 startNs = -1; // on the TraceRecorder clock; -1 if the task never started
    qint64 endNs = -1;
    int lane = -1; // TraceRecorder lane of the thread that ran it; -1 if it never started
    QString error; // why it failed
    bool outlives = false; // could not be stopped: its thread runs it on past a give-up
};
