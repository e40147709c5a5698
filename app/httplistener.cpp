#include "httplistener.h"

#include "httpconnection.h"

#include <QTcpSocket>

#include <unistd.h>

HttpListener::HttpListener(const HttpLimits &limits, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
{
}

void HttpListener::incomingConnection(qintptr descriptor)
{
    // What QTcpServer does, with the connection's watcher in between.
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        ::close(int(descriptor));
        return;
    }
    // Its readyRead slot is connected first, so it sees each byte before Qt's parser does.
    auto *connection = new HttpConnection(socket, m_limits);
    connection->setUpgradeGate(m_upgradeGate);
    connect(connection, &HttpConnection::refused, this, &HttpListener::refused);
    // QHttpServer takes the socket at once (pendingConnectionAvailable is a direct signal in
    // Qt 6.4) and connects its own slot; ours for after its reads comes next.
    addPendingConnection(socket);
    if (hasPendingConnections())
        qWarning("HttpListener: QHttpServer did not take the connection at once; requests will not be limited");
    connection->followServer();
}
