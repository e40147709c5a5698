// libFuzzer target for FanOutSpec::fromQuery: any bytes as a URL query string, taken into a
// QUrlQuery the two ways a query reaches the parser (from a string, and from a URL as the HTTP
// server and `--run PATH` do), then checked against PRODUCT.md's contract, not just for crashes.
#include "fanoutspec.h"

#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

// The known parameters, spelled as in PRODUCT.md; an error names one of them, or a name the query
// holds that is none of them.
const char *const knownParams[] = { "tasks", "latency_ms", "jitter_ms", "fail_rate", "timeout_ms", "kind", "seed" };

[[noreturn]] void fail(const QString &query, const char *what, const QString &detail = QString())
{
    std::fprintf(stderr, "fuzz_fanoutspec: %s\n  query: %s\n  %s\n", what, qUtf8Printable(query),
        qUtf8Printable(detail));
    std::abort(); // libFuzzer keeps the input as a crash-* file
}

QString describe(const std::variant<FanOutSpec, SpecError> &result)
{
    if (const auto *error = std::get_if<SpecError>(&result))
        return QStringLiteral("error %1: %2").arg(error->param, error->message);
    const auto &s = std::get<FanOutSpec>(result);
    return QStringLiteral("spec tasks=%1 latency_ms=%2 jitter_ms=%3 fail_rate=%4 timeout_ms=%5 kind=%6 seed=%7")
        .arg(s.tasks)
        .arg(s.latencyMs)
        .arg(s.jitterMs)
        .arg(s.failRate, 0, 'g', 17)
        .arg(s.timeoutMs)
        .arg(int(s.kind))
        .arg(s.seed ? QString::number(*s.seed) : QStringLiteral("none"));
}

// The ranges are PRODUCT.md's numbers, written out rather than taken from FanOutSpec's constants,
// so that a drift of those constants from the contract is caught too.
void checkSpec(const QString &text, const FanOutSpec &spec)
{
    if (spec.tasks < 0 || spec.tasks > 10000)
        fail(text, "tasks out of 0-10000", QString::number(spec.tasks));
    if (spec.latencyMs < 0 || spec.latencyMs > 60000)
        fail(text, "latency_ms out of 0-60000", QString::number(spec.latencyMs));
    if (spec.jitterMs < 0 || spec.jitterMs > 60000)
        fail(text, "jitter_ms out of 0-60000", QString::number(spec.jitterMs));
    if (!std::isfinite(spec.failRate) || spec.failRate < 0.0 || spec.failRate > 1.0)
        fail(text, "fail_rate out of 0-1", QString::number(spec.failRate, 'g', 17));
    if (spec.timeoutMs < 1 || spec.timeoutMs > 60000)
        fail(text, "timeout_ms out of 1-60000", QString::number(spec.timeoutMs));
    if (spec.kind != TaskKind::Timer && spec.kind != TaskKind::Http && spec.kind != TaskKind::Cpu)
        fail(text, "kind is none of timer, http, cpu", QString::number(int(spec.kind)));

    // What the UI and --run send back must parse to the same spec.
    const auto again = FanOutSpec::fromQuery(spec.toQuery());
    if (!std::holds_alternative<FanOutSpec>(again) || !(std::get<FanOutSpec>(again) == spec))
        fail(text, "toQuery() does not parse back to the same spec", describe(again));
}

bool isKnown(const QString &param)
{
    for (const char *name : knownParams) {
        if (param == QLatin1String(name))
            return true;
    }
    return false;
}

// An error names a parameter that the query really holds, and says something about it: what is
// wrong with one of ours, or that a name is none of ours (a typo such as task=5 must not run
// with the defaults).
// Names as the parser reads them: fully decoded (an unknown "f%2Bail" is named "f+ail").
bool holds(const QUrlQuery &query, const QString &name)
{
    const auto items = query.queryItems(QUrl::FullyDecoded);
    return std::any_of(items.cbegin(), items.cend(), [&name](const auto &item) { return item.first == name; });
}

void checkError(const QString &text, const QUrlQuery &query, const SpecError &error)
{
    if (!holds(query, error.param))
        fail(text, "error names a parameter the query does not hold", error.param);
    if (!isKnown(error.param)) {
        if (!error.message.contains(QLatin1String("tasks, latency_ms, jitter_ms, fail_rate, timeout_ms, kind, seed")))
            fail(text, "an unknown parameter's error does not list the parameters", error.message);
        return;
    }
    if (!error.message.startsWith(error.param + QLatin1Char(' ')) || error.message.size() <= error.param.size() + 1)
        fail(text, "error message does not say what is wrong with its parameter", error.message);
}

void check(const QString &text, const QUrlQuery &query)
{
    const auto result = FanOutSpec::fromQuery(query);
    if (const auto *error = std::get_if<SpecError>(&result))
        checkError(text, query, *error);
    else
        checkSpec(text, std::get<FanOutSpec>(result));

    // An unknown parameter is refused, whatever else the query holds: the error names it, or an
    // unknown one that comes before it.
    QUrlQuery withUnknown = query;
    withUnknown.addQueryItem(QStringLiteral("fuzz_unknown"), QStringLiteral("%00x"));
    const auto withUnknownResult = FanOutSpec::fromQuery(withUnknown);
    const auto *refused = std::get_if<SpecError>(&withUnknownResult);
    if (!refused)
        fail(text, "an unknown parameter was accepted", describe(withUnknownResult));
    const auto *before = std::get_if<SpecError>(&result);
    const QString expected = before && !isKnown(before->param) ? before->param : QStringLiteral("fuzz_unknown");
    if (refused->param != expected)
        fail(text, "an unknown parameter's error names another", refused->param + QStringLiteral(" instead of ") + expected);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // The server decodes the request target as UTF-8; invalid sequences become U+FFFD there too.
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));

    // QUrlQuery(QString), as the tests and the round trip through toQuery() build it.
    check(text, QUrlQuery(text));

    // QHttpServerRequest::query() and `--run PATH` take QUrlQuery(QUrl) of a URL whose query
    // was read tolerantly.
    QUrl url(QStringLiteral("http://127.0.0.1/async-worker"));
    url.setQuery(text, QUrl::TolerantMode);
    check(text, QUrlQuery(url));
    return 0;
}
