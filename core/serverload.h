#pragma once

// How busy the embedded server's request workers are at one moment: plain numbers, so that a
// window can show them without knowing the server.
#include <QtGlobal>

struct ServerLoad {
    int workers = 0; // request worker threads in all
    int busyWorkers = 0; // running a view now
    int queueDepth = 0; // requests waiting for a free worker
    // The work budget: tasks in flight now against the limit, and requests refused so far
    // because theirs would not fit.
    qint64 tasksInFlight = 0;
    qint64 maxTasksInFlight = 0;
    quint64 refused = 0;
};
