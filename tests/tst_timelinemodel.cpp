// The timeline model without a window: lanes as rows grouped by thread kind, spans opened and
// closed by trace events, sub-rows for overlapping tasks, and live feeding from a recorder.
#include "timelinemodel.h"
#include "tracerecorder.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>

class TestTimelineModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void lanesAreGroupedByKind();
    void requestSpanOpensAndCloses();
    void tasksEndWithTheirStatus_data();
    void tasksEndWithTheirStatus();
    void overlappingTasksGetTheirOwnSubRows();
    void neverStartedTasksAreCounted();
    void unknownLanesGetAPlaceholder();
    void timeRangeCoversAllSpans();
    void clearKeepsLanesAndDropsSpans();
    void followsARecorderLive();
    void tasksThatOutliveTheirRequestRunOn();
    void overlappingRequestsGetSubRows();
    void oldestFinishedRequestsAreForgotten();
    void followsTheRecordersCapacity();
    void eventsTheRecorderForgotStartAfresh();
    void hitTesting_data();
    void hitTesting();
    void rangeStatistics();
    void nothingToForgetCostsNothing();
    void cancelledTasksAreCounted();
    void abandonedRequestEndsCancelled();
    void refusedRequestIsRefused();

private:
    static ThreadLane lane(int id, ThreadKind kind, int ordinal);
    static TraceEvent requestStarted(quint64 id, int lane, qint64 t, int timeoutMs, int tasks);
    static TraceEvent requestEnded(quint64 id, int lane, qint64 t);
    static TraceEvent taskStarted(quint64 id, int task, int lane, qint64 t);
    static TraceEvent taskEnded(quint64 id, int task, int lane, qint64 t, TaskStatus status);

    std::unique_ptr<TimelineModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

constexpr qint64 Ms = 1000000;

ThreadLane TestTimelineModel::lane(int id, ThreadKind kind, int ordinal)
{
    return ThreadLane { id, kind, ordinal, threadKindName(kind) + QLatin1Char('-') + QString::number(ordinal) };
}

TraceEvent TestTimelineModel::requestStarted(quint64 id, int lane, qint64 t, int timeoutMs, int tasks)
{
    TraceEvent e;
    e.type = TraceEvent::Type::RequestStarted;
    e.requestId = id;
    e.lane = lane;
    e.timeNs = t;
    e.timeoutMs = timeoutMs;
    e.taskCount = tasks;
    return e;
}

TraceEvent TestTimelineModel::requestEnded(quint64 id, int lane, qint64 t)
{
    TraceEvent e;
    e.type = TraceEvent::Type::RequestEnded;
    e.requestId = id;
    e.lane = lane;
    e.timeNs = t;
    e.httpStatus = 200;
    return e;
}

TraceEvent TestTimelineModel::taskStarted(quint64 id, int task, int lane, qint64 t)
{
    TraceEvent e;
    e.type = TraceEvent::Type::TaskStarted;
    e.requestId = id;
    e.task = task;
    e.lane = lane;
    e.timeNs = t;
    return e;
}

TraceEvent TestTimelineModel::taskEnded(quint64 id, int task, int lane, qint64 t, TaskStatus status)
{
    TraceEvent e;
    e.type = TraceEvent::Type::TaskEnded;
    e.requestId = id;
    e.task = task;
    e.lane = lane;
    e.timeNs = t;
    e.status = status;
    return e;
}

