#include "fanoutspec.h"

#include <QLocale>

#include <cmath>

namespace {

// One named parameter of the query: absent, present once, or an error.
class QueryParam
{
public:
    QueryParam(const QUrlQuery &query, const QString &name)
        : m_name(name)
        , m_values(query.allQueryItemValues(name, QUrl::FullyDecoded))
    {
    }

    bool isPresent() const { return !m_values.isEmpty(); }

    std::optional<SpecError> checkSingle() const
    {
        if (m_values.size() > 1)
            return error(QStringLiteral("must be given at most once"));
        const QString &value = m_values.constFirst();
        if (value.isEmpty())
            return error(QStringLiteral("must not be empty"));
        for (QChar c : value) {
            if (c.category() == QChar::Other_Control)
                return error(QStringLiteral("must not contain control characters"));
        }
        return std::nullopt;
    }

    std::variant<qint64, SpecError> integer(qint64 min, qint64 max) const
    {
        if (auto e = checkSingle())
            return *e;
        const QString &text = m_values.constFirst();
        bool ok = false;
        // Only plain decimal digits: "1e3", "0x10", " 5" are refused, and signs alike ("+5",
        // "-0"): no parameter can be negative, and one rule is easier to learn than two.
        const bool plain = !text.isEmpty() && std::all_of(text.begin(), text.end(), [](QChar c) {
            return c >= QLatin1Char('0') && c <= QLatin1Char('9');
        });
        const qint64 value = text.toLongLong(&ok);
        if (!plain || !ok)
            return error(QStringLiteral("must be an integer from %1 to %2").arg(min).arg(max));
        if (value < min || value > max)
            return error(QStringLiteral("must be from %1 to %2, got %3").arg(min).arg(max).arg(text));
        return value;
    }

    std::variant<double, SpecError> real(double min, double max) const
    {
        if (auto e = checkSingle())
            return *e;
        const QString &text = m_values.constFirst();
        bool ok = false;
        // toDouble() would skip spaces and take a sign: refuse them, as the integers do ("-0"
        // as much as "+0.5"). Only an exponent may be negative ("1e-09", as toQuery() writes).
        bool plain = true;
        for (qsizetype i = 0; i < text.size(); ++i) {
            const QChar c = text.at(i);
            const bool exponentSign = c == QLatin1Char('-') && i > 0
                && (text.at(i - 1) == QLatin1Char('e') || text.at(i - 1) == QLatin1Char('E'));
            plain = plain && (c.isDigit() || c == QLatin1Char('.') || c == QLatin1Char('e') || c == QLatin1Char('E') || exponentSign);
        }
        const double value = text.toDouble(&ok);
        if (!plain || !ok || !std::isfinite(value))
            return error(QStringLiteral("must be a number from %1 to %2").arg(min).arg(max));
        if (value < min || value > max)
            return error(QStringLiteral("must be from %1 to %2, got %3").arg(min).arg(max).arg(text));
        return value;
    }

    std::variant<quint64, SpecError> unsignedInteger() const
    {
        if (auto e = checkSingle())
            return *e;
        const QString &text = m_values.constFirst();
        bool ok = false;
        const bool digits
            = std::all_of(text.begin(), text.end(), [](QChar c) { return c.isDigit(); });
        const quint64 value = text.toULongLong(&ok);
        if (!digits || !ok)
            return error(QStringLiteral("must be an unsigned integer below 2^64"));
        return value;
    }

    std::variant<QString, SpecError> text() const
    {
        if (auto e = checkSingle())
            return *e;
        return m_values.constFirst();
    }

