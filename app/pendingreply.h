#pragma once

// A response still to be written, for a request whose answer comes later from another thread.
//
// Qt 6.4's own QFuture routes write to a raw socket pointer when the future completes, and crash
// the server if the client hung up meanwhile. Holding the responder here, with a guarded pointer
// to its socket, lets an answer for a client that is gone be dropped instead. Used only on the
// server's thread.
#include "httpreply.h"

#include <QPointer>
#include <QTcpSocket>

class PendingReply
{
public:
    explicit PendingReply(QHttpServerResponder &&responder);

    // Gone, or hung up and about to be: either way nobody reads an answer any more.
    bool isClientGone() const { return m_socket.isNull() || m_socket->state() != QAbstractSocket::ConnectedState; }
    QTcpSocket *socket() const { return m_socket.data(); }
    // Writes the reply unless the client is gone. Returns whether it was written.
    bool send(const HttpReply &reply);

private:
    QHttpServerResponder m_responder;
    QPointer<QTcpSocket> m_socket;
};
