// TimelineScale: time <-> pixel arithmetic, tick steps and tick labels of the timeline.
#include "timelinescale.h"

#include <QtTest>

#include <cmath>
#include <limits>

namespace {

constexpr qint64 Us = 1000;
constexpr qint64 Ms = 1000 * Us;
constexpr qint64 S = 1000 * Ms;

// 1, 2 or 5 times a power of ten.
bool isRoundStep(qint64 step)
{
    if (step <= 0)
        return false;
    while (step % 10 == 0)
        step /= 10;
    return step == 1 || step == 2 || step == 5;
}

// The round step just below `step` (5 -> 2 -> 1 -> 0.5 ...), or 0 below 1 ns.
qint64 previousRoundStep(qint64 step)
{
    qint64 magnitude = 1;
    while (step % (magnitude * 10) == 0)
        magnitude *= 10;
    switch (step / magnitude) {
    case 5:
        return 2 * magnitude;
    case 2:
        return magnitude;
    default:
        return magnitude / 2;
    }
}

// Decimals after the point in a label such as "1.25 ms".
int decimalsOf(const QString &label)
{
    const QString number = label.section(QLatin1Char(' '), 0, 0);
    const int point = number.indexOf(QLatin1Char('.'));
    return point < 0 ? 0 : int(number.size() - point - 1);
}

const QString Micro = QStringLiteral(" \u00b5s");

} // namespace

class TestTimelineScale : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void testXMapping_data();
    void testXMapping();
    void degenerateRangeStaysFinite_data();
    void degenerateRangeStaysFinite();
    void nsPerPixel_data();
    void nsPerPixel();
    void tickStep_data();
    void tickStep();
    void tickStepAcrossScales_data();
    void tickStepAcrossScales();
    void formatTime_data();
    void formatTime();
    void formatTimeTellsTicksApart_data();
    void formatTimeTellsTicksApart();
};

void TestTimelineScale::testXMapping_data()
{
    QTest::addColumn<qint64>("startNs");
    QTest::addColumn<qint64>("endNs");
    QTest::addColumn<double>("left");
    QTest::addColumn<double>("width");

    QTest::addRow("10 s over 1000 px") << qint64(0) << 10 * S << 0.0 << 1000.0;
    QTest::addRow("offset left edge") << qint64(0) << 10 * S << 120.5 << 800.0;
    QTest::addRow("negative start") << -3 * S << 2 * S << 10.0 << 640.0;
    QTest::addRow("monotonic clock values")
        << qint64(1234567) * S << qint64(1234567) * S + 7 * S << 0.0 << 1920.0;
    QTest::addRow("10 us over 1000 px") << 5 * S << 5 * S + 10 * Us << 0.0 << 1000.0;
    QTest::addRow("100 ns over 1000 px (sub-ns pixels)") << 5 * S << 5 * S + 100 << 0.0 << 1000.0;
    QTest::addRow("a day over 1920 px") << 100 * S << 100 * S + 24 * 3600 * S << 0.0 << 1920.0;
    QTest::addRow("odd numbers") << qint64(987654321) << qint64(987654321 + 123456789) << 33.25
                                 << 777.0;
    QTest::addRow("one pixel wide") << qint64(0) << S << 5.0 << 1.0;
}

