#pragma once

// Parses fanscope's command line (PRODUCT.md "Command line") without touching the application
// object, so that --help works without a display and errors exit before anything starts.
#include "appoptions.h"

#include <QStringList>

#include <optional>

class CommandLine
{
public:
    static CommandLine parse(const QStringList &arguments);

    AppOptions options;
    // Set when the program should exit now, printing `output` (stdout when the code is 0, else
    // stderr): --help, --version, or a bad option.
    std::optional<int> exitCode;
    QString output;
};
