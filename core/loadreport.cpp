#include "loadreport.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <numeric>

int LoadReport::errors() const
{
    return std::accumulate(errorCounts.cbegin(), errorCounts.cend(), 0);
}

int LoadReport::timeouts() const
{
    int count = 0;
    for (auto it = errorCounts.cbegin(); it != errorCounts.cend(); ++it) {
        if (it.key().contains(QLatin1String("timed out"), Qt::CaseInsensitive) || it.key().contains(QLatin1String("timeout"), Qt::CaseInsensitive))
            count += it.value();
    }
    return count;
}

double LoadReport::percentileMs(double p) const
{
    if (latenciesMs.isEmpty())
        return 0;
    QVector<double> sorted = latenciesMs;
    std::sort(sorted.begin(), sorted.end());
    // Nearest rank: the smallest value with at least p % of the values at or below it.
    const auto rank = qsizetype(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * double(sorted.size())));
    return sorted.at(std::clamp<qsizetype>(rank - 1, 0, sorted.size() - 1));
}

double LoadReport::fastestMs() const
{
    return latenciesMs.isEmpty() ? 0 : *std::min_element(latenciesMs.cbegin(), latenciesMs.cend());
}

double LoadReport::slowestMs() const
{
    return latenciesMs.isEmpty() ? 0 : *std::max_element(latenciesMs.cbegin(), latenciesMs.cend());
}

double LoadReport::averageMs() const
{
    return latenciesMs.isEmpty() ? 0 : std::accumulate(latenciesMs.cbegin(), latenciesMs.cend(), 0.0) / double(latenciesMs.size());
}

double LoadReport::slowestOnConnectionMs() const
{
    double slowest = 0;
    for (qsizetype i = 0; i < latenciesMs.size(); ++i)
        slowest = std::max(slowest, latenciesMs.at(i) - connectMs.value(i));
    return slowest;
}

double LoadReport::slowestConnectMs() const
{
    return connectMs.isEmpty() ? 0 : *std::max_element(connectMs.cbegin(), connectMs.cend());
}

double LoadReport::averageConnectMs() const
{
    return connectMs.isEmpty()
        ? 0
        : std::accumulate(connectMs.cbegin(), connectMs.cend(), 0.0) / double(connectMs.size());
}

QVector<LoadReport::Bucket> LoadReport::histogram(int buckets) const
{
    QVector<Bucket> result;
    if (latenciesMs.isEmpty() || buckets < 1)
        return result;
    const double fastest = fastestMs();
    const double width = (slowestMs() - fastest) / buckets;
    for (int i = 0; i < buckets; ++i)
        result.append({ fastest + width * (i + 1), 0 });
    for (double latency : latenciesMs) {
        int i = width > 0 ? int((latency - fastest) / width) : 0;
        result[std::clamp(i, 0, buckets - 1)].count++;
    }
    return result;
}

