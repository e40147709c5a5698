#pragma once

// The answer to one request, written whenever it is ready: at once, or later from another thread.
//
// Made while the route runs, it takes the request's place in line on its connection, so that
// answers go out in the order of the requests even when a later one is ready first. Qt 6.4's own
// QFuture routes write to a raw socket pointer when the future completes, and crash the server
// if the client hung up meanwhile; the guarded pointers here let an answer for a client that is
// gone be dropped instead, and let the route learn that its client hung up, to give the request
// up. Used only on the server's thread.
#include "httpreply.h"

#include <QHttpServerResponder>
#include <QMetaObject>
#include <QPointer>
#include <QTcpSocket>

#include <functional>
#include <memory>

class HttpConnection;
class QThread;

class PendingReply
{
public:
    explicit PendingReply(QHttpServerResponder &&responder);
    // Stops watching for the client hanging up. One that was never sent leaves a hole in its
    // connection's line: the client gets a 500 and the connection closes.
    ~PendingReply();
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
    // Hands the reply over to be written (without its body for HEAD) unless the client is gone.
    // Returns whether it was handed over. Once only.
    bool send(const HttpReply &reply, bool withBody = true);
    // The same for an answer whose body is written a piece at a time as the client reads it
    // (see HttpConnection::answerStream).
    bool sendStream(const HttpReply &head, HttpReply::BodySource body);

private:
    // All of a body, piece after piece as they come, then the end of the connection.
    static void writeWhole(
        const QPointer<QTcpSocket> &socket, const std::shared_ptr<HttpReply::BodySource> &body);

    QPointer<QTcpSocket> m_socket;
    QPointer<HttpConnection> m_connection; // none for a connection our listener did not accept
    quint64 m_place = 0;
    QThread *m_thread; // the server's
    // A kept-alive connection outlives its answers: its later hang-up is none of ours.
    QMetaObject::Connection m_watch;
    bool m_sent = false;
};
