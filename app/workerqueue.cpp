#include "workerqueue.h"

#include "handover.h"

#include <QThreadPool>
#include <QtConcurrent>

WorkerQueue::WorkerQueue(QThreadPool &workers, int maxQueue, QObject *parent)
    : QObject(parent)
    , m_workers(workers)
    , m_maxQueue(maxQueue)
{
}

WorkerQueue::Ticket WorkerQueue::submit(View view, Answer answer)
{
    if (m_closed)
        return 0;
    if (m_running < m_workers.maxThreadCount()) {
        dispatch(std::move(view), std::move(answer));
        return ++m_lastTicket;
    }
    if (waiting() >= m_maxQueue)
        return 0;
    m_waiting.push_back({ ++m_lastTicket, std::move(view), std::move(answer) });
    counted();
    return m_lastTicket;
}

bool WorkerQueue::withdraw(Ticket ticket)
{
    const auto it = std::find_if(m_waiting.begin(), m_waiting.end(), [ticket](const Waiting &w) { return w.ticket == ticket; });
    if (it == m_waiting.end())
        return false;
    m_waiting.erase(it);
    counted();
    return true;
}

void WorkerQueue::close(const HttpReply &refusal)
{
    m_closed = true;
    // Moved out first: an answer may call back into the queue (withdraw), which must find it
    // consistent.
    std::deque<Waiting> refused;
    refused.swap(m_waiting);
    counted();
    for (const Waiting &waiting : refused)
        waiting.answer(refusal);
}

void WorkerQueue::dispatch(View view, Answer answer)
{
    ++m_running;
    // Only ever as many views as workers, so the pool never queues one for long: at most for
    // the moment between a view's answer coming back here and its thread going idle.
    // Handed over both ways, so that ThreadSanitizer sees the order Qt's queues give.
    QtConcurrent::run(&m_workers, handOver(std::move(view))).then(this, handOverTaking<const HttpReply &>([this, answer = std::move(answer)](const HttpReply &reply) {
        --m_running;
        answer(reply);
        dispatchWaiting();
    }));
}

void WorkerQueue::dispatchWaiting()
{
    while (!m_closed && !m_waiting.empty() && m_running < m_workers.maxThreadCount()) {
        Waiting next = std::move(m_waiting.front());
        m_waiting.pop_front();
        counted();
        dispatch(std::move(next.view), std::move(next.answer));
    }
}
