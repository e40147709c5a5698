#include "fanoutplan.h"

#include <QRandomGenerator>

#include <cmath>

FanOutPlan::FanOutPlan(const FanOutSpec &spec)
    : m_spec(spec)
    , m_seed(spec.seed ? *spec.seed : QRandomGenerator::global()->generate64())
{
    // QRandomGenerator is a std::seed_seq-seeded mt19937: the same seed gives the same draws on
    // every platform. The order of draws per task is fixed: latency, then failure. Balances are
    // drawn per task (balanceFor), so that the upstream can give the same ones for kind=http.
    const quint32 seedWords[2] = { quint32(m_seed), quint32(m_seed >> 32) };
    QRandomGenerator random(seedWords, 2);
    constexpr qint64 nsPerMs = 1000 * 1000;

    m_tasks.reserve(spec.tasks);
    for (int i = 0; i < spec.tasks; ++i) {
        TaskPlan task;
        task.index = i;
        task.kind = spec.kind;

        // Whole milliseconds, uniform over [latency - jitter, latency + jitter], never negative.
        const int jitter = spec.jitterMs;
        const int offsetMs = jitter > 0 ? int(random.bounded(quint32(2 * jitter + 1))) - jitter : 0;
        task.latencyNs = std::max<qint64>(0, qint64(spec.latencyMs) + offsetMs) * nsPerMs;

        const double failDraw = random.generateDouble();
        task.fails = failDraw < spec.failRate;

        task.balance = balanceFor(m_seed, i);
        m_tasks.append(task);
    }
}

namespace {

// SplitMix64: a fast, well-mixed hash of 64 bits, the same everywhere. Seeding a Mersenne
// Twister per task instead costs 5 µs each: 5 ms before a fan-out of 1000 could start.
quint64 splitMix64(quint64 x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

} // namespace

double FanOutPlan::balanceFor(quint64 seed, int index)
{
    const double uniform = double(splitMix64(seed ^ splitMix64(quint64(index))) >> 11) * 0x1.0p-53; // [0, 1)
    return std::round((1.0 + 19.0 * uniform) * 100.0) / 100.0;
}

std::optional<int> FanOutPlan::accountIndex(const QString &account)
{
    if (!account.startsWith(QLatin1String("account-")))
        return std::nullopt;
    bool ok = false;
    const int index = QStringView(account).mid(8).toInt(&ok);
    if (!ok || index < 0 || accountName(index) != account)
        return std::nullopt;
    return index;
}

QString FanOutPlan::accountName(int index)
{
    TaskPlan task;
    task.index = index;
    return task.account();
}