void TestTimelineModel::init()
{
    m_model = std::make_unique<TimelineModel>();
    m_tester = std::make_unique<QAbstractItemModelTester>(m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void TestTimelineModel::cleanup()
{
    m_tester.reset();
    m_model.reset();
}

void TestTimelineModel::lanesAreGroupedByKind()
{
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    m_model->addLane(lane(0, ThreadKind::Loop, 1));
    m_model->addLane(lane(1, ThreadKind::Worker, 2));
    m_model->addLane(lane(2, ThreadKind::Worker, 1));
    m_model->addLane(lane(3, ThreadKind::Other, 1));
    m_model->addLane(lane(2, ThreadKind::Worker, 1)); // again: nothing happens
    QCOMPARE(inserted.size(), 4);
    QStringList names;
    for (int row = 0; row < m_model->rowCount(); ++row)
        names.append(m_model->index(row).data().toString());
    QCOMPARE(names, (QStringList { QStringLiteral("worker-1"), QStringLiteral("worker-2"), QStringLiteral("loop-1"), QStringLiteral("thread-1") }));
    QCOMPARE(m_model->index(2).data(TimelineModel::LaneKindRole).toInt(), int(ThreadKind::Loop));
    QCOMPARE(m_model->index(0).data(TimelineModel::LaneIdRole).toInt(), 2);
    QCOMPARE(m_model->rowOfLane(0), 2);
}

void TestTimelineModel::requestSpanOpensAndCloses()
{
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->applyEvents({ requestStarted(7, 0, 100 * Ms, 3000, 0) });
    auto view = m_model->request(7);
    QVERIFY(view);
    QVERIFY(view->request.isOpen());
    QCOMPARE(view->request.deadlineNs, 3100 * Ms);
    QCOMPARE(m_model->openSpanCount(), 1);
    QCOMPARE(m_model->index(0).data(TimelineModel::OpenSpanCountRole).toInt(), 1);

    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->applyEvents({ requestEnded(7, 0, 1100 * Ms) });
    QCOMPARE(changed.size(), 1);
    view = m_model->request(7);
    QVERIFY(!view->request.isOpen());
    QCOMPARE(view->request.endNs, 1100 * Ms);
    QCOMPARE(view->request.httpStatus, qint16(200));
    QCOMPARE(m_model->openSpanCount(), 0);
    QCOMPARE(m_model->requestIds(), QVector<quint64> { 7 });
}

void TestTimelineModel::tasksEndWithTheirStatus_data()
{
    QTest::addColumn<TaskStatus>("status");
    QTest::addRow("ok") << TaskStatus::Ok;
    QTest::addRow("failed") << TaskStatus::Failed;
    QTest::addRow("timed out") << TaskStatus::TimedOut;
    QTest::addRow("cancelled") << TaskStatus::Cancelled;
}

void TestTimelineModel::tasksEndWithTheirStatus()
{
    QFETCH(TaskStatus, status);
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Loop, 1));
    m_model->applyEvents({ requestStarted(1, 0, 0, 3000, 1), taskStarted(1, 0, 1, 1 * Ms) });
    QCOMPARE(m_model->request(1)->tasks.constFirst().status, TaskStatus::Running);
    m_model->applyEvents({ taskEnded(1, 0, 1, 50 * Ms, status) });
    const auto view = m_model->request(1);
    QCOMPARE(view->tasks.size(), 1);
    QCOMPARE(view->tasks.constFirst().status, status);
    QCOMPARE(view->tasks.constFirst().endNs, 50 * Ms);
    // The task is on the loop thread's lane, the request on the worker's.
    QCOMPARE(m_model->lane(m_model->rowOfLane(1)).spans.size(), 1);
    QCOMPARE(m_model->lane(m_model->rowOfLane(0)).spans.size(), 1);
}

void TestTimelineModel::overlappingTasksGetTheirOwnSubRows()
{
    m_model->addLane(lane(0, ThreadKind::Loop, 1));
    m_model->applyEvents({
        requestStarted(1, -1, 0, 3000, 4),
        taskStarted(1, 0, 0, 0),
        taskStarted(1, 1, 0, 1 * Ms),
        taskStarted(1, 2, 0, 2 * Ms),
        taskEnded(1, 1, 0, 10 * Ms, TaskStatus::Ok),
        taskStarted(1, 3, 0, 20 * Ms), // sub-row 1 is free again
    });
    const TimelineLane &loop = m_model->lane(0);
    QCOMPARE(loop.slotCount, 3);
    QCOMPARE(loop.spans.at(0).slot, 0);
    QCOMPARE(loop.spans.at(1).slot, 1);
    QCOMPARE(loop.spans.at(2).slot, 2);
    QCOMPARE(loop.spans.at(3).slot, 1);
    QCOMPARE(m_model->index(0).data(TimelineModel::SlotCountRole).toInt(), 3);
}

