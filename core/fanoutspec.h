#pragma once

// What one fan-out request asks for, parsed and validated from its URL query.
#include "specerror.h"
#include "taskkind.h"

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

    // Unknown parameters are ignored (browsers and proxies add their own); known ones must be
    // given at most once and be well-formed and in range.
    static std::variant<FanOutSpec, SpecError> fromQuery(const QUrlQuery &query);
    QUrlQuery toQuery() const;

    friend bool operator==(const FanOutSpec &a, const FanOutSpec &b);
};
