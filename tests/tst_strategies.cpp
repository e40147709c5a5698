// Every strategy: tasks overlap (or not, for /sequential), results are complete and right, the
// deadline holds, unfinished tasks are cancelled and leave nothing behind, an abandoned request
// gives up at once; the loop-worker helpers waitFor / waitResults / awaitOne.
#include "abandonment.h"
#include "continuationstrategy.h"
#include "fanin.h"
#include "fanoutplan.h"
#include "loopworker.h"
#include "loopworkersimplestrategy.h"
#include "loopworkerstrategy.h"
#include "scopedloopstrategy.h"
#include "sequentialstrategy.h"
#include "task.h"
#include "threadpoolstrategy.h"
#include "tracerecorder.h"

#include <QElapsedTimer>
#include <QtConcurrent>
#include <QtTest>

#include <memory>

class TestStrategies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void aTaskDoneAfterTheDeadlineTimedOut();

    void concurrentStrategiesOverlap_data();
    void concurrentStrategiesOverlap();
    void sequentialDoesNotOverlap();
    void resultsCompleteAndSeeded_data();
    void resultsCompleteAndSeeded();
    void deadlineCancelsUnfinished_data();
    void deadlineCancelsUnfinished();
    void nothingRunsAfterTheResponse();
    void failuresFollowThePlan_data();
    void failuresFollowThePlan();
    void zeroTasks_data();
    void zeroTasks();
    void thousandTasks_data();
    void thousandTasks();
    void cpuTasksHoldTheirThread();
    void cpuTaskStopsAtTheDeadline_data();
    void cpuTaskStopsAtTheDeadline();
    void abortAllReleasesWaitingViews_data();
    void abortAllReleasesWaitingViews();
    void abandonmentGivesUpAtOnce_data();
    void abandonmentGivesUpAtOnce();
    void abandonedBeforeItStartsRunsNothing_data();
    void abandonedBeforeItStartsRunsNothing();

    void waitForSplitsDoneAndNotDone();
    void waitResultsKeepsOnlySuccesses();
    void awaitOneResult();
    void awaitOneTimeout();
    void awaitOneFailure();
    void loopThreadsShareTheLoad();
    void stoppingLoopWorkerDeletesItsTasks();
    void blockingPoolTasksStopWhenAborted_data();
    void blockingPoolTasksStopWhenAborted();
    void noTaskStartsAfterTheDeadline();
    void continuationEndedByItsDeadlineIsClosedOffTheDeadlineThread();

private:
    FanOutStrategy *strategy(const QString &name) const;
    // Whether an event of this type was recorded for the request (any request if 0) since seq.
    bool recordedSince(quint64 seq, TraceEvent::Type type, quint64 requestId = 0) const;
    std::shared_ptr<FanIn> makeFanIn(const FanOutSpec &spec);

    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<LoopWorker> m_worker;
    std::vector<std::unique_ptr<FanOutStrategy>> m_strategies;
    quint64 m_nextRequest = 1000000;
};

namespace {

FanOutSpec makeSpec(int tasks, int latencyMs, int timeoutMs, TaskKind kind = TaskKind::Timer)
{
    FanOutSpec spec;
    spec.tasks = tasks;
    spec.latencyMs = latencyMs;
    spec.timeoutMs = timeoutMs;
    spec.kind = kind;
    spec.seed = 42;
    return spec;
}

void addConcurrentRows()
{
    QTest::addColumn<QString>("name");
    for (const char *name : { "async-scoped", "async-worker", "async-worker-simple" })
        QTest::addRow("%s", name) << QString::fromLatin1(name);
}

void addAllRows()
{
    QTest::addColumn<QString>("name");
    for (const char *name : { "sequential", "async-scoped", "async-worker", "async-worker-simple" })
        QTest::addRow("%s", name) << QString::fromLatin1(name);
}

} // namespace

