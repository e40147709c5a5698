#include "answerinbox.h"

#include "handover.h"
#include "threadboundshared.h"

#include <QThread>

std::shared_ptr<AnswerInbox> AnswerInbox::create()
{
    return makeThreadBoundShared(new AnswerInbox);
}

AnswerInbox::Ticket AnswerInbox::expect(Answer answer)
{
    Q_ASSERT(thread() == QThread::currentThread());
    m_answers.emplace(++m_lastTicket, std::move(answer));
    return m_lastTicket;
}

void AnswerInbox::handBack(const std::shared_ptr<AnswerInbox> &self, Ticket ticket, HttpReply reply)
{
    // The queued call holds the inbox, so it is delivered, never discarded with a deleted
    // receiver; handed over so that ThreadSanitizer sees the order the posted event gives.
    QMetaObject::invokeMethod(self.get(),
        handOver([self, ticket, reply = std::move(reply)] { self->answer(ticket, reply); }),
        Qt::QueuedConnection);
}

void AnswerInbox::dropAll()
{
    // Moved out first: destroying an answer may release what calls back in here.
    std::unordered_map<Ticket, Answer> dropped;
    dropped.swap(m_answers);
}

void AnswerInbox::answer(Ticket ticket, const HttpReply &reply)
{
    const auto it = m_answers.find(ticket);
    if (it == m_answers.end())
        return; // dropped: its owner is gone
    // Taken out before it is called: an answer may expect or drop others.
    const Answer call = std::move(it->second);
    m_answers.erase(it);
    call(reply);
}
