#include "workerqueue.h"

#include "answerinbox.h"
#include "handover.h"

#include <QThreadPool>

WorkerQueue::WorkerQueue(QThreadPool &workers, int maxQueue, QObject *parent)
    : QObject(parent)
    , m_workers(workers)
    , m_inbox(AnswerInbox::create())
    , m_maxQueue(maxQueue)
{
}

WorkerQueue::~WorkerQueue()
{
    m_inbox->dropAll();
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
    // The answer stays here, on this thread; the worker carries only the view, the ticket and
    // the inbox. A plain runnable and a queued call: no QFuture continuation across threads.
    // Only ever as many views as workers, so the pool never queues one for long: at most for
    // the moment between a view's answer coming back here and its thread going idle.
    const AnswerInbox::Ticket ticket = m_inbox->expect(
        [this, answer = std::move(answer)](const HttpReply &reply) { answered(answer, reply); });
    // Handed over, so that ThreadSanitizer sees the order QThreadPool's queue gives.
    m_workers.start(handOver([inbox = m_inbox, ticket, view = std::move(view)] {
        AnswerInbox::handBack(inbox, ticket, view());
    }));
}

void WorkerQueue::answered(const Answer &answer, const HttpReply &reply)
{
    --m_running;
    answer(reply);
    dispatchWaiting();
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