void TestStrategies::initTestCase()
{
    m_recorder = std::make_unique<TraceRecorder>();
    m_worker = std::make_unique<LoopWorker>(*m_recorder, 2);
    m_strategies.push_back(std::make_unique<SequentialStrategy>(*m_recorder));
    m_strategies.push_back(std::make_unique<ScopedLoopStrategy>(*m_recorder));
    m_strategies.push_back(std::make_unique<LoopWorkerStrategy>(*m_recorder, *m_worker));
    m_strategies.push_back(std::make_unique<LoopWorkerSimpleStrategy>(*m_recorder, *m_worker));
}

void TestStrategies::cleanup()
{
    // Whatever a test did, no task may outlive it: cancelled ones are deleted on their thread.
    QTRY_COMPARE_WITH_TIMEOUT(Task::liveCount(), 0, 2000);
}

FanOutStrategy *TestStrategies::strategy(const QString &name) const
{
    for (const auto &s : m_strategies) {
        if (s->name() == name)
            return s.get();
    }
    return nullptr;
}

bool TestStrategies::recordedSince(quint64 seq, TraceEvent::Type type, quint64 requestId) const
{
    const QVector<TraceEvent> events = m_recorder->eventsSince(seq);
    return std::any_of(events.cbegin(), events.cend(), [type, requestId](const TraceEvent &e) {
        return e.type == type && (requestId == 0 || e.requestId == requestId);
    });
}

std::shared_ptr<FanIn> TestStrategies::makeFanIn(const FanOutSpec &spec)
{
    return std::make_shared<FanIn>(*m_recorder, m_nextRequest++, FanOutPlan(spec),
        QDeadlineTimer(spec.timeoutMs, Qt::PreciseTimer));
}

void TestStrategies::aTaskDoneAfterTheDeadlineTimedOut()
{
    // A thread busy under load may finish a task after its request's deadline, before the view
    // notices the deadline: the result must not count. One task finishes in time, one late.
    FanIn fanIn(*m_recorder, m_nextRequest++, FanOutPlan(makeSpec(2, 10, 3000)),
        QDeadlineTimer(3000, Qt::PreciseTimer));
    QVERIFY(fanIn.begin(0, true) && fanIn.begin(1, true));
    QVERIFY(fanIn.finish(0, TaskStatus::Ok, {}, 1.5));
    QCOMPARE(fanIn.outcome(0).status, TaskStatus::Ok);
    FanIn late(*m_recorder, m_nextRequest++, FanOutPlan(makeSpec(2, 10, 3000)), QDeadlineTimer(0));
    QVERIFY(late.begin(0, true) == false); // too late to start, too
    QVERIFY(late.finish(1, TaskStatus::Ok, {}, 2.5));
    QCOMPARE(late.outcome(1).status, TaskStatus::TimedOut);
    QVERIFY(late.finish(0, TaskStatus::Failed, QStringLiteral("boom"), std::nullopt));
    QCOMPARE(late.outcome(0).status, TaskStatus::TimedOut);
    QVERIFY(late.outcome(0).error.isEmpty());
}

void TestStrategies::concurrentStrategiesOverlap_data()
{
    addConcurrentRows();
}

void TestStrategies::concurrentStrategiesOverlap()
{
    QFETCH(QString, name);
    const FanOutResult result = strategy(name)->execute(makeSpec(10, 200, 3000));
    QCOMPARE(result.tasks.size(), 10);
    QCOMPARE(result.count(TaskStatus::Ok), 10);
    // Ten 200 ms tasks at once take about 200 ms, one after another 2 s.
    QVERIFY2(result.elapsedMs() >= 200, qPrintable(QString::number(result.elapsedMs())));
    QVERIFY2(result.elapsedMs() < 600, qPrintable(QString::number(result.elapsedMs())));
    qint64 lastStart = 0;
    qint64 firstEnd = std::numeric_limits<qint64>::max();
    for (const TaskOutcome &task : result.tasks) {
        lastStart = std::max(lastStart, task.startNs);
        firstEnd = std::min(firstEnd, task.endNs);
    }
    QVERIFY2(lastStart < firstEnd, "every task was running at one moment");
}

