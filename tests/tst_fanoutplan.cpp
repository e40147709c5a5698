// FanOutPlan: the seeded draws of one request's latencies, failures and balances.
#include "fanoutplan.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

constexpr qint64 NsPerMs = 1000 * 1000;

FanOutSpec makeSpec(
    int tasks, int latencyMs, int jitterMs, double failRate, std::optional<quint64> seed)
{
    FanOutSpec spec;
    spec.tasks = tasks;
    spec.latencyMs = latencyMs;
    spec.jitterMs = jitterMs;
    spec.failRate = failRate;
    spec.seed = seed;
    return spec;
}

// Everything drawn, in a comparable form.
struct Draws
{
    QVector<qint64> latencies;
    QVector<bool> fails;
    QVector<double> balances;
};

Draws drawsOf(const FanOutPlan &plan)
{
    Draws draws;
    for (const TaskPlan &task : plan.tasks()) {
        draws.latencies.append(task.latencyNs);
        draws.fails.append(task.fails);
        draws.balances.append(task.balance);
    }
    return draws;
}

} // namespace

class TestFanOutPlan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameSeedSamePlan_data();
    void sameSeedSamePlan();
    void differentSeedsDifferentBalances();
    void accountsAndIndices_data();
    void accountsAndIndices();
    void balances_data();
    void balances();
    void latencyWithoutJitter_data();
    void latencyWithoutJitter();
    void latencyWithJitter_data();
    void latencyWithJitter();
    void jitterDistribution();
    void failRateExtremes_data();
    void failRateExtremes();
    void failRateProportion();
    void withoutSeedReportsReplayableSeed();
};

void TestFanOutPlan::sameSeedSamePlan_data()
{
    QTest::addColumn<int>("tasks");
    QTest::addColumn<int>("latencyMs");
    QTest::addColumn<int>("jitterMs");
    QTest::addColumn<double>("failRate");
    QTest::addColumn<quint64>("seed");

    QTest::addRow("seed 0") << 50 << 1000 << 0 << 0.0 << quint64(0);
    QTest::addRow("seed 42, jitter, failures") << 200 << 100 << 50 << 0.5 << quint64(42);
    QTest::addRow("seed above 2^32") << 200 << 100 << 50 << 0.5 << Q_UINT64_C(0x123456789abcdef0);
    QTest::addRow("seed max") << 200 << 10 << 10 << 0.3 << std::numeric_limits<quint64>::max();
    QTest::addRow("many tasks") << 10000 << 1000 << 1000 << 0.1 << quint64(7);
}

void TestFanOutPlan::sameSeedSamePlan()
{
    QFETCH(int, tasks);
    QFETCH(int, latencyMs);
    QFETCH(int, jitterMs);
    QFETCH(double, failRate);
    QFETCH(quint64, seed);

    const FanOutSpec spec = makeSpec(tasks, latencyMs, jitterMs, failRate, seed);
    const FanOutPlan first(spec);
    const FanOutPlan second(spec);

    QCOMPARE(first.seed(), seed);
    QCOMPARE(second.seed(), seed);
    QCOMPARE(first.size(), tasks);
    QCOMPARE(second.size(), tasks);
    QVERIFY(first.spec() == spec);

    const Draws a = drawsOf(first);
    const Draws b = drawsOf(second);
    QCOMPARE(a.latencies, b.latencies);
    QCOMPARE(a.fails, b.fails);
    QCOMPARE(a.balances, b.balances);
    for (int i = 0; i < tasks; ++i)
        QCOMPARE(first.task(i).account(), second.task(i).account());
}

void TestFanOutPlan::differentSeedsDifferentBalances()
{
    const FanOutPlan base(makeSpec(10, 1000, 0, 0.0, quint64(1)));
    const QVector<double> baseBalances = drawsOf(base).balances;
    // Seeds that differ in one low bit, in the high word only, and wildly.
    const quint64 others[] = { 0, 2, 3, Q_UINT64_C(1) << 32 | 1, Q_UINT64_C(0xdeadbeefcafebabe),
        std::numeric_limits<quint64>::max() };
    for (quint64 seed : others) {
        const FanOutPlan other(makeSpec(10, 1000, 0, 0.0, seed));
        QVERIFY2(drawsOf(other).balances != baseBalances, qPrintable(QString::number(seed)));
    }
    // Neighbouring seeds among themselves, too.
    QVector<QVector<double>> seen;
    for (quint64 seed = 100; seed < 120; ++seed) {
        const QVector<double> balances
            = drawsOf(FanOutPlan(makeSpec(10, 1000, 0, 0.0, seed))).balances;
        QVERIFY2(!seen.contains(balances), qPrintable(QString::number(seed)));
        seen.append(balances);
    }
}

void TestFanOutPlan::accountsAndIndices_data()
{
    QTest::addColumn<int>("tasks");
    QTest::addRow("none") << 0;
    QTest::addRow("one") << 1;
    QTest::addRow("ten, as the demo") << 10;
    QTest::addRow("max") << FanOutSpec::MaxTasks;
}

