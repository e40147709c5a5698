// TimelineZoom: the visible time range of the timeline, live following, zoom, pan and fit.
#include "timelinezoom.h"

#include <QSignalSpy>
#include <QtTest>

#include <cmath>
#include <functional>
#include <limits>

namespace {

constexpr qint64 Ms = 1000 * 1000;
constexpr qint64 S = 1000 * Ms;

double fractionOf(const TimelineZoom &zoom, qint64 timeNs)
{
    return double(timeNs - zoom.startNs()) / double(zoom.widthNs());
}

// Checks one operation's signals against what it changed: rangeChanged once if and only if the
// range changed, followLiveChanged once, with the new state, if and only if following changed.
void checkSignals(TimelineZoom &zoom, const std::function<void()> &operation)
{
    QSignalSpy rangeSpy(&zoom, &TimelineZoom::rangeChanged);
    QSignalSpy followSpy(&zoom, &TimelineZoom::followLiveChanged);
    QVERIFY(rangeSpy.isValid());
    QVERIFY(followSpy.isValid());
    const qint64 start = zoom.startNs();
    const qint64 end = zoom.endNs();
    const bool follows = zoom.followsLive();

    operation();

    const bool rangeChanged = zoom.startNs() != start || zoom.endNs() != end;
    QCOMPARE(rangeSpy.count(), rangeChanged ? 1 : 0);
    QCOMPARE(followSpy.count(), zoom.followsLive() != follows ? 1 : 0);
    if (!followSpy.isEmpty())
        QCOMPARE(followSpy.at(0).at(0).toBool(), zoom.followsLive());
}

} // namespace

// checkSignals() in a test function: stops the test at the first failure.
#define CHECK_SIGNALS(zoom, operation)                                                             \
    do {                                                                                           \
        checkSignals(zoom, operation);                                                             \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

class TestTimelineZoom : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void setFollowLive();
    void setRange_data();
    void setRange();
    void zoomAround_data();
    void zoomAround();
    void zoomAroundKeepsFollowState_data();
    void zoomAroundKeepsFollowState();
    void zoomAroundIgnoresInvalidFactor_data();
    void zoomAroundIgnoresInvalidFactor();
    void panBy_data();
    void panBy();
    void fit_data();
    void fit();
    void updateLiveWhileFollowing();
    void updateLiveWhenNotFollowing();
    void signalsOnlyWhenSomethingChanged();
};

void TestTimelineZoom::defaults()
{
    const TimelineZoom zoom;
    QVERIFY(zoom.followsLive());
    QCOMPARE(zoom.widthNs(), 10 * S);
    QCOMPARE(zoom.widthNs(), TimelineZoom::DefaultWidthNs);
    QCOMPARE(zoom.endNs() - zoom.startNs(), zoom.widthNs());
    QCOMPARE(TimelineZoom::MinWidthNs, qint64(10000));
    QCOMPARE(TimelineZoom::MaxWidthNs, 24 * 3600 * S);
}

void TestTimelineZoom::setFollowLive()
{
    TimelineZoom zoom;
    QSignalSpy spy(&zoom, &TimelineZoom::followLiveChanged);
    QSignalSpy rangeSpy(&zoom, &TimelineZoom::rangeChanged);

    zoom.setFollowLive(true); // already following
    QCOMPARE(spy.count(), 0);
    zoom.setFollowLive(false);
    QVERIFY(!zoom.followsLive());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    zoom.setFollowLive(false);
    QCOMPARE(spy.count(), 1);
    zoom.setFollowLive(true);
    QVERIFY(zoom.followsLive());
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toBool(), true);
    QCOMPARE(rangeSpy.count(), 0);
}

