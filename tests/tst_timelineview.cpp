// The timeline view as a person uses it, with QTest's mouse and keyboard: hovering a span tells
// about it, clicking a task selects its request (and clicking nothing clears it), Shift+drag
// selects a time range, clicking a group's header folds its lanes away and back, Escape clears,
// the arrow keys pan.
#include "timelinelanelayout.h"
#include "timelinemodel.h"
#include "timelinestyle.h"
#include "timelineview.h"
#include "timelinezoom.h"

#include <QHelpEvent>
#include <QSignalSpy>
#include <QToolTip>
#include <QtTest>

class TestTimelineView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void hoverDescribesTheSpan();
    void clickSelectsARequest();
    void shiftDragSelectsARange();
    void headersFoldTheirGroup();
    void keyboard();

private:
    QPoint pointAt(qint64 timeNs, int laneId, bool request, int slot = 0) const;

    std::unique_ptr<TimelineModel> m_model;
    std::unique_ptr<TimelineView> m_view;
};

constexpr qint64 Ms = 1000000;

namespace {

TraceEvent traceEvent(TraceEvent::Type type, quint64 request, int lane, qint64 t, int task = -1)
{
    TraceEvent e;
    e.type = type;
    e.requestId = request;
    e.lane = lane;
    e.timeNs = t;
    e.task = task;
    e.timeoutMs = 1000;
    e.taskCount = 2;
    e.httpStatus = 200;
    return e;
}

} // namespace

void TestTimelineView::init()
{
    // Request 1 on worker-1 (0-500 ms) with tasks 0 (0-300 ms, ok) and 1 (0-450 ms, failed) on
    // loop-1; request 2 on worker-1 (600-900 ms) with one timed-out task.
    m_model = std::make_unique<TimelineModel>();
    m_model->addLane(ThreadLane { 0, ThreadKind::Worker, 1, QStringLiteral("worker-1") });
    m_model->addLane(ThreadLane { 1, ThreadKind::Loop, 1, QStringLiteral("loop-1") });
    using T = TraceEvent::Type;
    TraceEvent ok = traceEvent(T::TaskEnded, 1, 1, 300 * Ms, 0);
    ok.status = TaskStatus::Ok;
    TraceEvent failed = traceEvent(T::TaskEnded, 1, 1, 450 * Ms, 1);
    failed.status = TaskStatus::Failed;
    TraceEvent late = traceEvent(T::TaskEnded, 2, 1, 900 * Ms, 0);
    late.status = TaskStatus::TimedOut;
    m_model->applyEvents({ traceEvent(T::RequestStarted, 1, 0, 0), traceEvent(T::TaskStarted, 1, 1, 0, 0), traceEvent(T::TaskStarted, 1, 1, 0, 1), ok, failed,
        traceEvent(T::RequestEnded, 1, 0, 500 * Ms), traceEvent(T::RequestStarted, 2, 0, 600 * Ms), traceEvent(T::TaskStarted, 2, 1, 600 * Ms, 0), late,
        traceEvent(T::RequestEnded, 2, 0, 900 * Ms) });
    m_view = std::make_unique<TimelineView>();
    m_view->setModel(m_model.get());
    m_view->resize(1000, 500);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
    m_view->zoom()->setFollowLive(false);
    m_view->zoom()->setRange(0, 1000 * Ms);
}

void TestTimelineView::cleanup()
{
    m_view.reset();
    m_model.reset();
}

QPoint TestTimelineView::pointAt(qint64 timeNs, int laneId, bool request, int slot) const
{
    const QRect lane = m_view->laneRect(m_model->rowOfLane(laneId));
    const TimelineLane &l = m_model->lane(m_model->rowOfLane(laneId));
    const TimelineLaneLayout layout(l.requestSlotCount, l.slotCount);
    const qreal y = request ? layout.requestY(slot) + layout.requestSlotHeight() / 2 : layout.taskY(slot) + layout.taskSlotHeight() / 2;
    return QPoint(int(m_view->scale().mapTimeToX(timeNs)), lane.top() + int(y));
}

void TestTimelineView::hoverDescribesTheSpan()
{
    const QPoint onFailed = pointAt(400 * Ms, 1, false, 1);
    QHelpEvent help(QEvent::ToolTip, onFailed, m_view->viewport()->mapToGlobal(onFailed));
    QApplication::sendEvent(m_view->viewport(), &help);
    QTRY_VERIFY(QToolTip::isVisible());
    const QString text = QToolTip::text();
    for (const char *expected : { "account-1", "#1", "failed", "start 0.000 ms", "end 450.000 ms", "450.000 ms", "loop-1" })
        QVERIFY2(text.contains(QLatin1String(expected)), qPrintable(text + QStringLiteral(" lacks ") + QLatin1String(expected)));
    // The request strip tells about the request.
    QCOMPARE(m_model->span(m_view->spanAt(pointAt(700 * Ms, 0, true))).requestId, quint64(2));
    QVERIFY(m_view->describe(m_view->spanAt(pointAt(700 * Ms, 0, true))).contains(QStringLiteral("HTTP 200")));
    // Between spans, nothing.
    QVERIFY(!m_view->spanAt(pointAt(550 * Ms, 0, true)).isValid());
}

