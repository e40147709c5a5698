#pragma once

// Everything the command line of fanscope decides.
#include "serveroptions.h"
#include "tracerecorder.h"

struct AppOptions {
    ServerOptions server;
    bool headless = false;
    QString runPath; // --run: a fan-out route with an optional query
    QString screenshotFile; // --screenshot
    // --trace-events: the timeline's memory bound. The recorder keeps this many events (about
    // 64 bytes each), the window half as many spans; older ones are forgotten.
    int traceEvents = TraceRecorder::DefaultCapacity;
    static constexpr int MinTraceEvents = 1000; // a few requests' worth
    static constexpr int MaxTraceEvents = 20000000; // about 1.3 GB
};