void TestTimelineZoom::setRange_data()
{
    QTest::addColumn<bool>("following");
    QTest::addColumn<qint64>("start");
    QTest::addColumn<qint64>("end");
    QTest::addColumn<qint64>("expectedWidth");

    for (bool following : { true, false }) {
        const char *state = following ? "following" : "not following";
        QTest::addRow("%s: 2 s", state) << following << 5 * S << 7 * S << 2 * S;
        QTest::addRow("%s: negative start", state) << following << -3 * S << S << 4 * S;
        QTest::addRow("%s: min width", state)
            << following << S << S + TimelineZoom::MinWidthNs << TimelineZoom::MinWidthNs;
        QTest::addRow("%s: max width", state)
            << following << qint64(0) << TimelineZoom::MaxWidthNs << TimelineZoom::MaxWidthNs;
        QTest::addRow("%s: narrower than min", state)
            << following << S << S + 10 << TimelineZoom::MinWidthNs;
        QTest::addRow("%s: empty", state) << following << S << S << TimelineZoom::MinWidthNs;
        QTest::addRow("%s: reversed", state) << following << 2 * S << S << TimelineZoom::MinWidthNs;
        QTest::addRow("%s: wider than max", state)
            << following << qint64(0) << 2 * TimelineZoom::MaxWidthNs << TimelineZoom::MaxWidthNs;
    }
}

void TestTimelineZoom::setRange()
{
    QFETCH(bool, following);
    QFETCH(qint64, start);
    QFETCH(qint64, end);
    QFETCH(qint64, expectedWidth);

    TimelineZoom zoom;
    zoom.setFollowLive(following);
    CHECK_SIGNALS(zoom, [&] { zoom.setRange(start, end); });
    QCOMPARE(zoom.startNs(), start);
    QCOMPARE(zoom.widthNs(), expectedWidth);
    QCOMPARE(zoom.followsLive(), following);
    // The same range again changes nothing.
    QSignalSpy rangeSpy(&zoom, &TimelineZoom::rangeChanged);
    zoom.setRange(zoom.startNs(), zoom.endNs());
    QCOMPARE(rangeSpy.count(), 0);
}

void TestTimelineZoom::zoomAround_data()
{
    QTest::addColumn<qint64>("start");
    QTest::addColumn<qint64>("end");
    QTest::addColumn<qint64>("anchor");
    QTest::addColumn<double>("factor");
    QTest::addColumn<qint64>("expectedWidth");

    QTest::addRow("in x2 at the middle") << qint64(0) << 10 * S << 5 * S << 0.5 << 5 * S;
    QTest::addRow("in x2 at the left edge") << qint64(0) << 10 * S << qint64(0) << 0.5 << 5 * S;
    QTest::addRow("in x2 at the right edge") << qint64(0) << 10 * S << 10 * S << 0.5 << 5 * S;
    QTest::addRow("in x4 at a quarter") << 100 * S << 108 * S << 102 * S << 0.25 << 2 * S;
    QTest::addRow("in x1.25 at an odd place")
        << 3 * S << 13 * S << 3 * S + 1234567891 << 0.8 << 8 * S;
    QTest::addRow("out x2 at a third") << qint64(0) << 3 * S << S << 2.0 << 6 * S;
    QTest::addRow("out x10 on monotonic clock values")
        << 1000000 * S << 1000001 * S << 1000000 * S + 900 * Ms << 10.0 << 10 * S;
    QTest::addRow("anchor left of the view") << 10 * S << 20 * S << 5 * S << 0.5 << 5 * S;
    QTest::addRow("anchor right of the view") << 10 * S << 20 * S << 25 * S << 2.0 << 20 * S;
    QTest::addRow("factor 1") << 2 * S << 12 * S << 4 * S << 1.0 << 10 * S;
    QTest::addRow("clamped to min width")
        << qint64(0) << 10 * S << 5 * S << 1e-9 << TimelineZoom::MinWidthNs;
    QTest::addRow("just above min width")
        << qint64(0) << qint64(40000) << qint64(20000) << 0.5 << qint64(20000);
    QTest::addRow("at min width, in")
        << S << S + TimelineZoom::MinWidthNs << S + 5000 << 0.5 << TimelineZoom::MinWidthNs;
    QTest::addRow("clamped to max width")
        << qint64(0) << 10 * S << 5 * S << 1e9 << TimelineZoom::MaxWidthNs;
    QTest::addRow("at max width, out")
        << qint64(0) << TimelineZoom::MaxWidthNs << TimelineZoom::MaxWidthNs / 3 << 2.0
        << TimelineZoom::MaxWidthNs;
}

