#pragma once

// The server's listening socket: puts an HttpConnection in front of each connection it accepts,
// before QHttpServer takes the connection and starts reading it.
#include "httplimits.h"

#include <QTcpServer>

class HttpListener : public QTcpServer
{
    Q_OBJECT
public:
    explicit HttpListener(const HttpLimits &limits = {}, QObject *parent = nullptr);

Q_SIGNALS:
    // A request was refused before it reached a route; see HttpConnection::refused().
    void refused(int status);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    const HttpLimits m_limits;
};
