#include "pendingreply.h"

#include "httpconnection.h"

#include <QThread>

PendingReply::PendingReply(QHttpServerResponder &&responder)
    : m_socket(responder.socket())
    , m_connection(HttpConnection::of(responder.socket()))
    , m_thread(QThread::currentThread())
{
    // The responder only knows the socket; we write the bytes ourselves, through the connection.
    if (m_connection)
        m_place = m_connection->reservePlace();
}

PendingReply::~PendingReply()
{
    QObject::disconnect(m_watch);
    // The guarded pointers may only be looked at on the thread their objects live on.
    if (!m_sent && QThread::currentThread() == m_thread && m_connection && !isClientGone())
        m_connection->abandon(m_place);
}

void PendingReply::onClientGone(QObject *context, std::function<void()> hungUp)
{
    if (m_sent)
        return;
    if (isClientGone()) {
        hungUp();
        return;
    }
    QObject::disconnect(m_watch);
    m_watch = QObject::connect(m_socket.data(), &QAbstractSocket::disconnected, context, std::move(hungUp), Qt::SingleShotConnection);
}

bool PendingReply::send(const HttpReply &reply, bool withBody)
{
    if (m_sent)
        return false;
    m_sent = true;
    QObject::disconnect(m_watch);
    if (isClientGone())
        return false;
    if (m_connection)
        m_connection->answer(m_place, reply, withBody);
    else
        m_socket->write(reply.toBytes(withBody));
    return true;
}

bool PendingReply::sendStream(const HttpReply &head, HttpReply::BodySource body)
{
    if (m_sent)
        return false;
    m_sent = true;
    QObject::disconnect(m_watch);
    if (isClientGone())
        return false;
    if (m_connection) {
        m_connection->answerStream(m_place, head, std::move(body));
        return true;
    }
    // A connection our listener did not accept has nobody to pace it: all of it, as HTTP/1.0.
    m_socket->write(HttpReply(head)
                        .withHeader(QByteArrayLiteral("Connection"), QByteArrayLiteral("close"))
                        .streamHead(false));
    writeWhole(m_socket, std::make_shared<HttpReply::BodySource>(std::move(body)));
    return true;
}

void PendingReply::writeWhole(
    const QPointer<QTcpSocket> &socket, const std::shared_ptr<HttpReply::BodySource> &body)
{
    (*body)([socket, body](const QByteArray &piece) {
        if (!socket)
            return;
        if (piece.isEmpty())
            return socket->disconnectFromHost();
        socket->write(piece);
        writeWhole(socket, body);
    });
}
