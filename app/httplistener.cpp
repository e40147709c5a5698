#include "httplistener.h"

#include "httpconnection.h"

#include <QScopeGuard>
#include <QSignalBlocker>
#include <QTcpSocket>

#include <algorithm>
#include <vector>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

HttpListener::HttpListener(const HttpLimits &limits, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
{
    m_backoff.setSingleShot(true);
    connect(&m_backoff, &QTimer::timeout, this, [this] {
        // If connections still wait, the notifier fires at once and accept() is tried again.
        if (m_readable && !isFull())
            m_readable->setEnabled(true);
    });
}

// The notifier goes before QTcpServer's destructor closes the socket it watches.
HttpListener::~HttpListener() = default;

bool HttpListener::listenOn(const QHostAddress &address, quint16 port)
{
    if (!listen(address, port))
        return false;
    // Qt 6.4's own accept loop spins when accept() fails with EMFILE: its socket engine keeps
    // the first error it ever had ("temporary", from the EAGAIN that ends every accept loop), so
    // it never pauses, and the listening socket stays readable. Its notifier stays off; ours
    // backs off instead.
    QTcpServer::pauseAccepting();
    m_readable = std::make_unique<QSocketNotifier>(socketDescriptor(), QSocketNotifier::Read);
    connect(m_readable.get(), &QSocketNotifier::activated, this, &HttpListener::acceptPending);
    return true;
}

void HttpListener::stopListening()
{
    m_backoff.stop();
    m_readable.reset(); // before the descriptor is closed, and perhaps reused
    close();
}

QTcpSocket *HttpListener::nextPendingConnection()
{
    QTcpSocket *socket = QTcpServer::nextPendingConnection();
    if (m_readable)
        QTcpServer::pauseAccepting();
    return socket;
}

void HttpListener::acceptPending()
{
    // A bounded batch per wake-up, so that a flood of connections does not starve the answers:
    // each costs ~0.1 ms here (a socket, its HttpConnection, Qt's request parser).
    constexpr int MaxAcceptsAtOnce = 16;
    std::vector<HttpConnection *> accepted;
    accepted.reserve(MaxAcceptsAtOnce);
    const auto handOver = qScopeGuard([&] { handToServer(accepted); });
    for (int i = 0; i < MaxAcceptsAtOnce; ++i) {
        if (isFull()) {
            // The rest wait in the backlog; the next connection to close lets one in.
            ++m_limitReached;
            m_readable->setEnabled(false);
            return;
        }
        const int descriptor
            = ::accept4(int(socketDescriptor()), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (descriptor >= 0) {
            m_backoffMs = 0;
            if (HttpConnection *connection = adopt(descriptor))
                accepted.push_back(connection);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) // that one is gone; the next may be there
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            backOff(); // EMFILE, ENFILE, ENOBUFS, ENOMEM: it waits in the backlog meanwhile
        return;
    }
}

void HttpListener::backOff()
{
    // The open connections go on being served; accept() is tried again after a wait that doubles
    // while it keeps failing, so an exhausted process polls at most once a second.
    ++m_acceptErrors;
    m_backoffMs = m_backoffMs == 0 ? FirstBackoffMs : std::min(2 * m_backoffMs, MaxBackoffMs);
    m_readable->setEnabled(false);
    m_backoff.start(m_backoffMs);
}

void HttpListener::connectionClosed()
{
    // Its socket is gone (QHttpServer deletes it when it disconnects, or we do on a cut-off).
    --m_openConnections;
    if (m_readable && !isFull() && !m_backoff.isActive())
        m_readable->setEnabled(true);
}

void HttpListener::incomingConnection(qintptr descriptor)
{
    if (HttpConnection *connection = adopt(descriptor))
        handToServer({ connection });
}

HttpConnection *HttpListener::adopt(qintptr descriptor)
{
    // What QTcpServer does, with the connection's watcher in between.
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        ::close(int(descriptor));
        return nullptr;
    }
    ++m_openConnections;
    connect(socket, &QObject::destroyed, this, &HttpListener::connectionClosed);
    // Its readyRead slot is connected first, so it sees each byte before Qt's parser does.
    auto *connection = new HttpConnection(socket, m_limits);
    connection->setUpgradeGate(m_upgradeGate);
    connect(connection, &HttpConnection::refused, this, &HttpListener::refused);
    connect(connection, &HttpConnection::heldBack, this, [this] { ++m_heldBack; });
    return connection;
}

void HttpListener::handToServer(const std::vector<HttpConnection *> &connections)
{
    if (connections.empty())
        return;
    // QHttpServer takes every pending socket when it is told of one (pendingConnectionAvailable
    // is a direct signal in Qt 6.4) and connects its own slot to each; ours for after its reads
    // come next. It is told once for the batch: each time, it asks QObject::sender(), which walks
    // every connection made to it, one per open socket (9 % of this thread's time under
    // bench_abuse when told once per socket).
    {
        const QSignalBlocker quiet(this);
        for (size_t i = 0; i + 1 < connections.size(); ++i)
            addPendingConnection(qobject_cast<QTcpSocket *>(connections[i]->parent()));
    }
    addPendingConnection(qobject_cast<QTcpSocket *>(connections.back()->parent()));
    if (hasPendingConnections())
        qWarning("HttpListener: QHttpServer did not take the connections at once; requests will "
                 "not be limited");
    for (HttpConnection *connection : connections)
        connection->followServer();
}