void TestTimelineModel::neverStartedTasksAreCounted()
{
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->applyEvents({
        requestStarted(1, 0, 0, 100, 3),
        taskStarted(1, 0, 0, 0),
        taskEnded(1, 0, 0, 100 * Ms, TaskStatus::TimedOut),
        taskEnded(1, 1, -1, 100 * Ms, TaskStatus::TimedOut),
        taskEnded(1, 2, -1, 100 * Ms, TaskStatus::TimedOut),
        requestEnded(1, 0, 100 * Ms),
    });
    const auto view = m_model->request(1);
    QCOMPARE(view->tasks.size(), 1);
    QCOMPARE(view->neverStarted, 2);
    QCOMPARE(m_model->openSpanCount(), 0);
}

void TestTimelineModel::unknownLanesGetAPlaceholder()
{
    m_model->applyEvents({ requestStarted(1, 5, 0, 100, 0) });
    QCOMPARE(m_model->rowCount(), 1);
    QCOMPARE(m_model->index(0).data().toString(), QStringLiteral("thread-5"));
}

void TestTimelineModel::timeRangeCoversAllSpans()
{
    QCOMPARE(m_model->timeRange(), qMakePair(qint64(0), qint64(0)));
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->applyEvents({ requestStarted(1, 0, 5 * Ms, 3000, 1), taskStarted(1, 0, 0, 6 * Ms) });
    QCOMPARE(m_model->timeRange(), qMakePair(5 * Ms, 6 * Ms));
    m_model->applyEvents({ taskEnded(1, 0, 0, 90 * Ms, TaskStatus::Ok), requestEnded(1, 0, 91 * Ms) });
    QCOMPARE(m_model->timeRange(), qMakePair(5 * Ms, 91 * Ms));
}

void TestTimelineModel::clearKeepsLanesAndDropsSpans()
{
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->applyEvents({ requestStarted(1, 0, 0, 3000, 1), taskStarted(1, 0, 0, 0) });
    m_model->clear();
    QCOMPARE(m_model->rowCount(), 1);
    QVERIFY(m_model->lane(0).spans.isEmpty());
    QVERIFY(!m_model->request(1));
    QCOMPARE(m_model->openSpanCount(), 0);
    // Ends of spans from before the clear are ignored.
    m_model->applyEvents({ taskEnded(1, 0, 0, 5 * Ms, TaskStatus::Ok), requestEnded(1, 0, 6 * Ms) });
    QVERIFY(m_model->lane(0).spans.isEmpty());
}

void TestTimelineModel::followsARecorderLive()
{
    TraceRecorder recorder;
    m_model->setRecorder(&recorder);
    QSignalSpy changed(m_model.get(), &TimelineModel::spansChanged);
    // A writer thread, as a request worker would be.
    std::unique_ptr<QThread> worker(QThread::create([&recorder] {
        recorder.registerCurrentThread(ThreadKind::Worker);
        const quint64 id = recorder.requestStarted(recorder.routeId(QStringLiteral("/async-worker")), 3000, 1);
        recorder.taskStarted(id, 0, TaskKind::Timer, recorder.now());
        recorder.taskEnded(id, 0, recorder.currentLane(), TaskStatus::Ok, recorder.now());
        recorder.requestEnded(id, 200);
    }));
    worker->start();
    worker->wait();
    QTRY_COMPARE_WITH_TIMEOUT(m_model->lastSeq(), quint64(4), 2000);
    QVERIFY(!changed.isEmpty());
    QCOMPARE(m_model->rowCount(), 1);
    QCOMPARE(m_model->index(0).data().toString(), QStringLiteral("worker-1"));
    const auto view = m_model->request(m_model->requestIds().constFirst());
    QVERIFY(view);
    QCOMPARE(view->route, QStringLiteral("/async-worker"));
    QCOMPARE(view->tasks.size(), 1);
    QCOMPARE(view->tasks.constFirst().status, TaskStatus::Ok);
}

