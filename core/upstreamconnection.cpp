#include "upstreamconnection.h"

#include <QNetworkProxy>
#include <QTcpSocket>

#include <sys/socket.h>

UpstreamConnection::UpstreamConnection(
    const QString &host, quint16 port, int idleTimeoutMs, int maxAnswerBytes, QObject *parent)
    : QObject(parent)
    , m_host(host)
    , m_port(port)
    , m_socket(new QTcpSocket(this))
    , m_maxAnswerBytes(maxAnswerBytes)
{
    // Calls to a local upstream must not go through a system proxy.
    m_socket->setProxy(QNetworkProxy::NoProxy);
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(idleTimeoutMs);
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        close();
        Q_EMIT closedWhileIdle();
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &UpstreamConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &UpstreamConnection::onDisconnected);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &UpstreamConnection::onError);
    m_socket->connectToHost(host, port);
}

UpstreamConnection::~UpstreamConnection()
{
    close();
}

void UpstreamConnection::send(const QByteArray &request)
{
    Q_ASSERT(isReusable());
    m_idleTimer.stop();
    m_busy = true;
    ++m_calls;
    m_answerStarted = false;
    m_reader = HttpAnswerReader(m_maxAnswerBytes);
    // Written while still connecting, it is buffered by the socket and sent once connected.
    m_socket->write(request);
}

void UpstreamConnection::close()
{
    m_idleTimer.stop();
    m_usable = false;
    m_busy = false;
    m_socket->disconnect(this);
    // A reset, not a FIN: the side that closes first keeps the port in TIME_WAIT for a minute,
    // and a thread-pool fan-out, whose threads close their connection after each task, would
    // otherwise leave thousands of them and run out of ephemeral ports. Nothing of ours is worth
    // flushing: an idle connection owes nothing, a cancelled call wants no answer.
    if (const qintptr fd = m_socket->socketDescriptor(); fd >= 0) {
        const linger reset { 1, 0 };
        ::setsockopt(int(fd), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
    m_socket->abort();
}

void UpstreamConnection::onReadyRead()
{
    const QByteArray bytes = m_socket->readAll();
    if (!m_busy) {
        // Nothing was asked: a peer that talks out of turn cannot be trusted with the next call.
        close();
        Q_EMIT closedWhileIdle();
        return;
    }
    m_answerStarted |= !bytes.isEmpty();
    m_reader.feed(bytes);
    if (m_reader.isDone() || m_reader.hasFailed())
        finishCall();
}

void UpstreamConnection::onDisconnected()
{
    // The last bytes may still wait to be read: an answer followed at once by a close is whole.
    if (m_busy && m_socket->bytesAvailable() > 0)
        onReadyRead();
    if (!m_usable)
        return; // closed meanwhile, and told
    if (m_busy) {
        m_reader.finishInput();
        finishCall();
        return;
    }
    close();
    Q_EMIT closedWhileIdle();
}

void UpstreamConnection::onError()
{
    if (m_socket->error() == QAbstractSocket::RemoteHostClosedError)
        return; // disconnected() tells, after any last bytes
    const QString reason = m_socket->errorString();
    const bool busy = m_busy;
    close();
    if (busy)
        Q_EMIT failed(QStringLiteral("upstream %1:%2: %3").arg(m_host).arg(m_port).arg(reason), isStale());
    else
        Q_EMIT closedWhileIdle();
}

void UpstreamConnection::finishCall()
{
    m_busy = false;
    if (m_reader.hasFailed()) {
        close();
        Q_EMIT failed(m_reader.error(), isStale());
        return;
    }
    // A peer that sent more than its answer, or asked to close, gets no further call.
    if (!m_reader.keepAlive() || m_reader.excess() > 0)
        close();
    else
        m_idleTimer.start();
    Q_EMIT answered(m_reader.status(), m_reader.body());
}