void TestStrategies::sequentialDoesNotOverlap()
{
    const FanOutResult result
        = strategy(QStringLiteral("sequential"))->execute(makeSpec(5, 100, 3000));
    QCOMPARE(result.count(TaskStatus::Ok), 5);
    QVERIFY2(result.elapsedMs() >= 500, qPrintable(QString::number(result.elapsedMs())));
    for (int i = 1; i < result.tasks.size(); ++i)
        QVERIFY(result.tasks.at(i).startNs >= result.tasks.at(i - 1).endNs);
    // All on the view's own thread.
    const QString thread = result.laneNames.value(result.tasks.constFirst().lane);
    for (const TaskOutcome &task : result.tasks)
        QCOMPARE(result.laneNames.value(task.lane), thread);
}

void TestStrategies::resultsCompleteAndSeeded_data()
{
    addAllRows();
}

void TestStrategies::resultsCompleteAndSeeded()
{
    QFETCH(QString, name);
    const FanOutSpec spec = makeSpec(4, 10, 3000);
    const FanOutResult result = strategy(name)->execute(spec);
    const FanOutPlan plan(spec);
    QCOMPARE(result.seed, quint64(42));
    QCOMPARE(result.strategy, name);
    QCOMPARE(result.tasks.size(), plan.size());
    for (int i = 0; i < plan.size(); ++i) {
        const TaskOutcome &task = result.tasks.at(i);
        QCOMPARE(task.index, i);
        QCOMPARE(task.status, TaskStatus::Ok);
        QCOMPARE(task.balance, plan.task(i).balance);
        QVERIFY(task.startNs >= result.startNs);
        QVERIFY(task.endNs >= task.startNs + 10 * 1000000);
        const QString thread = result.laneNames.value(task.lane);
        const bool onLoop = name.startsWith(QLatin1String("async-worker"));
        QVERIFY2(thread.startsWith(onLoop ? QLatin1String("loop-") : QLatin1String("thread-")),
            qPrintable(thread)); // the test's main thread has no kind: "thread-N"
    }
    const QJsonObject json = result.toJson();
    QCOMPARE(json.value(QStringLiteral("data")).toArray().size(), 4);
    QCOMPARE(json.value(QStringLiteral("data"))
                 .toArray()
                 .at(2)
                 .toObject()
                 .value(QStringLiteral("account-2"))
                 .toDouble(),
        plan.task(2).balance);
}

void TestStrategies::deadlineCancelsUnfinished_data()
{
    addAllRows();
}

void TestStrategies::deadlineCancelsUnfinished()
{
    QFETCH(QString, name);
    QElapsedTimer clock;
    clock.start();
    const FanOutResult result = strategy(name)->execute(makeSpec(10, 5000, 150));
    const qint64 tookMs = clock.elapsed();
    QVERIFY2(tookMs >= 150, qPrintable(QString::number(tookMs)));
    QVERIFY2(tookMs < 1000, qPrintable(QString::number(tookMs)));
    QCOMPARE(result.count(TaskStatus::TimedOut), 10);
    for (const TaskOutcome &task : result.tasks)
        QVERIFY(task.endNs <= result.endNs);
    // cleanup() checks that the cancelled tasks are gone, timers and all.
}

void TestStrategies::nothingRunsAfterTheResponse()
{
    // Tasks of 400 ms cut at 50 ms; then a request that outlives them. If a cancelled task still
    // fired, the recorder would hold an event of the first request after its end.
    const FanOutResult cut
        = strategy(QStringLiteral("async-worker"))->execute(makeSpec(5, 400, 50));
    QCOMPARE(cut.count(TaskStatus::TimedOut), 5);
    const FanOutResult later
        = strategy(QStringLiteral("async-worker"))->execute(makeSpec(1, 600, 3000));
    QCOMPARE(later.count(TaskStatus::Ok), 1);

    bool ended = false;
    int eventsAfterEnd = 0;
    for (const TraceEvent &event : m_recorder->eventsSince(0)) {
        if (event.requestId != cut.requestId)
            continue;
        if (ended)
            ++eventsAfterEnd;
        if (event.type == TraceEvent::Type::RequestEnded)
            ended = true;
    }
    QVERIFY(ended);
    QCOMPARE(eventsAfterEnd, 0);
}