void TestTimelineModel::tasksThatOutliveTheirRequestRunOn()
{
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Pool, 1));
    TraceEvent given = taskEnded(1, 0, 1, 100 * Ms, TaskStatus::TimedOut);
    given.outlives = true;
    m_model->applyEvents({ requestStarted(1, 0, 0, 100, 1), taskStarted(1, 0, 1, 0), given, requestEnded(1, 0, 100 * Ms) });
    TimelineSpan task = m_model->request(1)->tasks.constFirst();
    QCOMPARE(task.status, TaskStatus::TimedOut);
    QCOMPARE(task.endNs, 100 * Ms);
    QVERIFY(task.isRunningOn());
    QCOMPARE(m_model->openSpanCount(), 1); // the view keeps drawing it
    // Its pool thread is still busy: a new task there takes another sub-row.
    m_model->applyEvents({ requestStarted(2, 0, 150 * Ms, 1000, 1), taskStarted(2, 0, 1, 150 * Ms) });
    QCOMPARE(m_model->request(2)->tasks.constFirst().slot, 1);

    TraceEvent released;
    released.type = TraceEvent::Type::TaskReleased;
    released.requestId = 1;
    released.task = 0;
    released.lane = 1;
    released.timeNs = 400 * Ms;
    m_model->applyEvents({ released });
    task = m_model->request(1)->tasks.constFirst();
    QVERIFY(!task.isRunningOn());
    QCOMPARE(task.releasedNs, 400 * Ms);
    QCOMPARE(m_model->openSpanCount(), 2); // request 2 and its task
    QCOMPARE(m_model->timeRange().second, 400 * Ms);
}

void TestTimelineModel::overlappingRequestsGetSubRows()
{
    m_model->addLane(lane(0, ThreadKind::NoThread, 1));
    m_model->applyEvents({
        requestStarted(1, 0, 0, 1000, 0),
        requestStarted(2, 0, 10 * Ms, 1000, 0),
        requestEnded(1, 0, 20 * Ms),
        requestStarted(3, 0, 30 * Ms, 1000, 0),
    });
    QCOMPARE(m_model->lane(0).requestSlotCount, 2);
    QCOMPARE(m_model->request(1)->request.slot, 0);
    QCOMPARE(m_model->request(2)->request.slot, 1);
    QCOMPARE(m_model->request(3)->request.slot, 0);
}

void TestTimelineModel::oldestFinishedRequestsAreForgotten()
{
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Loop, 1));
    m_model->setSpanCapacity(40); // ten requests of three tasks: 40 spans
    // Request 1 runs long and stays open; it must survive everything that follows.
    m_model->applyEvents({ requestStarted(1, 0, 0, 60000, 1), taskStarted(1, 0, 1, 0) });
    for (quint64 id = 2; id <= 30; ++id) {
        const qint64 t = qint64(id) * 10 * Ms;
        QVector<TraceEvent> events { requestStarted(id, 0, t, 3000, 3) };
        for (int task = 0; task < 3; ++task)
            events.append(taskStarted(id, task, 1, t));
        for (int task = 0; task < 3; ++task)
            events.append(taskEnded(id, task, 1, t + 5 * Ms, task == 2 ? TaskStatus::Failed : TaskStatus::Ok));
        events.append(requestEnded(id, 0, t + 6 * Ms));
        m_model->applyEvents(events);
        QVERIFY2(m_model->spanCount() <= 40, qPrintable(QString::number(m_model->spanCount())));
    }
    // The newest are whole, with their tasks' statuses; the oldest finished ones are gone.
    const QVector<quint64> ids = m_model->requestIds();
    QCOMPARE(ids.constFirst(), quint64(1));
    QCOMPARE(ids.constLast(), quint64(30));
    QVERIFY(!m_model->request(2));
    const auto newest = m_model->request(30);
    QVERIFY(newest);
    QCOMPARE(newest->tasks.size(), 3);
    QCOMPARE(newest->tasks.at(2).status, TaskStatus::Failed);
    QCOMPARE(newest->tasks.at(0).startNs, 300 * Ms);
    const auto open = m_model->request(1);
    QVERIFY(open && open->request.isOpen() && open->tasks.size() == 1 && open->tasks.at(0).isOpen());
    // What is held adds up, and still closes: the open request ends normally.
    int held = 0;
    for (int row = 0; row < m_model->rowCount(); ++row)
        held += m_model->index(row).data(TimelineModel::SpanCountRole).toInt();
    QCOMPARE(held, m_model->spanCount());
    QCOMPARE(held, 2 + 4 * int(ids.size() - 1)); // the open request has one task
    m_model->applyEvents({ taskEnded(1, 0, 1, 400 * Ms, TaskStatus::Ok), requestEnded(1, 0, 400 * Ms) });
    QCOMPARE(m_model->openSpanCount(), 0);
    QCOMPARE(m_model->timeRange().first, 0);
}

