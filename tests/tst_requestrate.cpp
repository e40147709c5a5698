// Requests per second from the trace: answers in the last second count, older ones slide out,
// what happened before the counter started does not count, and only request ends count.
#include "requestrate.h"
#include "tracerecorder.h"

#include <QtTest>

class TestRequestRate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countsRequestsEndedInTheLastSecond_data();
    void countsRequestsEndedInTheLastSecond();
    void startsFromWhatIsPublishedLater();
};

namespace {

void answer(TraceRecorder &recorder, int requests, int tasksEach = 0)
{
    const int route = recorder.routeId(QStringLiteral("/async-worker"));
    for (int i = 0; i < requests; ++i) {
        const quint64 id = recorder.requestStarted(route, 1000, tasksEach);
        for (int task = 0; task < tasksEach; ++task) {
            recorder.taskStarted(id, task, TaskKind::Timer, recorder.now());
            recorder.taskEnded(id, task, recorder.currentLane(), TaskStatus::Ok, recorder.now());
        }
        recorder.requestEnded(id, 200);
    }
}

} // namespace

void TestRequestRate::countsRequestsEndedInTheLastSecond_data()
{
    QTest::addColumn<int>("requests");
    QTest::addColumn<int>("tasksEach");
    QTest::addRow("none") << 0 << 0;
    QTest::addRow("one") << 1 << 0;
    QTest::addRow("tasks do not count") << 3 << 5;
    QTest::addRow("many") << 250 << 1;
}

void TestRequestRate::countsRequestsEndedInTheLastSecond()
{
    QFETCH(int, requests);
    QFETCH(int, tasksEach);
    TraceRecorder recorder;
    RequestRate rate(recorder);
    answer(recorder, requests, tasksEach);
    const qint64 now = recorder.now();
    QCOMPARE(rate.sample(now), double(requests));
    // Sampling again reads nothing new and counts nothing twice.
    QCOMPARE(rate.sample(now), double(requests));
    // A second later they have slid out of the window.
    QCOMPARE(rate.sample(now + RequestRate::WindowNs), 0.0);
}

void TestRequestRate::startsFromWhatIsPublishedLater()
{
    TraceRecorder recorder;
    answer(recorder, 4);
    recorder.flush();
    RequestRate rate(recorder);
    QCOMPARE(rate.sample(recorder.now()), 0.0);
    answer(recorder, 2);
    QCOMPARE(rate.sample(recorder.now()), 2.0);
}

QTEST_GUILESS_MAIN(TestRequestRate)
#include "tst_requestrate.moc"
