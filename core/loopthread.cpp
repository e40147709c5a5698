#include "loopthread.h"

#include "tracerecorder.h"

LoopThread::LoopThread(TraceRecorder &recorder, QObject *parent)
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
    // The thread has stopped: deleting its objects from here cannot race with it.
    delete m_context;
}

void LoopThread::post(std::function<void()> fn)
{
    QMetaObject::invokeMethod(m_context, std::move(fn), Qt::QueuedConnection);
}

void LoopThread::run()
{
    m_recorder.registerCurrentThread(ThreadKind::Loop);
    exec();
}