void TestTimelineZoom::zoomAround()
{
    QFETCH(qint64, start);
    QFETCH(qint64, end);
    QFETCH(qint64, anchor);
    QFETCH(double, factor);
    QFETCH(qint64, expectedWidth);

    TimelineZoom zoom;
    zoom.setFollowLive(false);
    zoom.setRange(start, end);
    QCOMPARE(zoom.startNs(), start);
    QCOMPARE(zoom.endNs(), end);
    const double fractionBefore = fractionOf(zoom, anchor);

    CHECK_SIGNALS(zoom, [&] { zoom.zoomAround(anchor, factor); });

    QVERIFY2(
        std::abs(zoom.widthNs() - expectedWidth) <= 1, qPrintable(QString::number(zoom.widthNs())));
    QCOMPARE(zoom.endNs() - zoom.startNs(), zoom.widthNs());
    // The anchor stays at the same place on screen, up to 1 ns of rounding.
    const double fractionAfter = fractionOf(zoom, anchor);
    QVERIFY2(std::abs(fractionAfter - fractionBefore) <= 1.0 / double(zoom.widthNs()) + 1e-12,
        qPrintable(QStringLiteral("%1 -> %2").arg(fractionBefore).arg(fractionAfter)));
}

void TestTimelineZoom::zoomAroundKeepsFollowState_data()
{
    QTest::addColumn<bool>("following");
    QTest::addColumn<double>("factor");
    QTest::addRow("following, in") << true << 0.5;
    QTest::addRow("following, out") << true << 3.0;
    QTest::addRow("not following, in") << false << 0.5;
    QTest::addRow("not following, out") << false << 3.0;
}

void TestTimelineZoom::zoomAroundKeepsFollowState()
{
    QFETCH(bool, following);
    QFETCH(double, factor);

    TimelineZoom zoom;
    zoom.setFollowLive(following);
    const qint64 now = 5000 * S;
    zoom.updateLive(now); // moves the range only while following
    const qint64 widthBefore = zoom.widthNs();

    QSignalSpy followSpy(&zoom, &TimelineZoom::followLiveChanged);
    zoom.zoomAround(zoom.startNs() + zoom.widthNs() / 2, factor);
    QCOMPARE(zoom.followsLive(), following);
    QCOMPARE(followSpy.count(), 0);
    const qint64 zoomedWidth = zoom.widthNs();
    QVERIFY(std::abs(double(zoomedWidth) - double(widthBefore) * factor) <= 1);

    // Live updates keep the new width (and move the range only while following).
    const qint64 startBefore = zoom.startNs();
    zoom.updateLive(now + 7 * S);
    QCOMPARE(zoom.widthNs(), zoomedWidth);
    if (following) {
        QVERIFY(zoom.startNs() <= now + 7 * S);
        QVERIFY(zoom.endNs() >= now + 7 * S);
    } else {
        QCOMPARE(zoom.startNs(), startBefore);
    }
}

void TestTimelineZoom::zoomAroundIgnoresInvalidFactor_data()
{
    QTest::addColumn<double>("factor");
    QTest::addRow("zero") << 0.0;
    QTest::addRow("negative") << -2.0;
    QTest::addRow("NaN") << std::numeric_limits<double>::quiet_NaN();
}

void TestTimelineZoom::zoomAroundIgnoresInvalidFactor()
{
    QFETCH(double, factor);
    TimelineZoom zoom;
    zoom.setRange(S, 4 * S);
    QSignalSpy rangeSpy(&zoom, &TimelineZoom::rangeChanged);
    QSignalSpy followSpy(&zoom, &TimelineZoom::followLiveChanged);
    zoom.zoomAround(2 * S, factor);
    QCOMPARE(zoom.startNs(), S);
    QCOMPARE(zoom.endNs(), 4 * S);
    QCOMPARE(rangeSpy.count(), 0);
    QCOMPARE(followSpy.count(), 0);
}

void TestTimelineZoom::panBy_data()
{
    QTest::addColumn<bool>("following");
    QTest::addColumn<qint64>("delta");
    QTest::addRow("following, right") << true << 3 * S;
    QTest::addRow("following, left") << true << -250 * Ms;
    QTest::addRow("following, by nothing") << true << qint64(0);
    QTest::addRow("not following, right") << false << qint64(1);
    QTest::addRow("not following, left") << false << -40 * S;
    QTest::addRow("not following, by nothing") << false << qint64(0);
}

