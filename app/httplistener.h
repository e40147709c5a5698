#pragma once

// The server's listening socket: puts an HttpConnection in front of each connection it accepts,
// before QHttpServer takes the connection and starts reading it. It accepts by itself, and backs
// off when the process runs out of file descriptors. At most maxConnections are open at once:
// past that it stops accepting (further clients wait in the kernel's backlog, as with nginx's
// worker_connections) until one closes.
#include "httplimits.h"

#include <QHostAddress>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTimer>

#include <memory>
#include <vector>

#include <functional>

class HttpConnection;

class HttpListener : public QTcpServer
{
    Q_OBJECT
public:
    explicit HttpListener(const HttpLimits &limits = {}, QObject *parent = nullptr);
    ~HttpListener() override;

    // listen(), then accepting as described above. Returns false with errorString() set.
    bool listenOn(const QHostAddress &address, quint16 port);
    // No more accepting, and the socket closed: use instead of close().
    void stopListening();
    // Who may send requests on the connections accepted from now on.
    void setAccessPolicy(std::shared_ptr<const AccessPolicy> policy)
    {
        m_limits.access = std::move(policy);
    }

    // accept() failures other than "nothing to accept" (EMFILE, ENFILE, ENOBUFS ...) so far.
    quint64 acceptErrors() const { return m_acceptErrors; }
    // Waiting before trying accept() again after a failure.
    bool isAcceptPaused() const { return m_backoff.isActive(); }
    // Connections open now, and how many may be (0: no limit).
    int openConnections() const { return m_openConnections; }
    void setMaxConnections(int max) { m_maxConnections = max; }
    int maxConnections() const { return m_maxConnections; }
    // Times accepting stopped because maxConnections were open.
    quint64 connectionLimitReached() const { return m_limitReached; }
    // Times a connection's requests were held back because its client did not read its answers
    // (HttpLimits::outputHighWaterBytes).
    quint64 heldBack() const { return m_heldBack; }

    // Qt's QTcpServer re-enables its own accepting here: keep it off.
    QTcpSocket *nextPendingConnection() override;

    // The first wait after a failure, doubled on each failure in a row up to the last.
    static constexpr int FirstBackoffMs = 10;
    static constexpr int MaxBackoffMs = 1000;
    // Asked, on this thread, as each WebSocket upgrade arrives: false answers it 503 instead.
    void setUpgradeGate(std::function<bool()> gate) { m_upgradeGate = std::move(gate); }

Q_SIGNALS:
    // A request was refused before it reached a route; see HttpConnection::refused().
    void refused(int status);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    void acceptPending();
    // A socket for an accepted descriptor, with its HttpConnection; none if Qt would not take it.
    HttpConnection *adopt(qintptr descriptor);
    // Gives QHttpServer the sockets of these connections, all at once, then lets each follow it.
    void handToServer(const std::vector<HttpConnection *> &connections);
    void backOff();
    bool isFull() const { return m_maxConnections > 0 && m_openConnections >= m_maxConnections; }
    void connectionClosed();

    HttpLimits m_limits;
    std::unique_ptr<QSocketNotifier> m_readable; // connections are waiting to be accepted
    QTimer m_backoff;
    int m_backoffMs = 0; // the last wait; 0 after an accept() that worked
    quint64 m_acceptErrors = 0;
    int m_openConnections = 0;
    int m_maxConnections = 0;
    quint64 m_limitReached = 0;
    quint64 m_heldBack = 0;
    std::function<bool()> m_upgradeGate;
};
