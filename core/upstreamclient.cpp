#include "upstreamclient.h"

#include "upstreamconnection.h"

#include <QThreadStorage>

namespace {

QThreadStorage<UpstreamClient *> s_clients;

QByteArray requestFor(const QUrl &url)
{
    QByteArray target
        = url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (target.isEmpty())
        target = "/";
    const QByteArray host = url.host().contains(QLatin1Char(':'))
        ? '[' + url.host().toLatin1() + ']'
        : url.host().toLatin1();
    return "GET " + target + " HTTP/1.1\r\nHost: " + host + ':' + QByteArray::number(url.port(80))
        + "\r\nAccept: application/json\r\nUser-Agent: fanscope\r\n\r\n";
}

} // namespace

std::atomic<int> UpstreamClient::s_idleTimeoutMs { UpstreamClient::DefaultIdleTimeoutMs };
std::atomic<int> UpstreamClient::s_openConnections { 0 };
std::atomic<int> UpstreamClient::s_waitingCalls { 0 };
std::atomic<quint64> UpstreamClient::s_connectionsOpened { 0 };

UpstreamClient *UpstreamClient::forCurrentThread()
{
    if (!s_clients.hasLocalData())
        s_clients.setLocalData(new UpstreamClient);
    return s_clients.localData();
}

UpstreamClient *UpstreamClient::existingForCurrentThread()
{
    return s_clients.hasLocalData() ? s_clients.localData() : nullptr;
}

UpstreamClient::~UpstreamClient()
{
    // Calls still here are not completed: their tasks went before the thread's end.
    s_waitingCalls.fetch_sub(int(m_queue.size()), std::memory_order_relaxed);
    s_openConnections.fetch_sub(int(m_connections.size()), std::memory_order_relaxed);
    m_inFlight.clear();
    for (UpstreamConnection *connection : m_connections)
        delete connection;
}

void UpstreamClient::setMaxConnections(int count)
{
    m_maxConnections = std::clamp(count, 1, MaxMaxConnections);
}

void UpstreamClient::setIdleTimeoutMs(int ms)
{
    s_idleTimeoutMs.store(std::max(1, ms), std::memory_order_relaxed);
}

UpstreamClient::Totals UpstreamClient::totals()
{
    return { s_openConnections.load(std::memory_order_relaxed),
        s_waitingCalls.load(std::memory_order_relaxed),
        s_connectionsOpened.load(std::memory_order_relaxed) };
}

UpstreamClient::Id UpstreamClient::get(
    const QUrl &url, Done done, std::function<bool()> stillWanted)
{
    Call call;
    call.id = m_nextId++;
    call.host = url.host();
    call.port = quint16(url.port(80));
    call.request = requestFor(url);
    call.done = std::move(done);
    call.stillWanted = std::move(stillWanted);
    m_queue.push_back(std::move(call));
    s_waitingCalls.fetch_add(1, std::memory_order_relaxed);
    scheduleDispatch();
    return m_queue.back().id;
}

void UpstreamClient::cancel(Id id)
{
    const auto queued
        = std::find_if(m_queue.begin(), m_queue.end(), [id](const Call &c) { return c.id == id; });
    if (queued != m_queue.end()) {
        m_queue.erase(queued);
        s_waitingCalls.fetch_sub(1, std::memory_order_relaxed);
        return;
    }
    const auto out = std::find_if(m_inFlight.begin(), m_inFlight.end(),
        [id](const auto &entry) { return entry.second.id == id; });
    if (out == m_inFlight.end())
        return; // completed already
    // The only way to stop an HTTP/1.1 call is to close its connection.
    UpstreamConnection *connection = out->first;
    m_inFlight.erase(out);
    retire(connection);
    scheduleDispatch();
}

void UpstreamClient::closeIdle()
{
    const std::vector<UpstreamConnection *> connections = m_connections;
    for (UpstreamConnection *connection : connections) {
        if (!connection->isBusy())
            retire(connection);
    }
    m_retired.clear(); // called from outside any connection's signal
}

