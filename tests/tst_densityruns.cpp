// Density merging of small task bars: touching and overlapping bars of one status on one pixel
// row become one run; gaps, other statuses and other rows keep runs apart; nothing outside the
// lane's task area is drawn; every bar's pixels are covered exactly once per status and row.
#include "densityruns.h"

#include <QtTest>

struct Run {
    QRect rect;
    TaskStatus status;
    bool operator==(const Run &other) const { return rect == other.rect && status == other.status; }
};
Q_DECLARE_METATYPE(Run)

namespace QTest {
template<>
char *toString(const Run &run)
{
    return qstrdup(qPrintable(QStringLiteral("%1 [%2,%3) row %4").arg(taskStatusName(run.status)).arg(run.rect.left()).arg(run.rect.right() + 1).arg(run.rect.top())));
}
} // namespace QTest

class TestDensityRuns : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void merges_data();
    void merges();
    void coversEveryPixelOnce();
};

// A bar: y, height, status, x0, x1.
struct Bar {
    int y, height;
    TaskStatus status;
    int x0, x1;
};
Q_DECLARE_METATYPE(QVector<Bar>)
Q_DECLARE_METATYPE(QVector<Run>)

static QVector<Run> runsOf(int top, int rows, const QVector<Bar> &bars)
{
    QVector<Run> runs;
    {
        DensityRuns density(top, rows, [&runs](const QRect &rect, TaskStatus status) { runs.append({ rect, status }); });
        for (const Bar &bar : bars)
            density.add(bar.y, bar.height, bar.status, bar.x0, bar.x1);
    }
    std::sort(runs.begin(), runs.end(), [](const Run &a, const Run &b) {
        return std::tuple(a.rect.top(), int(a.status), a.rect.left()) < std::tuple(b.rect.top(), int(b.status), b.rect.left());
    });
    return runs;
}

void TestDensityRuns::merges_data()
{
    QTest::addColumn<QVector<Bar>>("bars");
    QTest::addColumn<QVector<Run>>("runs");
    const auto ok = TaskStatus::Ok, failed = TaskStatus::Failed;
    QTest::addRow("one bar") << QVector<Bar> { { 10, 1, ok, 5, 8 } } << QVector<Run> { { QRect(5, 10, 3, 1), ok } };
    QTest::addRow("touching bars merge") << QVector<Bar> { { 10, 1, ok, 5, 8 }, { 10, 1, ok, 8, 9 } }
                                         << QVector<Run> { { QRect(5, 10, 4, 1), ok } };
    QTest::addRow("overlapping and contained") << QVector<Bar> { { 10, 1, ok, 5, 8 }, { 10, 1, ok, 6, 7 }, { 10, 1, ok, 7, 12 } }
                                               << QVector<Run> { { QRect(5, 10, 7, 1), ok } };
    QTest::addRow("a gap keeps them apart") << QVector<Bar> { { 10, 1, ok, 5, 8 }, { 10, 1, ok, 9, 11 } }
                                            << QVector<Run> { { QRect(5, 10, 3, 1), ok }, { QRect(9, 10, 2, 1), ok } };
    QTest::addRow("statuses keep their own runs") << QVector<Bar> { { 10, 1, ok, 5, 8 }, { 10, 1, failed, 6, 9 }, { 10, 1, ok, 8, 10 } }
                                                  << QVector<Run> { { QRect(5, 10, 5, 1), ok }, { QRect(6, 10, 3, 1), failed } };
    QTest::addRow("rows keep their own runs") << QVector<Bar> { { 10, 1, ok, 5, 8 }, { 11, 1, ok, 6, 9 } }
                                              << QVector<Run> { { QRect(5, 10, 3, 1), ok }, { QRect(6, 11, 3, 1), ok } };
    QTest::addRow("a tall bar spans rows") << QVector<Bar> { { 10, 2, ok, 5, 8 }, { 11, 1, ok, 8, 9 } }
                                           << QVector<Run> { { QRect(5, 10, 3, 1), ok }, { QRect(5, 11, 4, 1), ok } };
    QTest::addRow("outside the area: clipped") << QVector<Bar> { { 8, 3, ok, 5, 8 }, { 14, 2, ok, 1, 2 } }
                                               << QVector<Run> { { QRect(5, 10, 3, 1), ok } };
    QTest::addRow("bars out of order are not lost") << QVector<Bar> { { 10, 1, ok, 300, 500 }, { 10, 1, ok, 0, 50 }, { 10, 1, ok, 100, 200 } }
                                                    << QVector<Run> { { QRect(0, 10, 50, 1), ok }, { QRect(100, 10, 100, 1), ok }, { QRect(300, 10, 200, 1), ok } };
    QTest::addRow("empty bars are nothing") << QVector<Bar> { { 10, 1, ok, 5, 5 }, { 10, 0, ok, 1, 3 } } << QVector<Run> {};
}

void TestDensityRuns::merges()
{
    QFETCH(QVector<Bar>, bars);
    QFETCH(QVector<Run>, runs);
    QCOMPARE(runsOf(10, 4, bars), runs); // rows 10..13
}

void TestDensityRuns::coversEveryPixelOnce()
{
    // A dense lane: 2000 bars of random width and status, in order of start, on 3 rows. The runs
    // cover exactly the pixels the bars cover, per row and status, and never overlap each other.
    QRandomGenerator random(42);
    QVector<Bar> bars;
    int x = 0;
    for (int i = 0; i < 2000; ++i) {
        x += random.bounded(2);
        const int row = random.bounded(3);
        bars.append({ row, 1 + random.bounded(2), random.bounded(10) ? TaskStatus::Ok : TaskStatus::Failed, x, x + 1 + random.bounded(6) });
    }
    const int width = x + 10;
    const int rows = 4; // a tall bar on row 2 reaches row 3
    auto index = [&](int row, TaskStatus status, int px) { return (size_t(row) * 8 + size_t(status)) * size_t(width) + size_t(px); };
    std::vector<int> expected(size_t(rows) * 8 * size_t(width), 0), drawn(expected.size(), 0);
    for (const Bar &bar : bars) {
        for (int row = bar.y; row < std::min(rows, bar.y + bar.height); ++row)
            for (int px = bar.x0; px < bar.x1; ++px)
                expected[index(row, bar.status, px)] = 1;
    }
    const QVector<Run> runs = runsOf(0, rows, bars);
    for (const Run &run : runs) {
        QCOMPARE(run.rect.height(), 1);
        for (int px = run.rect.left(); px <= run.rect.right(); ++px)
            ++drawn[index(run.rect.top(), run.status, px)];
    }
    QCOMPARE(drawn, expected);
    QVERIFY(runs.size() < bars.size() / 2); // and it does merge
}

QTEST_GUILESS_MAIN(TestDensityRuns)
#include "tst_densityruns.moc"