void TestTimelineModel::followsTheRecordersCapacity()
{
    TraceRecorder recorder(5000);
    m_model->setRecorder(&recorder);
    QCOMPARE(m_model->spanCapacity(), 2500);
}

void TestTimelineModel::eventsTheRecorderForgotStartAfresh()
{
    // A recorder keeping 8 events; the model sees the first request start, then falls behind
    // while 20 events pass: the request's end is lost to it.
    TraceRecorder recorder(8);
    recorder.registerCurrentThread(ThreadKind::Worker);
    const int route = recorder.routeId(QStringLiteral("/sequential"));
    const quint64 first = recorder.requestStarted(route, 3000, 0);
    m_model->setRecorder(&recorder);
    QCOMPARE(m_model->openSpanCount(), 1);
    m_model->setRecorder(nullptr); // stalled
    recorder.requestEnded(first, 200);
    for (int i = 0; i < 10; ++i)
        recorder.requestEnded(recorder.requestStarted(route, 3000, 0), 200);
    m_model->setRecorder(&recorder);
    // Not stuck open for ever: what was missed is dropped, what is still held is shown.
    QCOMPARE(m_model->openSpanCount(), 0);
    QVERIFY(!m_model->request(first));
    QCOMPARE(m_model->requestIds().constLast(), first + 10);
}

void TestTimelineModel::hitTesting_data()
{
    QTest::addColumn<bool>("request");
    QTest::addColumn<int>("firstSlot");
    QTest::addColumn<int>("lastSlot");
    QTest::addColumn<qint64>("fromMs");
    QTest::addColumn<qint64>("toMs");
    QTest::addColumn<qint64>("requestId"); // 0: nothing
    QTest::addColumn<int>("task");
    // Request 1 (0-100 ms) with tasks 0 (slot 0, 0-50 ms) and 1 (slot 1, 0-80 ms); request 2
    // (200-300 ms) with task 0 (slot 0, 200-210 ms), failed. Request 3 open since 400 ms.
    QTest::addRow("request strip") << true << 0 << 0 << qint64(50) << qint64(50) << qint64(1) << -1;
    QTest::addRow("task in slot 0") << false << 0 << 0 << qint64(25) << qint64(25) << qint64(1) << 0;
    QTest::addRow("task in slot 1") << false << 1 << 1 << qint64(60) << qint64(60) << qint64(1) << 1;
    QTest::addRow("slot 0 past its end") << false << 0 << 0 << qint64(60) << qint64(60) << qint64(0) << -1;
    QTest::addRow("within the tolerance") << false << 0 << 0 << qint64(195) << qint64(205) << qint64(2) << 0;
    QTest::addRow("both slots on one pixel row") << false << 0 << 1 << qint64(60) << qint64(60) << qint64(1) << 1;
    QTest::addRow("a gap between requests") << true << 0 << 0 << qint64(150) << qint64(150) << qint64(0) << -1;
    QTest::addRow("an open request reaches now") << true << 0 << 0 << qint64(900) << qint64(900) << qint64(3) << -1;
    QTest::addRow("beyond now") << true << 0 << 0 << qint64(1200) << qint64(1200) << qint64(0) << -1;
}