void UpstreamClient::scheduleDispatch()
{
    if (m_dispatchScheduled)
        return;
    m_dispatchScheduled = true;
    QMetaObject::invokeMethod(this, &UpstreamClient::dispatch, Qt::QueuedConnection);
}

void UpstreamClient::dispatch()
{
    m_dispatchScheduled = false;
    m_retired.clear();
    while (!m_queue.empty()) {
        Call &next = m_queue.front();
        if (next.stillWanted && !next.stillWanted()) {
            // Given up on while it waited: it ends now, without costing a connection.
            Call call = std::move(next);
            m_queue.pop_front();
            s_waitingCalls.fetch_sub(1, std::memory_order_relaxed);
            call.done(
                { 0, {}, QStringLiteral("given up on while waiting for an upstream connection") });
            continue; // done may have cancelled other calls: the loop reads the queue afresh
        }
        UpstreamConnection *connection = connectionFor(next);
        if (!connection)
            return; // every connection is busy: the call waits for one to finish
        Call call = std::move(next);
        m_queue.pop_front();
        s_waitingCalls.fetch_sub(1, std::memory_order_relaxed);
        connection->send(call.request);
        m_inFlight.emplace(connection, std::move(call));
    }
}

UpstreamConnection *UpstreamClient::connectionFor(const Call &call)
{
    UpstreamConnection *idleElsewhere = nullptr;
    for (UpstreamConnection *connection : m_connections) {
        if (!connection->isReusable())
            continue;
        if (connection->host() == call.host && connection->port() == call.port)
            return connection;
        idleElsewhere = connection;
    }
    if (int(m_connections.size()) < m_maxConnections)
        return open(call.host, call.port);
    // At the limit, an idle connection to another upstream makes room for this one.
    if (idleElsewhere) {
        retire(idleElsewhere);
        return open(call.host, call.port);
    }
    return nullptr;
}

UpstreamConnection *UpstreamClient::open(const QString &host, quint16 port)
{
    auto *connection = new UpstreamConnection(
        host, port, s_idleTimeoutMs.load(std::memory_order_relaxed), m_maxAnswerBytes, this);
    connect(connection, &UpstreamConnection::answered, this,
        [this, connection](int status, const QByteArray &body) {
            onAnswered(connection, { status, body, {} });
        });
    connect(connection, &UpstreamConnection::failed, this,
        [this, connection](const QString &error, bool stale) {
            onAnswered(connection, { 0, {}, error }, stale);
        });
    connect(connection, &UpstreamConnection::closedWhileIdle, this, [this, connection] {
        retire(connection);
        scheduleDispatch();
    });
    m_connections.push_back(connection);
    s_openConnections.fetch_add(1, std::memory_order_relaxed);
    s_connectionsOpened.fetch_add(1, std::memory_order_relaxed);
    return connection;
}

void UpstreamClient::retire(UpstreamConnection *connection)
{
    const auto it = std::find(m_connections.begin(), m_connections.end(), connection);
    if (it == m_connections.end())
        return;
    m_connections.erase(it);
    s_openConnections.fetch_sub(1, std::memory_order_relaxed);
    connection->disconnect(this);
    connection->close(); // the descriptor goes now; the object on the next dispatch
    connection->setParent(nullptr);
    m_retired.emplace_back(connection);
}

void UpstreamClient::onAnswered(UpstreamConnection *connection, const Answer &answer, bool stale)
{
    const auto it = m_inFlight.find(connection);
    if (it == m_inFlight.end())
        return;
    Call call = std::move(it->second);
    m_inFlight.erase(it);
    // A failed or closed connection fails only its call; the next call gets a fresh one.
    if (!connection->isReusable())
        retire(connection);
    scheduleDispatch();
    if (stale && !call.resent) {
        // The peer closed the idle connection as the call went out: the call was not
        // processed. It goes first, once, on a fresh connection.
        call.resent = true;
        m_queue.push_front(std::move(call));
        s_waitingCalls.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    call.done(answer);
}