void TestStrategies::failuresFollowThePlan_data()
{
    addAllRows();
}

void TestStrategies::failuresFollowThePlan()
{
    QFETCH(QString, name);
    FanOutSpec spec = makeSpec(20, 5, 3000);
    spec.failRate = 0.5;
    const FanOutPlan plan(spec);
    const FanOutResult result = strategy(name)->execute(spec);
    int failed = 0;
    for (int i = 0; i < plan.size(); ++i) {
        QCOMPARE(
            result.tasks.at(i).status, plan.task(i).fails ? TaskStatus::Failed : TaskStatus::Ok);
        failed += plan.task(i).fails;
    }
    QVERIFY(failed > 0 && failed < 20); // seed 42 draws some of each
    QCOMPARE(result.toJson().value(QStringLiteral("data")).toArray().size(), 20 - failed);
}

void TestStrategies::zeroTasks_data()
{
    addAllRows();
}

void TestStrategies::zeroTasks()
{
    QFETCH(QString, name);
    const FanOutResult result = strategy(name)->execute(makeSpec(0, 1000, 3000));
    QVERIFY(result.tasks.isEmpty());
    QVERIFY(result.elapsedMs() < 100);
}

void TestStrategies::thousandTasks_data()
{
    addConcurrentRows();
}

void TestStrategies::thousandTasks()
{
    QFETCH(QString, name);
    const FanOutResult result = strategy(name)->execute(makeSpec(1000, 100, 5000));
    QCOMPARE(result.count(TaskStatus::Ok), 1000);
    QVERIFY2(result.elapsedMs() < 1500, qPrintable(QString::number(result.elapsedMs())));
}

void TestStrategies::cpuTasksHoldTheirThread()
{
    // CPU work holds the thread it runs on: four 60 ms tasks over two loop threads cannot finish
    // in less than two tasks' time, and each one is spread to a loop thread.
    const FanOutResult result
        = strategy(QStringLiteral("async-worker"))->execute(makeSpec(4, 60, 3000, TaskKind::Cpu));
    QCOMPARE(result.count(TaskStatus::Ok), 4);
    QVERIFY2(result.elapsedMs() >= 120, qPrintable(QString::number(result.elapsedMs())));
    QSet<int> lanes;
    for (const TaskOutcome &task : result.tasks) {
        QVERIFY(task.endNs - task.startNs >= 60 * 1000000);
        lanes.insert(task.lane);
    }
    QCOMPARE(lanes.size(), 2);
}

void TestStrategies::cpuTaskStopsAtTheDeadline_data()
{
    addAllRows();
}

void TestStrategies::cpuTaskStopsAtTheDeadline()
{
    QFETCH(QString, name);
    QElapsedTimer clock;
    clock.start();
    const FanOutResult result = strategy(name)->execute(makeSpec(2, 10000, 100, TaskKind::Cpu));
    QCOMPARE(result.count(TaskStatus::TimedOut), 2);
    QVERIFY2(clock.elapsed() < 2000, qPrintable(QString::number(clock.elapsed())));
    // The loop threads are free again: a quick request is quick.
    const FanOutResult next
        = strategy(QStringLiteral("async-worker"))->execute(makeSpec(2, 10, 3000));
    QCOMPARE(next.count(TaskStatus::Ok), 2);
    QVERIFY2(next.elapsedMs() < 1000, qPrintable(QString::number(next.elapsedMs())));
}

void TestStrategies::abortAllReleasesWaitingViews_data()
{
    addAllRows();
}

