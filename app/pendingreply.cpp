#include "pendingreply.h"

PendingReply::PendingReply(QHttpServerResponder &&responder)
    : m_responder(std::move(responder))
    , m_socket(m_responder.socket())
{
}

PendingReply::~PendingReply()
{
    QObject::disconnect(m_watch);
}

void PendingReply::onClientGone(QObject *context, std::function<void()> hungUp)
{
    if (m_answered)
        return;
    if (isClientGone()) {
        hungUp();
        return;
    }
    QObject::disconnect(m_watch);
    m_watch = QObject::connect(m_socket.data(), &QAbstractSocket::disconnected, context, std::move(hungUp), Qt::SingleShotConnection);
}

bool PendingReply::send(const HttpReply &reply)
{
    Q_ASSERT(!m_answered);
    m_answered = true;
    QObject::disconnect(m_watch);
    if (isClientGone())
        return false;
    reply.writeTo(m_responder);
    return true;
}