void TestFanOutPlan::accountsAndIndices()
{
    QFETCH(int, tasks);
    FanOutSpec spec = makeSpec(tasks, 1000, 0, 0.0, quint64(5));
    spec.kind = TaskKind::Cpu;
    const FanOutPlan plan(spec);

    QCOMPARE(plan.size(), tasks);
    QCOMPARE(plan.tasks().size(), tasks);
    for (int i = 0; i < tasks; ++i) {
        const TaskPlan &task = plan.task(i);
        QCOMPARE(task.index, i);
        QCOMPARE(task.account(), QStringLiteral("account-%1").arg(i));
        QCOMPARE(FanOutPlan::accountName(i), task.account());
        QCOMPARE(task.kind, TaskKind::Cpu);
    }
    if (tasks > 0) {
        QCOMPARE(plan.task(0).account(), QStringLiteral("account-0"));
        QCOMPARE(
            plan.task(tasks - 1).account(), QStringLiteral("account-") + QString::number(tasks - 1));
    }
}

void TestFanOutPlan::balances_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addRow("seed 0") << quint64(0);
    QTest::addRow("seed 1") << quint64(1);
    QTest::addRow("seed 12345") << quint64(12345);
    QTest::addRow("seed max") << std::numeric_limits<quint64>::max();
}

void TestFanOutPlan::balances()
{
    QFETCH(quint64, seed);
    const FanOutPlan plan(makeSpec(10000, 0, 0, 0.0, seed));
    double lowest = std::numeric_limits<double>::max();
    double highest = std::numeric_limits<double>::lowest();
    for (const TaskPlan &task : plan.tasks()) {
        QVERIFY2(task.balance >= 1.0 && task.balance <= 20.0,
            qPrintable(QString::number(task.balance, 'g', 17)));
        // At most two decimals: a whole number of cents, up to the binary representation.
        const double cents = task.balance * 100.0;
        QVERIFY2(std::abs(cents - std::round(cents)) < 1e-6,
            qPrintable(QString::number(task.balance, 'g', 17)));
        lowest = std::min(lowest, task.balance);
        highest = std::max(highest, task.balance);
    }
    // Drawn over the whole range, not a constant (coarse: 10000 draws over 1900 cents).
    QVERIFY2(lowest < 2.0, qPrintable(QString::number(lowest)));
    QVERIFY2(highest > 19.0, qPrintable(QString::number(highest)));
}

void TestFanOutPlan::latencyWithoutJitter_data()
{
    QTest::addColumn<int>("latencyMs");
    QTest::addRow("zero") << 0;
    QTest::addRow("one") << 1;
    QTest::addRow("default") << 1000;
    QTest::addRow("max") << FanOutSpec::MaxLatencyMs;
}

void TestFanOutPlan::latencyWithoutJitter()
{
    QFETCH(int, latencyMs);
    const FanOutPlan plan(makeSpec(1000, latencyMs, 0, 0.0, quint64(3)));
    QCOMPARE(plan.size(), 1000);
    for (const TaskPlan &task : plan.tasks())
        QCOMPARE(task.latencyNs, qint64(latencyMs) * NsPerMs);
}

void TestFanOutPlan::latencyWithJitter_data()
{
    QTest::addColumn<int>("latencyMs");
    QTest::addColumn<int>("jitterMs");
    QTest::addRow("1000 ± 200") << 1000 << 200;
    QTest::addRow("5 ± 20: clipped at zero") << 5 << 20;
    QTest::addRow("0 ± 1") << 0 << 1;
    QTest::addRow("1 ± 1") << 1 << 1;
    QTest::addRow("max ± max") << FanOutSpec::MaxLatencyMs << FanOutSpec::MaxJitterMs;
}

void TestFanOutPlan::latencyWithJitter()
{
    QFETCH(int, latencyMs);
    QFETCH(int, jitterMs);

    const FanOutPlan plan(makeSpec(2000, latencyMs, jitterMs, 0.0, quint64(11)));
    const qint64 low = std::max(0, latencyMs - jitterMs) * NsPerMs;
    const qint64 high = qint64(latencyMs + jitterMs) * NsPerMs;
    QSet<qint64> distinct;
    for (const TaskPlan &task : plan.tasks()) {
        QVERIFY2(task.latencyNs >= 0, qPrintable(QString::number(task.latencyNs)));
        QVERIFY2(task.latencyNs >= low && task.latencyNs <= high,
            qPrintable(QString::number(task.latencyNs)));
        QCOMPARE(task.latencyNs % NsPerMs, 0); // whole milliseconds
        distinct.insert(task.latencyNs);
    }
    // The jitter does vary the latency.
    QVERIFY2(distinct.size() > 1, qPrintable(QString::number(distinct.size())));
}

