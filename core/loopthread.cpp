#include "loopthread.h"

#include "handover.h"
#include "tracerecorder.h"

LoopThread::LoopThread(TraceRecorder *recorder, QObject *parent)
    : QThread(parent)
    , m_recorder(recorder)
    , m_context(new QObject)
{
    m_context->moveToThread(this);
}

LoopThread::~LoopThread()
{
    quit();
    wait();
}

void LoopThread::post(std::function<void()> fn)
{
    QMetaObject::invokeMethod(m_context, handOver(std::move(fn)), Qt::QueuedConnection);
}

void LoopThread::run()
{
    if (m_recorder)
        m_recorder->registerCurrentThread(ThreadKind::Loop);
    exec();
    // Tasks still here go now, on their own thread, while its TimerQueue and UpstreamClient
    // (deleted when the thread ends) still exist for them to cancel their timers and calls.
    delete m_context;
    m_context = nullptr;
}
