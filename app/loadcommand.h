#pragma once

// `fanscope load [-n REQUESTS] [-c CONCURRENCY] [--json] [--print] URL`: the load script of the
// original demo grown into a small hey. Runs without an application object or a display.
#include <QStringList>

class LoadCommand
{
public:
    // arguments: the program name, "load", then the options. Returns the exit status.
    static int run(const QStringList &arguments);
};
