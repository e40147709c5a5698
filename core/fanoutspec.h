#pragma once

// What one fan-out request asks for, parsed and validated from its URL query.
#include "specerror.h"
#include "taskkind.h"

#include <QStringList>
#include <QUrlQuery>

#include <optional>
#include <variant>

struct FanOutSpec {
    // Ranges of PRODUCT.md's "Query parameters"; the parser and the UI's controls share them.
    static constexpr int MaxTasks = 10000;
    static constexpr int MaxLatencyMs = 60000;
    static constexpr int MaxJitterMs = 60000;
    static constexpr int MinTimeoutMs = 1;
    static constexpr int MaxTimeoutMs = 60000;

    int tasks = 10;
    int latencyMs = 1000;
    int jitterMs = 0;
    double failRate = 0.0;
    int timeoutMs = 3000;
    TaskKind kind = TaskKind::Timer;
    std::optional<quint64> seed; // none: every request draws afresh

    // Every parameter must be one of ours, given at most once, well-formed and in range. An
    // unknown one is an error rather than ignored: a typo such as `task=5` would otherwise run
    // with the defaults and look like a slow server. Empty items (`a=1&&b=2`) are skipped.
    static std::variant<FanOutSpec, SpecError> fromQuery(const QUrlQuery &query);
    // The parameter names, in the order of PRODUCT.md's table.
    static const QStringList &parameterNames();
    QUrlQuery toQuery() const;

    friend bool operator==(const FanOutSpec &a, const FanOutSpec &b);
};
