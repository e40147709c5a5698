#include "localloop.h"

#include "fanin.h"
#include "task.h"
#include "timerqueue.h"
#include "upstreamclient.h"

#include <QEventLoop>

namespace {

void runTasks(const std::shared_ptr<FanIn> &fanIn, int maxInFlight)
{
    const int count = fanIn->size();
    const QDeadlineTimer deadline = fanIn->deadline();
    QEventLoop loop;
    QObject scope; // parent of every task: its destructor cancels what is still running
    int next = 0;
    int running = 0;

    // Starts tasks up to the limit. A task may finish inside start() (CPU work does), so this
    // can re-enter itself through onFinished; `starting` keeps that to one loop.
    bool starting = false;
    std::function<void()> startMore;
    auto onFinished = [&] {
        --running;
        if (next >= count && running == 0)
            loop.quit();
        else
            startMore();
    };
    startMore = [&] {
        if (starting)
            return;
        starting = true;
        while (running < maxInFlight && next < count && !deadline.hasExpired()) {
            const int index = next++;
            if (!fanIn->begin(index))
                continue;
            Task *task = Task::create(fanIn, index, &scope);
            ++running;
            QObject::connect(task, &Task::finished, &scope, onFinished);
            task->start();
        }
        starting = false;
        if ((next >= count || deadline.hasExpired()) && running == 0)
            loop.quit();
    };

    // QDeadlineTimer counts on CLOCK_MONOTONIC, as TimerQueue does.
    TimerQueue *timers = TimerQueue::forCurrentThread();
    const TimerQueue::Id deadlineTimer = timers->schedule(deadline.deadlineNSecs(), [&loop] { loop.quit(); });

    // abort() and abandon() come from other threads (the server stopping, the client hanging
    // up): they may only post to this loop.
    fanIn->setWakeUp([&loop] { QMetaObject::invokeMethod(&loop, &QEventLoop::quit, Qt::QueuedConnection); });
    startMore();
    if (!(next >= count && running == 0) && !deadline.hasExpired() && !fanIn->isCancelled())
        loop.exec();
    fanIn->setWakeUp({});
    timers->cancel(deadlineTimer);
}

} // namespace

void LocalLoop::run(const std::shared_ptr<FanIn> &fanIn, int maxInFlight)
{
    runTasks(fanIn, maxInFlight);
    // The tasks are gone. This thread runs no event loop until its next request, so the idle
    // timers of its upstream connections could not fire: close them now.
    if (UpstreamClient *client = UpstreamClient::existingForCurrentThread())
        client->closeIdle();
}
