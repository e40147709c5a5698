#pragma once

// Admits fan-out views to the request worker pool, on the server's thread: at most one view per
// worker runs, at most maxQueue more wait in arrival order, and the rest are turned away at once.
//
// The queue is ours rather than QThreadPool's so that a request whose client hangs up while it
// waits can be taken out, free its place at once and never run, and so that a stopping server
// can answer the ones still waiting instead of dropping them.
//
// A view's reply comes back through an AnswerInbox (a queued call, no QFuture continuation), so
// its answer runs on this thread or, if the queue is destroyed first, never: a view still running
// then finishes on its worker and its reply is dropped.
#include "httpreply.h"

#include <QObject>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

class AnswerInbox;
class QThreadPool;

class WorkerQueue : public QObject
{
    Q_OBJECT
public:
    using View = std::function<HttpReply()>; // runs on a worker
    using Answer = std::function<void(const HttpReply &)>; // runs on this thread afterwards
    using Ticket = quint64; // 0: refused

    WorkerQueue(QThreadPool &workers, int maxQueue, QObject *parent = nullptr);
    // Answers nothing more: the answers of views still running are dropped with it.
    ~WorkerQueue() override;

    // Runs the view on a free worker, or queues it if none is free; its answer is then called on
    // this thread (before submit() returns, if the view is that quick). Returns 0, calling
    // nothing, if the queue is full or closed.
    Ticket submit(View view, Answer answer);
    // Takes the request out of the queue if it still waits there: it never runs and its answer
    // is never called. Returns whether it was waiting.
    bool withdraw(Ticket ticket);
    // Admits nothing more; the requests still waiting are answered `refusal` now. Views running
    // go on and are answered as usual.
    void close(const HttpReply &refusal);

    bool isClosed() const { return m_closed; }
    int running() const { return m_running; }
    int waiting() const { return int(m_waiting.size()); }
    // The same, readable from any thread (the window's status bar reads it).
    int waitingNow() const { return m_waitingNow.load(std::memory_order_relaxed); }

private:
    struct Waiting {
        Ticket ticket;
        View view;
        Answer answer;
    };
    void dispatch(View view, Answer answer);
    void dispatchWaiting();
    void answered(const Answer &answer, const HttpReply &reply);
    void counted() { m_waitingNow.store(int(m_waiting.size()), std::memory_order_relaxed); }

    QThreadPool &m_workers;
    // Shared with the views running, which hand their replies back through it.
    std::shared_ptr<AnswerInbox> m_inbox;
    const int m_maxQueue;
    std::deque<Waiting> m_waiting;
    int m_running = 0;
    Ticket m_lastTicket = 0;
    bool m_closed = false;
    std::atomic<int> m_waitingNow { 0 };
};
