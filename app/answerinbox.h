#pragma once

// Where answers made on other threads (a pool thread, a loop thread) come back to the server's
// thread, without a QFuture continuation.
//
// Qt 6.4's QFuture::then(context, ...) across threads crashes the server under load (issue 12:
// QFutureInterfaceBase::reportStarted() from a posted continuation whose future is gone). Here
// the server's thread keeps each answer under a ticket (expect()); the other thread carries only
// the ticket and the reply it made, and posts them back with a queued call (handBack()). So the
// answers, which hold the server's objects (replies, `this`), are made, called and destroyed on
// the server's thread only, and an owner that goes away drops them (dropAll()): a late reply then
// finds no ticket and is dropped, never a call into an object that is gone.
//
// The inbox itself is shared: whoever may still hand a reply back holds it, so it outlives every
// queued call made to it. The last holder deletes it (later, on its thread, when that is another).
#include "httpreply.h"

#include <QObject>

#include <functional>
#include <memory>
#include <unordered_map>

class AnswerInbox : public QObject
{
    Q_OBJECT
public:
    using Answer = std::function<void(const HttpReply &)>;
    using Ticket = quint64;

    // An inbox on the calling thread, which is where the answers run.
    static std::shared_ptr<AnswerInbox> create();

    // This thread: keeps `answer` until its reply comes back. Returns its ticket (never 0).
    Ticket expect(Answer answer);
    // Any thread: the reply for `ticket`, answered later on this inbox's thread, unless the
    // ticket was dropped meanwhile. `self` is this inbox, kept alive until the call has run.
    static void handBack(const std::shared_ptr<AnswerInbox> &self, Ticket ticket, HttpReply reply);
    // This thread: forgets every answer still expected (their owner is going away); replies
    // that come back later are dropped.
    void dropAll();
    int expected() const { return int(m_answers.size()); }

private:
    AnswerInbox() = default;
    void answer(Ticket ticket, const HttpReply &reply);

    std::unordered_map<Ticket, Answer> m_answers;
    Ticket m_lastTicket = 0;
};
