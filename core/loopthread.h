#pragma once

// A QThread that runs an event loop for tasks posted to it, on a "loop-N" lane.
#include <QThread>

#include <functional>

class TraceRecorder;

class LoopThread : public QThread
{
    Q_OBJECT
public:
    // A thread that only keeps timers (deadlines) runs no tasks and gets no lane: pass no
    // recorder.
    explicit LoopThread(TraceRecorder *recorder, QObject *parent = nullptr);
    ~LoopThread() override; // quits and joins

    // Runs fn in this thread's event loop, after what was posted before it.
    void post(std::function<void()> fn);
    // Lives in this thread; objects made there are parented to it so that none outlives it.
    // Deleted on this thread when its loop ends, before the thread's own timers and clients.
    QObject *context() const { return m_context; }

protected:
    void run() override;

private:
    TraceRecorder *m_recorder;
    QObject *m_context;
};
