#pragma once

// Everything the command line of fanscope decides.
#include "serveroptions.h"

struct AppOptions {
    ServerOptions server;
    bool headless = false;
};