QString LoadReport::toText() const
{
    auto secs = [](double ms) -> QString { return QString::number(ms / 1000.0, 'f', 4) + QStringLiteral(" secs"); };
    QString text;
    text += QStringLiteral("\nSummary:\n");
    text += QStringLiteral("  Total:\t%1\n").arg(QString::number(totalS, 'f', 4) + QStringLiteral(" secs"));
    text += QStringLiteral("  Slowest:\t%1\n").arg(secs(slowestMs()));
    text += QStringLiteral("  Fastest:\t%1\n").arg(secs(fastestMs()));
    text += QStringLiteral("  Average:\t%1\n").arg(secs(averageMs()));
    text += QStringLiteral("  Requests/sec:\t%1\n").arg(rps(), 0, 'f', 4);
    text += QStringLiteral("  Concurrency:\t%1 asked, %2 reached\n").arg(concurrency).arg(maxInFlight);

    const QVector<Bucket> buckets = histogram();
    if (!buckets.isEmpty()) {
        text += QStringLiteral("\nResponse time histogram:\n");
        const int most = std::max_element(buckets.cbegin(), buckets.cend(), [](const Bucket &a, const Bucket &b) { return a.count < b.count; })->count;
        text += QStringLiteral("  %1 [%2]\t|\n").arg(fastestMs() / 1000.0, 0, 'f', 3).arg(0);
        for (const Bucket &bucket : buckets) {
            const int bar = most > 0 ? int(std::lround(40.0 * bucket.count / most)) : 0;
            text += QStringLiteral("  %1 [%2]\t|%3\n").arg(bucket.upperMs / 1000.0, 0, 'f', 3).arg(bucket.count).arg(QString(bar, QChar(0x25a0)));
        }
        text += QStringLiteral("\nLatency distribution:\n");
        for (int p : { 10, 25, 50, 75, 90, 95, 99 })
            text += QStringLiteral("  %1% in %2\n").arg(p).arg(secs(percentileMs(p)));
        text += QStringLiteral("\nDetails (average, slowest):\n");
        text += QStringLiteral("  connect:\t%1, %2\n")
                    .arg(secs(averageConnectMs()), secs(slowestConnectMs()));
    }
    text += QStringLiteral("\nStatus code distribution:\n");
    for (auto it = statusCounts.cbegin(); it != statusCounts.cend(); ++it)
        text += QStringLiteral("  [%1]\t%2 responses\n").arg(it.key()).arg(it.value());
    if (!errorCounts.isEmpty()) {
        text += QStringLiteral("\nError distribution:\n");
        for (auto it = errorCounts.cbegin(); it != errorCounts.cend(); ++it)
            text += QStringLiteral("  [%1]\t%2\n").arg(it.value()).arg(it.key());
    }
    return text;
}

QJsonObject LoadReport::toJson() const
{
    QJsonObject status;
    for (auto it = statusCounts.cbegin(); it != statusCounts.cend(); ++it)
        status.insert(QString::number(it.key()), it.value());
    QJsonObject errorKinds;
    for (auto it = errorCounts.cbegin(); it != errorCounts.cend(); ++it)
        errorKinds.insert(it.key(), it.value());
    QJsonArray buckets;
    for (const Bucket &bucket : histogram())
        buckets.append(QJsonObject { { QStringLiteral("le_ms"), std::round(bucket.upperMs * 1000.0) / 1000.0 }, { QStringLiteral("count"), bucket.count } });
    auto ms = [](double v) { return std::round(v * 1000.0) / 1000.0; };
    return QJsonObject {
        { QStringLiteral("url"), url },
        { QStringLiteral("requests"), requests },
        { QStringLiteral("concurrency"), concurrency },
        { QStringLiteral("max_in_flight"), maxInFlight },
        { QStringLiteral("total_s"), std::round(totalS * 1e6) / 1e6 },
        { QStringLiteral("rps"), std::round(rps() * 100.0) / 100.0 },
        { QStringLiteral("latency_ms"),
            QJsonObject {
                { QStringLiteral("fastest"), ms(fastestMs()) },
                { QStringLiteral("average"), ms(averageMs()) },
                { QStringLiteral("p50"), ms(percentileMs(50)) },
                { QStringLiteral("p90"), ms(percentileMs(90)) },
                { QStringLiteral("p99"), ms(percentileMs(99)) },
                { QStringLiteral("max"), ms(slowestMs()) },
            } },
        { QStringLiteral("connect_ms"),
            QJsonObject {
                { QStringLiteral("average"), ms(averageConnectMs()) },
                { QStringLiteral("max"), ms(slowestConnectMs()) },
            } },
        { QStringLiteral("histogram"), buckets },
        { QStringLiteral("status"), status },
        { QStringLiteral("errors"), errors() },
        { QStringLiteral("timeouts"), timeouts() },
        { QStringLiteral("error_kinds"), errorKinds },
    };
}
