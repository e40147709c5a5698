#include "fanoutplan.h"

#include <QRandomGenerator>

#include <cmath>

FanOutPlan::FanOutPlan(const FanOutSpec &spec)
    : m_spec(spec)
    , m_seed(spec.seed ? *spec.seed : QRandomGenerator::global()->generate64())
{
    // QRandomGenerator is a std::seed_seq-seeded mt19937: the same seed gives the same draws on
    // every platform. The order of draws per task is fixed: latency, failure, balance.
    const quint32 seedWords[2] = { quint32(m_seed), quint32(m_seed >> 32) };
    QRandomGenerator random(seedWords, 2);
    constexpr qint64 nsPerMs = 1000 * 1000;

    m_tasks.reserve(spec.tasks);
    for (int i = 0; i < spec.tasks; ++i) {
        TaskPlan task;
        task.index = i;
        task.account = accountName(i);
        task.kind = spec.kind;

        // Whole milliseconds, uniform over [latency - jitter, latency + jitter], never negative.
        const int jitter = spec.jitterMs;
        const int offsetMs = jitter > 0 ? int(random.bounded(quint32(2 * jitter + 1))) - jitter : 0;
        task.latencyNs = std::max<qint64>(0, qint64(spec.latencyMs) + offsetMs) * nsPerMs;

        const double failDraw = random.generateDouble();
        task.fails = failDraw < spec.failRate;

        task.balance = std::round((1.0 + random.bounded(19.0)) * 100.0) / 100.0;
        m_tasks.append(task);
    }
}

QString FanOutPlan::accountName(int index)
{
    return QStringLiteral("account-") + QString::number(index);
}