    SpecError error(const QString &why) const { return SpecError { m_name, m_name + QLatin1Char(' ') + why }; }

private:
    QString m_name;
    QStringList m_values;
};

// Reads an optional integer parameter into *out; returns an error if it is bad.
std::optional<SpecError> readInt(const QUrlQuery &query, const char *name, int min, int max, int *out)
{
    const QueryParam param(query, QLatin1String(name));
    if (!param.isPresent())
        return std::nullopt;
    auto value = param.integer(min, max);
    if (auto *e = std::get_if<SpecError>(&value))
        return *e;
    *out = int(std::get<qint64>(value));
    return std::nullopt;
}

// The first item whose name is not a parameter of ours, as an error.
std::optional<SpecError> findUnknown(const QUrlQuery &query)
{
    const QStringList &known = FanOutSpec::parameterNames();
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (known.contains(name) || (name.isEmpty() && value.isEmpty()))
            continue;
        const QString list = known.join(QStringLiteral(", "));
        if (name.isEmpty())
            return SpecError { name, QStringLiteral("a parameter has no name; the parameters are ") + list };
        return SpecError { name, QStringLiteral("unknown parameter '%1'; the parameters are %2").arg(name, list) };
    }
    return std::nullopt;
}

} // namespace

const QStringList &FanOutSpec::parameterNames()
{
    static const QStringList names {
        QStringLiteral("tasks"),
        QStringLiteral("latency_ms"),
        QStringLiteral("jitter_ms"),
        QStringLiteral("fail_rate"),
        QStringLiteral("timeout_ms"),
        QStringLiteral("kind"),
        QStringLiteral("seed"),
    };
    return names;
}

std::variant<FanOutSpec, SpecError> FanOutSpec::fromQuery(const QUrlQuery &query)
{
    FanOutSpec spec;
    if (auto e = findUnknown(query))
        return *e;
    if (auto e = readInt(query, "tasks", 0, MaxTasks, &spec.tasks))
        return *e;
    if (auto e = readInt(query, "latency_ms", 0, MaxLatencyMs, &spec.latencyMs))
        return *e;
    if (auto e = readInt(query, "jitter_ms", 0, MaxJitterMs, &spec.jitterMs))
        return *e;
    if (auto e = readInt(query, "timeout_ms", MinTimeoutMs, MaxTimeoutMs, &spec.timeoutMs))
        return *e;

    if (const QueryParam param(query, QStringLiteral("fail_rate")); param.isPresent()) {
        auto value = param.real(0.0, 1.0);
        if (auto *e = std::get_if<SpecError>(&value))
            return *e;
        spec.failRate = std::get<double>(value);
    }
    if (const QueryParam param(query, QStringLiteral("kind")); param.isPresent()) {
        auto value = param.text();
        if (auto *e = std::get_if<SpecError>(&value))
            return *e;
        const auto kind = taskKindFromName(std::get<QString>(value));
        if (!kind)
            return param.error(QStringLiteral("must be one of timer, http, cpu"));
        spec.kind = *kind;
    }
    if (const QueryParam param(query, QStringLiteral("seed")); param.isPresent()) {
        auto value = param.unsignedInteger();
        if (auto *e = std::get_if<SpecError>(&value))
            return *e;
        spec.seed = std::get<quint64>(value);
    }
    return spec;
}

QUrlQuery FanOutSpec::toQuery() const
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("tasks"), QString::number(tasks));
    query.addQueryItem(QStringLiteral("latency_ms"), QString::number(latencyMs));
    if (jitterMs > 0)
        query.addQueryItem(QStringLiteral("jitter_ms"), QString::number(jitterMs));
    if (failRate > 0)
        query.addQueryItem(QStringLiteral("fail_rate"), QString::number(failRate, 'g', QLocale::FloatingPointShortest));
    query.addQueryItem(QStringLiteral("timeout_ms"), QString::number(timeoutMs));
    if (kind != TaskKind::Timer)
        query.addQueryItem(QStringLiteral("kind"), taskKindName(kind));
    if (seed)
        query.addQueryItem(QStringLiteral("seed"), QString::number(*seed));
    return query;
}

bool operator==(const FanOutSpec &a, const FanOutSpec &b)
{
    return a.tasks == b.tasks && a.latencyMs == b.latencyMs && a.jitterMs == b.jitterMs
        && a.failRate == b.failRate && a.timeoutMs == b.timeoutMs && a.kind == b.kind
        && a.seed == b.seed;
}