void TestTimelineZoom::panBy()
{
    QFETCH(bool, following);
    QFETCH(qint64, delta);

    TimelineZoom zoom;
    zoom.setRange(20 * S, 26 * S);
    zoom.setFollowLive(following);
    QSignalSpy rangeSpy(&zoom, &TimelineZoom::rangeChanged);
    QSignalSpy followSpy(&zoom, &TimelineZoom::followLiveChanged);

    zoom.panBy(delta);

    QVERIFY(!zoom.followsLive());
    QCOMPARE(zoom.startNs(), 20 * S + delta);
    QCOMPARE(zoom.endNs(), 26 * S + delta);
    QCOMPARE(zoom.widthNs(), 6 * S);
    QCOMPARE(rangeSpy.count(), delta != 0 ? 1 : 0);
    QCOMPARE(followSpy.count(), following ? 1 : 0);
    if (following)
        QCOMPARE(followSpy.at(0).at(0).toBool(), false);
}

void TestTimelineZoom::fit_data()
{
    QTest::addColumn<bool>("following");
    QTest::addColumn<qint64>("first");
    QTest::addColumn<qint64>("last");

    QTest::addRow("2 s, following") << true << S << 3 * S;
    QTest::addRow("2 s, not following") << false << S << 3 * S;
    QTest::addRow("odd range") << false << qint64(123456789) << qint64(987654321);
    QTest::addRow("monotonic clock values") << true << 86400 * S + 17 << 86400 * S + 12 * S + 345;
    QTest::addRow("negative times") << false << -5 * S << -S;
    QTest::addRow("an hour") << true << qint64(0) << 3600 * S;
    QTest::addRow("shorter than min width") << true << 10 * S << 10 * S + 100;
    QTest::addRow("a single instant") << false << 10 * S << 10 * S;
}

void TestTimelineZoom::fit()
{
    QFETCH(bool, following);
    QFETCH(qint64, first);
    QFETCH(qint64, last);

    TimelineZoom zoom;
    zoom.setFollowLive(following);
    CHECK_SIGNALS(zoom, [&] { zoom.fit(first, last); });

    QVERIFY(!zoom.followsLive());
    // [first, last] is shown ...
    QVERIFY2(zoom.startNs() <= first && zoom.endNs() >= last,
        qPrintable(QStringLiteral("%1..%2").arg(zoom.startNs()).arg(zoom.endNs())));
    QVERIFY(zoom.widthNs() >= TimelineZoom::MinWidthNs);
    // ... with a margin of about 5% on each side.
    const qint64 span = last - first;
    if (span >= TimelineZoom::MinWidthNs) {
        const double leftMargin = double(first - zoom.startNs()) / double(span);
        const double rightMargin = double(zoom.endNs() - last) / double(span);
        QVERIFY2(leftMargin >= 0.04 && leftMargin <= 0.06, qPrintable(QString::number(leftMargin)));
        QVERIFY2(
            rightMargin >= 0.04 && rightMargin <= 0.06, qPrintable(QString::number(rightMargin)));
    } else {
        // Too short to show at its own size: the narrowest view that holds it, and a bit.
        QVERIFY(zoom.widthNs() <= TimelineZoom::MinWidthNs * 12 / 10);
    }

    // Fitting the same range again changes nothing.
    CHECK_SIGNALS(zoom, [&] { zoom.fit(first, last); });
    QVERIFY(!zoom.followsLive());
}