void TestTimelineModel::hitTesting()
{
    QFETCH(bool, request);
    QFETCH(int, firstSlot);
    QFETCH(int, lastSlot);
    QFETCH(qint64, fromMs);
    QFETCH(qint64, toMs);
    QFETCH(qint64, requestId);
    QFETCH(int, task);
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Loop, 1));
    TraceEvent failed = taskEnded(2, 0, 1, 210 * Ms, TaskStatus::Failed);
    m_model->applyEvents({ requestStarted(1, 0, 0, 3000, 2), taskStarted(1, 0, 1, 0), taskStarted(1, 1, 1, 0),
        taskEnded(1, 0, 1, 50 * Ms, TaskStatus::Ok), taskEnded(1, 1, 1, 80 * Ms, TaskStatus::Ok), requestEnded(1, 0, 100 * Ms),
        requestStarted(2, 0, 200 * Ms, 3000, 1), taskStarted(2, 0, 1, 200 * Ms), failed, requestEnded(2, 0, 300 * Ms),
        requestStarted(3, 0, 400 * Ms, 3000, 0) });
    const int row = m_model->rowOfLane(request ? 0 : 1);
    const TimelineModel::SpanRef ref = m_model->spanAt(row, request, firstSlot, lastSlot, fromMs * Ms, toMs * Ms, 1000 * Ms);
    QCOMPARE(ref.isValid(), requestId != 0);
    if (!ref.isValid())
        return;
    const TimelineSpan &span = m_model->span(ref);
    QCOMPARE(span.requestId, quint64(requestId));
    QCOMPARE(span.type == TimelineSpan::Type::Request, request);
    if (!request)
        QCOMPARE(span.task, task);
}

void TestTimelineModel::rangeStatistics()
{
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Loop, 1));
    // Ten requests, 100 ms apart, each with tasks of 10, 20 ... 40 ms; the last task of every
    // other request times out at 40 ms, and request 9 is still open.
    QVector<TraceEvent> events;
    for (quint64 id = 0; id < 10; ++id) {
        const qint64 t = qint64(id) * 100 * Ms;
        events.append(requestStarted(id + 1, 0, t, 40, 4));
        for (int task = 0; task < 4; ++task) {
            events.append(taskStarted(id + 1, task, 1, t));
            const TaskStatus status = task == 3 && id % 2 ? TaskStatus::TimedOut : TaskStatus::Ok;
            events.append(taskEnded(id + 1, task, 1, t + (task + 1) * 10 * Ms, status));
        }
        if (id != 9)
            events.append(requestEnded(id + 1, 0, t + 50 * Ms));
    }
    m_model->applyEvents(events);

    const auto all = m_model->statistics(0, 1000 * Ms);
    QCOMPARE(all.requests, 10);
    QCOMPARE(all.tasks, 40);
    QCOMPARE(all.ok, 35);
    QCOMPARE(all.timedOut, 5);
    QCOMPARE(all.failed, 0);
    QCOMPARE(all.open, 1);
    QCOMPARE(all.taskP50Ms, 20.0);
    QCOMPARE(all.taskP99Ms, 40.0);
    QCOMPARE(all.requestP50Ms, 50.0);

    // [200, 400) ms: requests 3 and 4 only; a range that starts mid-span does not count it.
    const auto some = m_model->statistics(200 * Ms, 400 * Ms);
    QCOMPARE(some.requests, 2);
    QCOMPARE(some.tasks, 8);
    QCOMPARE(some.timedOut, 1);
    QCOMPARE(m_model->statistics(205 * Ms, 300 * Ms).requests, 0);
    const auto none = m_model->statistics(2000 * Ms, 3000 * Ms);
    QCOMPARE(none.tasks, 0);
    QCOMPARE(none.taskP99Ms, 0.0);
}

void TestTimelineModel::refusedRequestIsRefused()
{
    // Its work did not fit in the budget: it ends at once with 503 and no task; drawn refused.
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    TraceEvent ended = requestEnded(1, 0, 0);
    ended.httpStatus = TraceEvent::RefusedStatus;
    m_model->applyEvents({ requestStarted(1, 0, 0, 3000, 10000), ended });
    const auto view = m_model->request(1);
    QVERIFY(!view->request.isOpen());
    QVERIFY(view->request.isRefused());
    QVERIFY(!view->request.isAbandoned());
    QVERIFY(view->tasks.isEmpty());
    // An answered request is not refused, nor is one still open.
    m_model->applyEvents({ requestStarted(2, 0, 50 * Ms, 3000, 0), requestEnded(2, 0, 60 * Ms), requestStarted(3, 0, 70 * Ms, 3000, 0) });
    QVERIFY(!m_model->request(2)->request.isRefused());
    QVERIFY(!m_model->request(3)->request.isRefused());
}