void TestStrategies::abortAllReleasesWaitingViews()
{
    QFETCH(QString, name);
    // A strategy of its own: abortAll() is for good.
    std::unique_ptr<FanOutStrategy> doomed;
    if (name == QLatin1String("sequential"))
        doomed = std::make_unique<SequentialStrategy>(*m_recorder);
    else if (name == QLatin1String("async-scoped"))
        doomed = std::make_unique<ScopedLoopStrategy>(*m_recorder);
    else if (name == QLatin1String("async-worker"))
        doomed = std::make_unique<LoopWorkerStrategy>(*m_recorder, *m_worker);
    else
        doomed = std::make_unique<LoopWorkerSimpleStrategy>(*m_recorder, *m_worker);

    const quint64 seqBefore = m_recorder->lastSeq();
    QElapsedTimer clock;
    clock.start();
    QFuture<FanOutResult> running
        = QtConcurrent::run([&doomed] { return doomed->execute(makeSpec(3, 30000, 30000)); });
    // Wait until a task has started, then stop everything.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const TraceEvent &e : m_recorder->eventsSince(seqBefore)) {
                if (e.type == TraceEvent::Type::TaskStarted)
                    return true;
            }
            return false;
        }(),
        5000);
    doomed->abortAll();
    QTRY_VERIFY_WITH_TIMEOUT(running.isFinished(), 5000);
    QVERIFY(clock.elapsed() < 10000);
    QCOMPARE(running.result().count(TaskStatus::TimedOut), 3);
    // Once aborted, later requests give up at once.
    QElapsedTimer again;
    again.start();
    QCOMPARE(doomed->execute(makeSpec(2, 30000, 30000)).count(TaskStatus::TimedOut), 2);
    QVERIFY(again.elapsed() < 1000);
}

void TestStrategies::abandonmentGivesUpAtOnce_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<TaskKind>("kind");
    for (const char *name :
        { "sequential", "async-scoped", "async-worker", "async-worker-simple" }) {
        QTest::addRow("%s timer", name) << QString::fromLatin1(name) << TaskKind::Timer;
        QTest::addRow("%s cpu", name) << QString::fromLatin1(name) << TaskKind::Cpu;
    }
}

void TestStrategies::abandonmentGivesUpAtOnce()
{
    // The client hangs up while tasks run: the view returns at once, long before its deadline,
    // and every task is stopped, CPU work included (it polls between slices).
    QFETCH(QString, name);
    QFETCH(TaskKind, kind);
    FanOutStrategy *running = strategy(name);
    auto abandonment = std::make_shared<Abandonment>();
    const quint64 seqBefore = m_recorder->lastSeq();
    QFuture<FanOutResult> view = QtConcurrent::run([running, abandonment, kind] {
        return running->execute(makeSpec(4, 30000, 30000, kind), abandonment);
    });
    QTRY_VERIFY_WITH_TIMEOUT(recordedSince(seqBefore, TraceEvent::Type::TaskStarted), 5000);
    QElapsedTimer clock;
    clock.start();
    abandonment->abandon();
    QTRY_VERIFY_WITH_TIMEOUT(view.isFinished(), 5000);
    QVERIFY2(clock.elapsed() < 500, qPrintable(QString::number(clock.elapsed())));
    const FanOutResult result = view.result();
    QCOMPARE(result.httpStatus, TraceEvent::AbandonedStatus);
    QCOMPARE(result.count(TaskStatus::Cancelled), 4);
    QTRY_COMPARE_WITH_TIMEOUT(Task::liveCount(), 0, 500); // stopped, not left to run on
    // And the trace says so: the request ended 499 after its tasks ended cancelled.
    int cancelled = 0;
    bool ended = false;
    for (const TraceEvent &e : m_recorder->eventsSince(seqBefore)) {
        if (e.requestId != result.requestId)
            continue;
        QVERIFY(!ended);
        if (e.type == TraceEvent::Type::TaskEnded)
            cancelled += e.status == TaskStatus::Cancelled;
        if (e.type == TraceEvent::Type::RequestEnded) {
            QCOMPARE(int(e.httpStatus), TraceEvent::AbandonedStatus);
            ended = true;
        }
    }
    QVERIFY(ended);
    QCOMPARE(cancelled, 4);
}