void TestTimelineScale::testXMapping()
{
    QFETCH(qint64, startNs);
    QFETCH(qint64, endNs);
    QFETCH(double, left);
    QFETCH(double, width);

    const TimelineScale scale(startNs, endNs, left, width);
    QCOMPARE(scale.startNs(), startNs);
    QCOMPARE(scale.endNs(), endNs);
    QCOMPARE(scale.left(), left);
    QCOMPARE(scale.width(), width);

    // The edges.
    QVERIFY(std::abs(scale.mapTimeToX(startNs) - left) < 1e-6);
    QVERIFY(std::abs(scale.mapTimeToX(endNs) - (left + width)) < 1e-6);
    QVERIFY(std::abs(scale.mapXToTime(left) - startNs) <= 1);
    QVERIFY(std::abs(scale.mapXToTime(left + width) - endNs) <= 1);
    // The middle.
    const qint64 middle = startNs + (endNs - startNs) / 2;
    QVERIFY(
        std::abs(scale.mapTimeToX(middle) - (left + width / 2)) < 1e-6 + 1.0 / scale.nsPerPixel());

    // Time -> x -> time is the identity within 1 ns of rounding, inside and outside the range;
    // x grows with time.
    const qint64 span = endNs - startNs;
    double previousX = -std::numeric_limits<double>::infinity();
    for (int i = -10; i <= 110; ++i) {
        const qint64 t = startNs + span * i / 100 + i; // not only round fractions
        const double x = scale.mapTimeToX(t);
        QVERIFY2(x > previousX, qPrintable(QStringLiteral("t=%1").arg(t)));
        previousX = x;
        const qint64 back = scale.mapXToTime(x);
        QVERIFY2(std::abs(back - t) <= 1,
            qPrintable(QStringLiteral("t=%1 -> x=%2 -> %3").arg(t).arg(x).arg(back)));
        if (i < 0)
            QVERIFY(x < left);
        if (i > 100)
            QVERIFY(x > left + width);
    }

    // x -> time -> x: the time is rounded to whole ns, so x comes back within half a ns.
    for (int i = -10; i <= 110; ++i) {
        const double x = left + width * i / 100.0 + 0.37;
        const double back = scale.mapTimeToX(scale.mapXToTime(x));
        QVERIFY2(std::abs(back - x) <= 0.5 / scale.nsPerPixel() + 1e-6,
            qPrintable(QStringLiteral("x=%1 -> %2").arg(x).arg(back)));
    }
}

void TestTimelineScale::degenerateRangeStaysFinite_data()
{
    QTest::addColumn<qint64>("startNs");
    QTest::addColumn<qint64>("endNs");
    QTest::addColumn<double>("width");
    QTest::addRow("empty range") << S << S << 500.0;
    QTest::addRow("reversed range") << 2 * S << S << 500.0;
    QTest::addRow("zero width") << qint64(0) << S << 0.0;
    QTest::addRow("negative width") << qint64(0) << S << -20.0;
}

void TestTimelineScale::degenerateRangeStaysFinite()
{
    // A window being resized or a timeline without events must not divide by zero.
    QFETCH(qint64, startNs);
    QFETCH(qint64, endNs);
    QFETCH(double, width);
    const TimelineScale scale(startNs, endNs, 0.0, width);
    QVERIFY(std::isfinite(scale.nsPerPixel()));
    QVERIFY(scale.nsPerPixel() > 0);
    QVERIFY(scale.endNs() > scale.startNs());
    QVERIFY(std::isfinite(scale.mapTimeToX(startNs + S)));
    QVERIFY(scale.tickStepNs(50) > 0);
}

void TestTimelineScale::nsPerPixel_data()
{
    QTest::addColumn<qint64>("startNs");
    QTest::addColumn<qint64>("endNs");
    QTest::addColumn<double>("width");
    QTest::addColumn<double>("expected");

    QTest::addRow("1 s over 1000 px") << qint64(0) << S << 1000.0 << 1e6;
    QTest::addRow("10 s over 500 px") << 7 * S << 17 * S << 500.0 << 2e7;
    QTest::addRow("10 us over 1000 px") << qint64(0) << 10 * Us << 1000.0 << 10.0;
    QTest::addRow("100 ns over 1000 px") << qint64(-50) << qint64(50) << 1000.0 << 0.1;
    QTest::addRow("3 ms over 1200 px") << qint64(0) << 3 * Ms << 1200.0 << 2500.0;
}

void TestTimelineScale::nsPerPixel()
{
    QFETCH(qint64, startNs);
    QFETCH(qint64, endNs);
    QFETCH(double, width);
    QFETCH(double, expected);
    const TimelineScale scale(startNs, endNs, 40.0, width);
    QCOMPARE(scale.nsPerPixel(), expected);
    // nsPerPixel later is one pixel further right.
    if (expected >= 1)
        QVERIFY(
            std::abs(scale.mapTimeToX(startNs + qint64(expected)) - scale.mapTimeToX(startNs) - 1.0)
            < 1e-6);
}

