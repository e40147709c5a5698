#pragma once

// Everything the command line of fanscope decides.
#include "serveroptions.h"

struct AppOptions {
    ServerOptions server;
    bool headless = false;
    QString runPath; // --run: a fan-out route with an optional query
    QString screenshotFile; // --screenshot
};
