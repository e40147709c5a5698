#pragma once

// The server's listening socket: puts an HttpConnection in front of each connection it accepts,
// before QHttpServer takes the connection and starts reading it.
#include "httplimits.h"

#include <QTcpServer>

#include <functional>

class HttpListener : public QTcpServer
{
    Q_OBJECT
public:
    explicit HttpListener(const HttpLimits &limits = {}, QObject *parent = nullptr);
    // Asked, on this thread, as each WebSocket upgrade arrives: false answers it 503 instead.
    void setUpgradeGate(std::function<bool()> gate) { m_upgradeGate = std::move(gate); }

Q_SIGNALS:
    // A request was refused before it reached a route; see HttpConnection::refused().
    void refused(int status);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    const HttpLimits m_limits;
    std::function<bool()> m_upgradeGate;
};