void TestStrategies::abandonedBeforeItStartsRunsNothing_data()
{
    addAllRows();
}

void TestStrategies::abandonedBeforeItStartsRunsNothing()
{
    // Abandoned while it waited for a worker: when the view gets one, nothing of it runs.
    QFETCH(QString, name);
    auto abandonment = std::make_shared<Abandonment>();
    abandonment->abandon();
    const quint64 seqBefore = m_recorder->lastSeq();
    QElapsedTimer clock;
    clock.start();
    const FanOutResult result = strategy(name)->execute(makeSpec(5, 30000, 30000), abandonment);
    QVERIFY2(clock.elapsed() < 500, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(result.httpStatus, TraceEvent::AbandonedStatus);
    QCOMPARE(result.count(TaskStatus::Cancelled), 5);
    for (const TaskOutcome &task : result.tasks)
        QCOMPARE(task.startNs, -1);
    QVERIFY(!recordedSince(seqBefore, TraceEvent::Type::TaskStarted, result.requestId));
}

void TestStrategies::waitForSplitsDoneAndNotDone()
{
    // Latencies drawn from 300 ± 290 ms, cut at 300 ms: the plan says which side each falls on.
    FanOutSpec spec = makeSpec(40, 300, 300);
    spec.jitterMs = 290;
    auto fanIn = makeFanIn(spec);
    const LoopWorker::Waited waited = m_worker->waitFor(m_worker->schedule(fanIn));
    QCOMPARE(waited.done.size() + waited.notDone.size(), 40);
    int checked = 0;
    for (const TaskOutcome &task : waited.done) {
        QCOMPARE(task.status, TaskStatus::Ok);
        QVERIFY(fanIn->plan().task(task.index).latencyNs < 300 * 1000000);
    }
    for (const TaskOutcome &task : waited.notDone) {
        QCOMPARE(task.status, TaskStatus::TimedOut);
        // Noise-proof: only tasks well clear of the deadline must have missed it.
        const qint64 latency = fanIn->plan().task(task.index).latencyNs;
        QVERIFY(latency > 200 * 1000000);
        checked += latency > 400 * 1000000;
    }
    QVERIFY(!waited.done.isEmpty());
    QVERIFY(checked > 0);
}

void TestStrategies::waitResultsKeepsOnlySuccesses()
{
    FanOutSpec spec = makeSpec(20, 5, 3000);
    spec.failRate = 0.5;
    auto fanIn = makeFanIn(spec);
    const QVector<TaskOutcome> results = m_worker->waitResults(m_worker->schedule(fanIn));
    int expected = 0;
    for (const TaskPlan &task : fanIn->plan().tasks())
        expected += !task.fails;
    QCOMPARE(results.size(), expected);
    for (const TaskOutcome &task : results) {
        QCOMPARE(task.status, TaskStatus::Ok);
        QCOMPARE(task.balance, fanIn->plan().task(task.index).balance);
    }
}

void TestStrategies::awaitOneResult()
{
    auto fanIn = makeFanIn(makeSpec(1, 20, 3000));
    const TaskOutcome outcome = m_worker->awaitOne(fanIn);
    QCOMPARE(outcome.status, TaskStatus::Ok);
    QCOMPARE(outcome.balance, fanIn->plan().task(0).balance);
}

void TestStrategies::awaitOneTimeout()
{
    QElapsedTimer clock;
    clock.start();
    const TaskOutcome outcome = m_worker->awaitOne(makeFanIn(makeSpec(1, 10000, 50)));
    QCOMPARE(outcome.status, TaskStatus::TimedOut);
    QVERIFY(clock.elapsed() < 1000);
}

void TestStrategies::awaitOneFailure()
{
    FanOutSpec spec = makeSpec(1, 5, 3000);
    spec.failRate = 1;
    const TaskOutcome outcome = m_worker->awaitOne(makeFanIn(spec));
    QCOMPARE(outcome.status, TaskStatus::Failed);
    QVERIFY(!outcome.error.isEmpty());
}

void TestStrategies::loopThreadsShareTheLoad()
{
    const FanOutResult result
        = strategy(QStringLiteral("async-worker"))->execute(makeSpec(10, 5, 3000));
    QMap<QString, int> perThread;
    for (const TaskOutcome &task : result.tasks)
        ++perThread[result.laneNames.value(task.lane)];
    QCOMPARE(perThread.size(), 2);
    for (int count : std::as_const(perThread))
        QCOMPARE(count, 5);
}

void TestStrategies::stoppingLoopWorkerDeletesItsTasks()
{
    const int before = Task::liveCount();
    {
        LoopWorker worker(*m_recorder, 2);
        worker.schedule(makeFanIn(makeSpec(6, 60000, 60000)));
        QTRY_COMPARE_WITH_TIMEOUT(Task::liveCount(), before + 6, 2000);
    } // no release, no abort: the worker's threads end with tasks still waiting
    QCOMPARE(Task::liveCount(), before);
}

void TestStrategies::blockingPoolTasksStopWhenAborted_data()
{
    QTest::addColumn<TaskKind>("kind");
    QTest::addRow("timer") << TaskKind::Timer;
    QTest::addRow("cpu") << TaskKind::Cpu;
}

void TestStrategies::blockingPoolTasksStopWhenAborted()
{
    // Tasks of an answered request block their pool threads on; a stopping server ends them.
    QFETCH(TaskKind, kind);
    QThreadPool pool;
    pool.setMaxThreadCount(4);
    ThreadPoolStrategy strategy(*m_recorder, pool);
    const FanOutResult result = strategy.execute(makeSpec(3, 30000, 50, kind));
    QCOMPARE(result.count(TaskStatus::TimedOut), 3);
    QCOMPARE(pool.activeThreadCount(), 3); // still blocked by their tasks
    QElapsedTimer clock;
    clock.start();
    strategy.abortAll();
    QVERIFY(pool.waitForDone(5000));
    QVERIFY2(clock.elapsed() < 2000, qPrintable(QString::number(clock.elapsed())));
}

void TestStrategies::noTaskStartsAfterTheDeadline()
{
    auto fanIn = makeFanIn(makeSpec(2, 10, 1));
    QTRY_VERIFY_WITH_TIMEOUT(fanIn->deadline().hasExpired(), 1000);
    QVERIFY(!fanIn->begin(0));
    QCOMPARE(
        fanIn->outcome(0).status, TaskStatus::Queued); // the request expires it, not the thread
    QCOMPARE(fanIn->expireUnfinished(), 2);
}

void TestStrategies::continuationEndedByItsDeadlineIsClosedOffTheDeadlineThread()
{
    // The deadline thread keeps every continuation's deadline: closing a request and making its
    // answer (~40 ms for 10,000 tasks) there would make every other deadline due meanwhile late.
    ContinuationStrategy continuation(*m_recorder, *m_worker);
    std::atomic<bool> done { false };
    std::atomic<bool> closedOnDeadlineThread { true };
    std::atomic<int> timedOut { 0 };
    continuation.start(makeSpec(20, 5000, 50), {}, [&](const FanOutResult &result) {
        closedOnDeadlineThread.store(m_worker->isDeadlineThread());
        timedOut.store(int(std::count_if(result.tasks.cbegin(), result.tasks.cend(),
            [](const TaskOutcome &o) { return o.status == TaskStatus::TimedOut; })));
        done.store(true);
    });
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 5000);
    QCOMPARE(timedOut.load(), 20); // the deadline ended it
    QVERIFY(!closedOnDeadlineThread.load());
}

QTEST_GUILESS_MAIN(TestStrategies)
#include "tst_strategies.moc"