void TestFanOutPlan::jitterDistribution()
{
    constexpr int Tasks = 10000;
    constexpr int Latency = 1000;
    constexpr int Jitter = 100;
    const FanOutPlan plan(makeSpec(Tasks, Latency, Jitter, 0.0, quint64(2024)));

    double sumMs = 0;
    qint64 minMs = std::numeric_limits<qint64>::max();
    qint64 maxMs = std::numeric_limits<qint64>::min();
    int lowQuarter = 0; // [latency - jitter, latency - jitter / 2)
    int highQuarter = 0; // (latency + jitter / 2, latency + jitter]
    int below = 0;
    int above = 0;
    QHash<qint64, int> perValue;
    for (const TaskPlan &task : plan.tasks()) {
        const qint64 ms = task.latencyNs / NsPerMs;
        sumMs += double(ms);
        minMs = std::min(minMs, ms);
        maxMs = std::max(maxMs, ms);
        lowQuarter += ms < Latency - Jitter / 2;
        highQuarter += ms > Latency + Jitter / 2;
        below += ms < Latency;
        above += ms > Latency;
        ++perValue[ms];
    }
    const double mean = sumMs / Tasks;
    // Standard error of the mean is about 58 / sqrt(10000) = 0.6 ms: 5 ms is far outside noise.
    QVERIFY2(std::abs(mean - Latency) < 5.0, qPrintable(QString::number(mean)));
    // Each of the 201 values is expected ~50 times: both ends are reached.
    QCOMPARE(minMs, qint64(Latency - Jitter));
    QCOMPARE(maxMs, qint64(Latency + Jitter));
    // Uniform: each quarter holds ~1/4 (50 of 201 values), each side ~1/2 (100 of 201).
    const int expectedQuarter = Tasks * 50 / 201;
    QVERIFY2(std::abs(lowQuarter - expectedQuarter) < Tasks / 40,
        qPrintable(QString::number(lowQuarter)));
    QVERIFY2(std::abs(highQuarter - expectedQuarter) < Tasks / 40,
        qPrintable(QString::number(highQuarter)));
    QVERIFY2(std::abs(below - above) < Tasks / 20,
        qPrintable(QStringLiteral("%1 vs %2").arg(below).arg(above)));
    // Nearly every value occurs, none dominates.
    QVERIFY2(perValue.size() >= 195, qPrintable(QString::number(perValue.size())));
    for (auto it = perValue.cbegin(); it != perValue.cend(); ++it)
        QVERIFY2(it.value() < 150,
            qPrintable(QStringLiteral("%1 ms drawn %2 times").arg(it.key()).arg(it.value())));
}

void TestFanOutPlan::failRateExtremes_data()
{
    QTest::addColumn<double>("failRate");
    QTest::addColumn<bool>("allFail");
    QTest::addRow("0: none fail") << 0.0 << false;
    QTest::addRow("1: all fail") << 1.0 << true;
}

void TestFanOutPlan::failRateExtremes()
{
    QFETCH(double, failRate);
    QFETCH(bool, allFail);
    for (quint64 seed :
        { quint64(0), quint64(1), quint64(99), std::numeric_limits<quint64>::max() }) {
        const FanOutPlan plan(makeSpec(10000, 10, 5, failRate, seed));
        QCOMPARE(plan.size(), 10000);
        for (const TaskPlan &task : plan.tasks())
            QCOMPARE(task.fails, allFail);
    }
}

void TestFanOutPlan::failRateProportion()
{
    constexpr int Tasks = 10000;
    // Binomial(10000, 0.3): standard deviation 46, so ±300 is beyond six sigma for any seed.
    for (quint64 seed : { quint64(1), quint64(77), Q_UINT64_C(0xfeedface12345678) }) {
        const FanOutPlan plan(makeSpec(Tasks, 10, 0, 0.3, seed));
        const auto failed = std::count_if(plan.tasks().cbegin(), plan.tasks().cend(),
            [](const TaskPlan &task) { return task.fails; });
        const double share = double(failed) / Tasks;
        QVERIFY2(share >= 0.27 && share <= 0.33,
            qPrintable(QStringLiteral("seed %1: %2 failed").arg(seed).arg(share)));
    }
}

void TestFanOutPlan::withoutSeedReportsReplayableSeed()
{
    const FanOutSpec unseeded = makeSpec(100, 100, 50, 0.5, std::nullopt);
    const FanOutPlan plan(unseeded);
    QCOMPARE(plan.size(), 100);
    QVERIFY(!plan.spec().seed.has_value());

    FanOutSpec replaySpec = unseeded;
    replaySpec.seed = plan.seed();
    const FanOutPlan replay(replaySpec);
    QCOMPARE(replay.seed(), plan.seed());
    const Draws a = drawsOf(plan);
    const Draws b = drawsOf(replay);
    QCOMPARE(b.latencies, a.latencies);
    QCOMPARE(b.fails, a.fails);
    QCOMPARE(b.balances, a.balances);

    // Each unseeded plan draws afresh: 64-bit seeds collide with negligible probability.
    const FanOutPlan another(unseeded);
    QVERIFY(another.seed() != plan.seed());
    QVERIFY(drawsOf(another).balances != a.balances);
}

QTEST_GUILESS_MAIN(TestFanOutPlan)
#include "tst_fanoutplan.moc"
