#include "pendingreply.h"

PendingReply::PendingReply(QHttpServerResponder &&responder)
    : m_responder(std::move(responder))
    , m_socket(m_responder.socket())
{
}

bool PendingReply::send(const HttpReply &reply)
{
    if (isClientGone())
        return false;
    reply.writeTo(m_responder);
    return true;
}
