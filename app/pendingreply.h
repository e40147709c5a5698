#pragma once

// A response still to be written, for a request whose answer comes later from another thread.
//
// Qt 6.4's own QFuture routes write to a raw socket pointer when the future completes, and crash
// the server if the client hung up meanwhile. Holding the responder here, with a guarded pointer
// to its socket, lets an answer for a client that is gone be dropped instead, and lets the route
// learn that its client hung up, to give the request up. Used only on the server's thread.
#include "httpreply.h"

#include <QMetaObject>
#include <QPointer>
#include <QTcpSocket>

#include <functional>

class PendingReply
{
public:
    explicit PendingReply(QHttpServerResponder &&responder);
    ~PendingReply(); // stops watching for the client hanging up
    PendingReply(const PendingReply &) = delete;
    PendingReply &operator=(const PendingReply &) = delete;

    // Gone, or hung up and about to be: either way nobody reads an answer any more.
    bool isClientGone() const { return m_socket.isNull() || m_socket->state() != QAbstractSocket::ConnectedState; }
    QTcpSocket *socket() const { return m_socket.data(); }
    // Calls hungUp once, in context's thread (the server's), if the client hangs up before the
    // answer is written; at once if it is gone already; never if it has been answered. hungUp
    // must not hold this reply: the watch lives as long as the connection, which would then
    // keep the reply alive too.
    void onClientGone(QObject *context, std::function<void()> hungUp);
    // Writes the reply unless the client is gone. Returns whether it was written. Once only.
    bool send(const HttpReply &reply);

private:
    QHttpServerResponder m_responder;
    QPointer<QTcpSocket> m_socket;
    // A kept-alive connection outlives its answers: its later hang-up is none of ours.
    QMetaObject::Connection m_watch;
    bool m_answered = false;
};