void TestTimelineZoom::updateLiveWhileFollowing()
{
    TimelineZoom zoom;
    QVERIFY(zoom.followsLive());
    const qint64 width = zoom.widthNs();

    const qint64 now = 1000 * S + 123456;
    CHECK_SIGNALS(zoom, [&] { zoom.updateLive(now); });
    QCOMPARE(zoom.widthNs(), width);
    QVERIFY(zoom.followsLive());
    // "now" is in view, near the right edge.
    QVERIFY(zoom.startNs() < now);
    QVERIFY(zoom.endNs() >= now);
    const double fraction = fractionOf(zoom, now);
    QVERIFY2(fraction >= 0.9 && fraction <= 1.0, qPrintable(QString::number(fraction)));

    // The same "now" again changes nothing.
    QSignalSpy rangeSpy(&zoom, &TimelineZoom::rangeChanged);
    zoom.updateLive(now);
    QCOMPARE(rangeSpy.count(), 0);

    // Time moves on: the range moves along, keeping its width.
    const qint64 start = zoom.startNs();
    zoom.updateLive(now + 2500 * Ms);
    QCOMPARE(rangeSpy.count(), 1);
    QCOMPARE(zoom.startNs(), start + 2500 * Ms);
    QCOMPARE(zoom.widthNs(), width);

    // After zooming, live updates keep the zoomed width.
    zoom.zoomAround(now, 0.1);
    const qint64 zoomedWidth = zoom.widthNs();
    QVERIFY(zoomedWidth < width);
    zoom.updateLive(now + 3 * S);
    QCOMPARE(zoom.widthNs(), zoomedWidth);
    QVERIFY(zoom.followsLive());
    const double fractionZoomed = fractionOf(zoom, now + 3 * S);
    QVERIFY2(fractionZoomed >= 0.9 && fractionZoomed <= 1.0,
        qPrintable(QString::number(fractionZoomed)));
}

void TestTimelineZoom::updateLiveWhenNotFollowing()
{
    TimelineZoom zoom;
    zoom.setRange(10 * S, 14 * S);
    zoom.setFollowLive(false);
    QSignalSpy rangeSpy(&zoom, &TimelineZoom::rangeChanged);
    QSignalSpy followSpy(&zoom, &TimelineZoom::followLiveChanged);
    for (qint64 now : { 0 * S, 12 * S, 100 * S, 5000 * S }) {
        zoom.updateLive(now);
        QCOMPARE(zoom.startNs(), 10 * S);
        QCOMPARE(zoom.endNs(), 14 * S);
    }
    QVERIFY(!zoom.followsLive());
    QCOMPARE(rangeSpy.count(), 0);
    QCOMPARE(followSpy.count(), 0);

    // Following again: the next update brings "now" into view.
    zoom.setFollowLive(true);
    zoom.updateLive(5000 * S);
    QCOMPARE(rangeSpy.count(), 1);
    QVERIFY(zoom.startNs() < 5000 * S && zoom.endNs() >= 5000 * S);
    QCOMPARE(zoom.widthNs(), 4 * S);
}

void TestTimelineZoom::signalsOnlyWhenSomethingChanged()
{
    // A session of mixed operations; after each, the signals match what changed.
    TimelineZoom zoom;
    const qint64 now = 777 * S;
    const std::function<void()> operations[] = {
        [&] { zoom.updateLive(now); },
        [&] { zoom.updateLive(now); },
        [&] { zoom.updateLive(now + 16 * Ms); },
        [&] { zoom.zoomAround(now, 0.5); },
        [&] { zoom.zoomAround(now, 1.0); },
        [&] { zoom.setFollowLive(true); },
        [&] { zoom.zoomAround(now, 1e-12); },
        [&] { zoom.zoomAround(now, 0.5); }, // already at min width
        [&] { zoom.panBy(0); },
        [&] { zoom.panBy(0); },
        [&] { zoom.updateLive(now + S); },
        [&] { zoom.panBy(-S); },
        [&] { zoom.setRange(zoom.startNs(), zoom.endNs()); },
        [&] { zoom.zoomAround(now, 1e15); },
        [&] { zoom.zoomAround(now, 2.0); }, // already at max width
        [&] { zoom.fit(now, now + 3 * S); },
        [&] { zoom.fit(now, now + 3 * S); },
        [&] { zoom.setFollowLive(true); },
        [&] { zoom.setFollowLive(true); },
        [&] { zoom.updateLive(now + 5 * S); },
        [&] { zoom.setFollowLive(false); },
        [&] { zoom.updateLive(now + 9 * S); },
    };
    int step = 0;
    for (const auto &operation : operations) {
        checkSignals(zoom, operation);
        if (QTest::currentTestFailed())
            QFAIL(qPrintable(QStringLiteral("after operation %1").arg(step)));
        ++step;
    }
}

QTEST_GUILESS_MAIN(TestTimelineZoom)
#include "tst_timelinezoom.moc"