void TestTimelineModel::abandonedRequestEndsCancelled()
{
    // The client hung up: the tasks end cancelled, the request with 499, and both say so.
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Loop, 1));
    TraceEvent ended = requestEnded(1, 0, 40 * Ms);
    ended.httpStatus = TraceEvent::AbandonedStatus;
    m_model->applyEvents({
        requestStarted(1, 0, 0, 3000, 2),
        taskStarted(1, 0, 1, 1 * Ms),
        taskEnded(1, 0, 1, 40 * Ms, TaskStatus::Cancelled),
        taskEnded(1, 1, -1, 40 * Ms, TaskStatus::Cancelled),
        ended,
    });
    const auto view = m_model->request(1);
    QVERIFY(!view->request.isOpen());
    QVERIFY(view->request.isAbandoned());
    QCOMPARE(view->request.status, TaskStatus::Cancelled);
    QCOMPARE(view->request.httpStatus, qint16(TraceEvent::AbandonedStatus));
    QCOMPARE(view->tasks.constFirst().status, TaskStatus::Cancelled);
    QCOMPARE(view->neverStarted, 1);
    QCOMPARE(m_model->openSpanCount(), 0);
    // An answered request is not abandoned.
    m_model->applyEvents({ requestStarted(2, 0, 50 * Ms, 3000, 0), requestEnded(2, 0, 60 * Ms) });
    QVERIFY(!m_model->request(2)->request.isAbandoned());
    QCOMPARE(m_model->request(2)->request.status, TaskStatus::Ok);
}

void TestTimelineModel::nothingToForgetCostsNothing()
{
    // Over capacity with every request still running: nothing can be forgotten, and a batch
    // that touches one lane must not compact (and announce) every lane.
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Loop, 1));
    m_model->addLane(lane(2, ThreadKind::Pool, 1));
    m_model->setSpanCapacity(20);
    QVector<TraceEvent> events;
    for (quint64 id = 1; id <= 10; ++id) {
        events.append(requestStarted(id, 0, qint64(id) * Ms, 60000, 2));
        events.append(taskStarted(id, 0, 1, qint64(id) * Ms));
        events.append(taskStarted(id, 1, 2, qint64(id) * Ms));
    }
    m_model->applyEvents(events); // 30 open spans: over, and nothing finished
    QCOMPARE(m_model->spanCount(), 30);
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->applyEvents({ requestStarted(11, 0, 20 * Ms, 60000, 0) });
    QCOMPARE(changed.size(), 1); // the worker lane only
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), m_model->rowOfLane(0));
    // Once requests finish and the count grows on, the oldest finished go.
    QVector<TraceEvent> ends;
    for (quint64 id = 1; id <= 5; ++id) {
        ends.append(taskEnded(id, 0, 1, 30 * Ms, TaskStatus::Ok));
        ends.append(taskEnded(id, 1, 2, 30 * Ms, TaskStatus::Ok));
        ends.append(requestEnded(id, 0, 30 * Ms));
    }
    for (quint64 id = 12; id <= 20; ++id)
        ends.append(requestStarted(id, 0, 40 * Ms, 60000, 0));
    m_model->applyEvents(ends);
    QVERIFY(!m_model->request(1));
    QVERIFY(m_model->request(6));
    QVERIFY(m_model->spanCount() < 40);
}

void TestTimelineModel::cancelledTasksAreCounted()
{
    m_model->addLane(lane(0, ThreadKind::Worker, 1));
    m_model->addLane(lane(1, ThreadKind::Loop, 1));
    m_model->applyEvents({ requestStarted(1, 0, 0, 3000, 2), taskStarted(1, 0, 1, 0), taskStarted(1, 1, 1, 0),
        taskEnded(1, 0, 1, 10 * Ms, TaskStatus::Ok), taskEnded(1, 1, 1, 20 * Ms, TaskStatus::Cancelled), requestEnded(1, 0, 20 * Ms) });
    const auto stats = m_model->statistics(0, 100 * Ms);
    QCOMPARE(stats.tasks, 2);
    QCOMPARE(stats.ok + stats.failed + stats.timedOut + stats.cancelled, 2);
    QCOMPARE(stats.cancelled, 1);
}

QTEST_GUILESS_MAIN(TestTimelineModel)
#include "tst_timelinemodel.moc"
