// A lane's vertical layout: heights as sub-rows grow and shrink past their caps, and which
// sub-rows a pixel row hits (several where sub-rows are thinner than a pixel, none in gaps).
#include "timelinelanelayout.h"

#include <QtTest>

class TestTimelineLaneLayout : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void heights_data();
    void heights();
    void hitAt_data();
    void hitAt();
};

void TestTimelineLaneLayout::heights_data()
{
    QTest::addColumn<int>("requestSlots");
    QTest::addColumn<int>("taskSlots");
    QTest::addColumn<int>("strip");
    QTest::addColumn<int>("tasks");
    QTest::addColumn<int>("height");
    // height = 3 + strip + 2 + tasks + 3
    QTest::addRow("empty lane") << 0 << 0 << 12 << 8 << 28;
    QTest::addRow("one task") << 1 << 1 << 12 << 7 << 27;
    QTest::addRow("twelve tasks fill the cap") << 1 << 12 << 12 << 84 << 104;
    QTest::addRow("beyond the cap, thinner") << 1 << 120 << 12 << 84 << 104;
    QTest::addRow("overlapping requests") << 3 << 0 << 36 << 8 << 52;
    QTest::addRow("requests capped at six") << 10 << 0 << 72 << 8 << 88;
}

void TestTimelineLaneLayout::heights()
{
    QFETCH(int, requestSlots);
    QFETCH(int, taskSlots);
    QFETCH(int, strip);
    QFETCH(int, tasks);
    QFETCH(int, height);
    const TimelineLaneLayout layout(requestSlots, taskSlots);
    QCOMPARE(layout.stripHeight(), strip);
    QCOMPARE(layout.taskAreaHeight(), tasks);
    QCOMPARE(layout.height(), height);
    QCOMPARE(layout.tasksTop(), qreal(3 + strip + 2));
}

void TestTimelineLaneLayout::hitAt_data()
{
    QTest::addColumn<int>("requestSlots");
    QTest::addColumn<int>("taskSlots");
    QTest::addColumn<qreal>("y");
    QTest::addColumn<bool>("hit");
    QTest::addColumn<bool>("request");
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("last");
    QTest::addRow("top padding") << 1 << 2 << 1.0 << false << false << 0 << 0;
    QTest::addRow("request strip") << 1 << 2 << 5.0 << true << true << 0 << 0;
    QTest::addRow("second request sub-row") << 2 << 2 << 16.0 << true << true << 1 << 1;
    QTest::addRow("gap under the strip") << 1 << 2 << 15.5 << false << false << 0 << 0;
    QTest::addRow("first task sub-row") << 1 << 2 << 17.0 << true << false << 0 << 0;
    QTest::addRow("second task sub-row") << 1 << 2 << 24.0 << true << false << 1 << 1;
    QTest::addRow("bottom padding") << 1 << 2 << 31.5 << false << false << 0 << 0;
    // 168 sub-rows in 84 pixels: each pixel row covers two.
    QTest::addRow("thin sub-rows") << 1 << 168 << 17.0 << true << false << 0 << 1;
    QTest::addRow("thin sub-rows, further down") << 1 << 168 << 27.0 << true << false << 20 << 21;
}

void TestTimelineLaneLayout::hitAt()
{
    QFETCH(int, requestSlots);
    QFETCH(int, taskSlots);
    QFETCH(qreal, y);
    QFETCH(bool, hit);
    QFETCH(bool, request);
    QFETCH(int, first);
    QFETCH(int, last);
    const auto result = TimelineLaneLayout(requestSlots, taskSlots).hitAt(y);
    QCOMPARE(result.has_value(), hit);
    if (!result)
        return;
    QCOMPARE(result->request, request);
    QCOMPARE(result->firstSlot, first);
    QCOMPARE(result->lastSlot, last);
}

QTEST_GUILESS_MAIN(TestTimelineLaneLayout)
#include "tst_timelinelanelayout.moc"
