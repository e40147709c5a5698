#pragma once

// How busy the embedded server's request workers are at one moment: plain numbers, so that a
// window can show them without knowing the server.

struct ServerLoad {
    int workers = 0; // request worker threads in all
    int busyWorkers = 0; // running a view now
    int queueDepth = 0; // requests waiting for a free worker
};