void TestTimelineScale::tickStep_data()
{
    QTest::addColumn<qint64>("rangeNs");
    QTest::addColumn<double>("width");
    QTest::addColumn<double>("minSpacing");
    QTest::addColumn<qint64>("expected");

    // 10 s over 1000 px is 10 ms per pixel.
    QTest::addRow("0.8 s needed -> 1 s") << 10 * S << 1000.0 << 80.0 << S;
    QTest::addRow("exactly 1 s needed -> 1 s") << 10 * S << 1000.0 << 100.0 << S;
    QTest::addRow("1.01 s needed -> 2 s") << 10 * S << 1000.0 << 101.0 << 2 * S;
    QTest::addRow("2.5 s needed -> 5 s") << 10 * S << 1000.0 << 250.0 << 5 * S;
    QTest::addRow("5.1 s needed -> 10 s") << 10 * S << 1000.0 << 510.0 << 10 * S;
    QTest::addRow("0.21 s needed -> 0.5 s") << 3 * S << 1000.0 << 70.0 << 500 * Ms;
    QTest::addRow("exactly 0.2 s needed -> 0.2 s") << 7 * S << 700.0 << 20.0 << 200 * Ms;
    QTest::addRow("75 us needed -> 100 us") << Ms << 800.0 << 60.0 << 100 * Us;
    QTest::addRow("500 ns needed -> 500 ns") << 10 * Us << 1000.0 << 50.0 << qint64(500);
    QTest::addRow("sub-ns needed -> 1 ns") << qint64(100) << 1000.0 << 1.0 << qint64(1);
    QTest::addRow("a day over 1920 px") << 24 * 3600 * S << 1920.0 << 100.0 << 5000 * S;
}

void TestTimelineScale::tickStep()
{
    QFETCH(qint64, rangeNs);
    QFETCH(double, width);
    QFETCH(double, minSpacing);
    QFETCH(qint64, expected);

    const TimelineScale scale(1000 * S, 1000 * S + rangeNs, 0.0, width);
    const qint64 step = scale.tickStepNs(minSpacing);
    QCOMPARE(step, expected);
}

void TestTimelineScale::tickStepAcrossScales_data()
{
    QTest::addColumn<qint64>("rangeNs");
    QTest::addColumn<double>("width");

    for (qint64 range : { qint64(100), 10 * Us, 37 * Us, Ms, 3 * Ms, 250 * Ms, S, 7 * S, 10 * S,
             123 * S, 3600 * S, 24 * 3600 * S }) {
        for (double width : { 300.0, 1000.0, 1917.0 })
            QTest::addRow("%lld ns over %g px", static_cast<long long>(range), width)
                << range << width;
    }
}

void TestTimelineScale::tickStepAcrossScales()
{
    QFETCH(qint64, rangeNs);
    QFETCH(double, width);

    const TimelineScale scale(0, rangeNs, 0.0, width);
    for (double minSpacing : { 1.0, 7.5, 40.0, 60.0, 100.0, 333.0 }) {
        const qint64 step = scale.tickStepNs(minSpacing);
        const QString where = QStringLiteral("spacing %1: step %2").arg(minSpacing).arg(step);
        QVERIFY2(isRoundStep(step), qPrintable(where));
        // Wide enough...
        QVERIFY2(double(step) / scale.nsPerPixel() >= minSpacing * (1 - 1e-12), qPrintable(where));
        // ... and no wider than needed: the next smaller round step would be too narrow.
        const qint64 smaller = previousRoundStep(step);
        if (step > 1 && smaller >= 1)
            QVERIFY2(double(smaller) / scale.nsPerPixel() < minSpacing, qPrintable(where));
    }
}

