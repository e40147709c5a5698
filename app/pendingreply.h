#pragma once

// The answer to one request, written whenever it is ready: at once, or later from another thread.
//
// Made while the route runs, it takes the request's place in line on its connection, so that
// answers go out in the order of the requests even when a later one is ready first. Qt 6.4's own
// QFuture routes write to a raw socket pointer when the future completes, and crash the server
// if the client hung up meanwhile; the guarded pointers here let an answer for a client that is
// gone be dropped instead. Used only on the server's thread.
#include "httpreply.h"

#include <QHttpServerResponder>
#include <QPointer>
#include <QTcpSocket>

class HttpConnection;
class QThread;

class PendingReply
{
public:
    explicit PendingReply(QHttpServerResponder &&responder);
    // One that was never sent leaves a hole in its connection's line: the client gets a 500 and
    // the connection closes.
    ~PendingReply();
    PendingReply(const PendingReply &) = delete;
    PendingReply &operator=(const PendingReply &) = delete;

    // Gone, or hung up and about to be: either way nobody reads an answer any more.
    bool isClientGone() const { return m_socket.isNull() || m_socket->state() != QAbstractSocket::ConnectedState; }
    QTcpSocket *socket() const { return m_socket.data(); }
    // Hands the reply over to be written (without its body for HEAD) unless the client is gone.
    // Returns whether it was handed over.
    bool send(const HttpReply &reply, bool withBody = true);

private:
    QPointer<QTcpSocket> m_socket;
    QPointer<HttpConnection> m_connection; // none for a connection our listener did not accept
    quint64 m_place = 0;
    QThread *m_thread; // the server's
    bool m_sent = false;
};