void TestTimelineView::clickSelectsARequest()
{
    QSignalSpy selected(m_view.get(), &TimelineView::requestSelected);
    QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, pointAt(100 * Ms, 1, false, 0));
    QCOMPARE(m_view->selectedRequest(), quint64(1));
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.at(0).at(0).toULongLong(), quint64(1));
    // The request and both its tasks are outlined in the highlight colour.
    const QImage image = m_view->viewport()->grab().toImage();
    const QRgb highlight = m_view->palette().color(QPalette::Highlight).rgb();
    int outlined = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            outlined += image.pixel(x, y) == highlight;
    QVERIFY2(outlined > 300, qPrintable(QString::number(outlined)));
    QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, pointAt(750 * Ms, 1, false, 0));
    QCOMPARE(m_view->selectedRequest(), quint64(2));
    QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, pointAt(550 * Ms, 0, true)); // nothing there
    QCOMPARE(m_view->selectedRequest(), quint64(0));
    QCOMPARE(selected.size(), 3);
}

void TestTimelineView::shiftDragSelectsARange()
{
    QSignalSpy ranges(m_view.get(), &TimelineView::rangeSelected);
    const QPoint from = pointAt(100 * Ms, 1, false), to = pointAt(700 * Ms, 1, false);
    QTest::mousePress(m_view->viewport(), Qt::LeftButton, Qt::ShiftModifier, from);
    QTest::mouseMove(m_view->viewport(), (from + to) / 2);
    QTest::mouseMove(m_view->viewport(), to);
    QTest::mouseRelease(m_view->viewport(), Qt::LeftButton, Qt::ShiftModifier, to);
    QVERIFY(!ranges.isEmpty());
    QVERIFY(m_view->selectedRange());
    const auto [start, end] = *m_view->selectedRange();
    const qint64 pixel = qint64(m_view->scale().nsPerPixel()) + 1;
    QVERIFY(std::abs(start - 100 * Ms) <= pixel && std::abs(end - 700 * Ms) <= pixel);
    QCOMPARE(m_view->zoom()->startNs(), 0); // selecting does not pan
    QCOMPARE(m_view->selectedRequest(), quint64(0)); // nor select
    // What it holds: request 2 and its task.
    const auto stats = m_model->statistics(start, end);
    QCOMPARE(stats.requests, 1);
    QCOMPARE(stats.timedOut, 1);
}

void TestTimelineView::headersFoldTheirGroup()
{
    const QRect header = m_view->groupHeaderRect(ThreadKind::Loop);
    QVERIFY(!header.isEmpty());
    QVERIFY(!m_view->laneRect(m_model->rowOfLane(1)).isEmpty());
    QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, header.center());
    QVERIFY(m_view->isGroupCollapsed(ThreadKind::Loop));
    QVERIFY(m_view->laneRect(m_model->rowOfLane(1)).isEmpty());
    QVERIFY(!m_view->laneRect(m_model->rowOfLane(0)).isEmpty()); // the workers stay
    // The folded strip still shows the tasks' colours.
    const QImage image = m_view->viewport()->grab().toImage();
    bool failedShown = false;
    for (int x = 0; x < image.width() && !failedShown; ++x)
        for (int y = header.bottom(); y < header.bottom() + 20 && !failedShown; ++y)
            failedShown = image.pixelColor(x, y) == TimelineStyle::taskColor(TaskStatus::Failed);
    QVERIFY(failedShown);
    QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, m_view->groupHeaderRect(ThreadKind::Loop).center());
    QVERIFY(!m_view->isGroupCollapsed(ThreadKind::Loop));
    QVERIFY(!m_view->laneRect(m_model->rowOfLane(1)).isEmpty());
}

void TestTimelineView::keyboard()
{
    m_view->selectRequest(1);
    m_view->selectRange(0, 100 * Ms);
    m_view->setFocus();
    QTest::keyClick(m_view.get(), Qt::Key_Escape);
    QCOMPARE(m_view->selectedRequest(), quint64(0));
    QVERIFY(!m_view->selectedRange());
    QTest::keyClick(m_view.get(), Qt::Key_Right);
    QCOMPARE(m_view->zoom()->startNs(), 100 * Ms); // a tenth of the width
    QTest::keyClick(m_view.get(), Qt::Key_Left);
    QCOMPARE(m_view->zoom()->startNs(), 0);
}

QTEST_MAIN(TestTimelineView)
#include "tst_timelineview.moc"