void TestTimelineScale::formatTime_data()
{
    QTest::addColumn<qint64>("timeNs");
    QTest::addColumn<qint64>("stepNs");
    QTest::addColumn<QString>("expected");

    QTest::addRow("whole seconds") << 2 * S << S << QStringLiteral("2 s");
    QTest::addRow("zero, whole seconds") << qint64(0) << S << QStringLiteral("0 s");
    QTest::addRow("many seconds") << 3600 * S << 1000 * S << QStringLiteral("3600 s");
    QTest::addRow("half seconds") << 1500 * Ms << 500 * Ms << QStringLiteral("1.5 s");
    QTest::addRow("tenths of seconds") << 100 * Ms << 100 * Ms << QStringLiteral("0.1 s");
    QTest::addRow("fifths of seconds") << 2400 * Ms << 200 * Ms << QStringLiteral("2.4 s");
    QTest::addRow("negative seconds") << -500 * Ms << 100 * Ms << QStringLiteral("-0.5 s");
    QTest::addRow("tens of milliseconds") << 250 * Ms << 50 * Ms << QStringLiteral("250 ms");
    QTest::addRow("milliseconds") << 7 * Ms << Ms << QStringLiteral("7 ms");
    QTest::addRow("half milliseconds") << 1500 * Us << 500 * Us << QStringLiteral("1.5 ms");
    QTest::addRow("tenths of milliseconds") << 100 * Us << 100 * Us << QStringLiteral("0.1 ms");
    QTest::addRow("tens of microseconds") << 40 * Us << 10 * Us << QStringLiteral("40 \u00b5s");
    QTest::addRow("microseconds") << 3 * Us << Us << QStringLiteral("3 \u00b5s");
    QTest::addRow("half microseconds")
        << qint64(1500) << qint64(500) << QStringLiteral("1.5 \u00b5s");
    QTest::addRow("nanoseconds") << qint64(5) << qint64(1) << QStringLiteral("0.005 \u00b5s");
    QTest::addRow("tens of nanoseconds")
        << qint64(1230) << qint64(10) << QStringLiteral("1.23 \u00b5s");
}

void TestTimelineScale::formatTime()
{
    QFETCH(qint64, timeNs);
    QFETCH(qint64, stepNs);
    QFETCH(QString, expected);
    QCOMPARE(TimelineScale::formatTime(timeNs, stepNs), expected);
}

void TestTimelineScale::formatTimeTellsTicksApart_data()
{
    QTest::addColumn<qint64>("stepNs");
    for (qint64 magnitude = 1; magnitude <= 100 * S; magnitude *= 10) {
        for (qint64 factor : { 1, 2, 5 })
            QTest::addRow("step %lld ns", static_cast<long long>(factor * magnitude))
                << factor * magnitude;
    }
}

void TestTimelineScale::formatTimeTellsTicksApart()
{
    QFETCH(qint64, stepNs);

    const QString stepLabel = TimelineScale::formatTime(stepNs, stepNs);
    // The unit suits the step: neither a long string of zeros nor of decimals.
    double unitNs = 0;
    if (stepLabel.endsWith(QLatin1String(" s")))
        unitNs = double(S);
    else if (stepLabel.endsWith(QLatin1String(" ms")))
        unitNs = double(Ms);
    else if (stepLabel.endsWith(Micro))
        unitNs = double(Us);
    QVERIFY2(unitNs > 0, qPrintable(stepLabel));
    const double stepInUnit = double(stepNs) / unitNs;
    if (unitNs == double(S)) {
        QVERIFY2(stepInUnit >= 0.1, qPrintable(stepLabel));
    } else if (unitNs == double(Ms)) {
        QVERIFY2(stepInUnit >= 0.1 && stepInUnit < 1000, qPrintable(stepLabel));
    } else {
        QVERIFY2(stepInUnit < 1000, qPrintable(stepLabel)); // µs is the finest unit
    }
    // Exactly as many decimals as the step needs in that unit.
    const QString stepDigits = QString::number(stepInUnit, 'f', 6);
    int needed = 6;
    while (needed > 0 && stepDigits.at(stepDigits.size() - 1 - (6 - needed)) == QLatin1Char('0'))
        --needed;

    QString previous;
    for (qint64 k = -3; k <= 25; ++k) {
        const qint64 tick = k * stepNs;
        const QString label = TimelineScale::formatTime(tick, stepNs);
        QVERIFY2(label.endsWith(stepLabel.section(QLatin1Char(' '), 1)), qPrintable(label));
        QCOMPARE(decimalsOf(label), needed);
        // Neighbouring ticks read differently, and each reads as its own time.
        QVERIFY2(label != previous, qPrintable(label));
        previous = label;
        bool ok = false;
        const double value = label.section(QLatin1Char(' '), 0, 0).toDouble(&ok);
        QVERIFY2(ok, qPrintable(label));
        QVERIFY2(std::abs(value * unitNs - double(tick)) < double(stepNs) / 2,
            qPrintable(QStringLiteral("%1 for %2 ns").arg(label).arg(tick)));
    }
}

QTEST_GUILESS_MAIN(TestTimelineScale)
#include "tst_timelinescale.moc"
