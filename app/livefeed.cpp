#include "livefeed.h"

#include "traceexport.h"
#include "tracerecorder.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>
#include <QWebSocket>

namespace {

// How long a page cut off has to take its close frame before its connection is aborted.
constexpr int CloseGraceMs = 1000;
// Events published meanwhile go out together, at most this often.
constexpr int CoalesceMs = 25;
// RFC 6455 §7.4.1 as registered by IANA; Qt 6.4 names no constant for it.
constexpr int TryAgainLater = 1013;

} // namespace

LiveFeed::LiveFeed(TraceRecorder &recorder, const Limits &limits, QObject *parent)
    : QObject(parent)
    , m_recorder(recorder)
    , m_limits(limits)
{
    m_clock.start();
    m_coalesce.setSingleShot(true);
    m_coalesce.setTimerType(Qt::PreciseTimer);
    connect(&m_coalesce, &QTimer::timeout, this, &LiveFeed::publish);
    // Published on whatever thread flushed; handled here, on the server's thread.
    connect(
        &recorder, &TraceRecorder::eventsPublished, this,
        [this] {
            if (!m_clients.isEmpty() && !m_coalesce.isActive())
                m_coalesce.start(CoalesceMs);
        },
        Qt::QueuedConnection);
}

LiveFeed::~LiveFeed()
{
    for (const Client &client : std::as_const(m_clients))
        delete client.socket;
}

bool LiveFeed::admitsAnother()
{
    if (m_clients.size() < m_limits.maxClients)
        return true;
    ++m_refused;
    return false;
}

qint64 LiveFeed::bytesWaiting() const
{
    qint64 total = 0;
    for (const Client &client : m_clients)
        total += client.socket->bytesToWrite();
    return total;
}

void LiveFeed::addClient(std::unique_ptr<QWebSocket> socket, quint64 since)
{
    QWebSocket *raw = socket.release();
    raw->setParent(this);
    connect(raw, &QWebSocket::disconnected, this, [this, raw] { removeClient(raw); });
    // Pages only listen; anything they send is ignored. Qt checks these sizes from a frame's
    // header, before it buffers the payload, and closes with 1009 beyond them.
    raw->setMaxAllowedIncomingFrameSize(MaxIncomingFrameBytes);
    raw->setMaxAllowedIncomingMessageSize(MaxIncomingMessageBytes);
    // Upgrades are refused past the limit before they reach Qt; two that arrived together can
    // still both get here.
    if (m_clients.size() >= m_limits.maxClients) {
        ++m_refused;
        raw->close(QWebSocketProtocol::CloseCode(TryAgainLater),
            QStringLiteral("too many live pages; poll /api/events"));
        QTimer::singleShot(CloseGraceMs, raw, &QWebSocket::abort);
        return;
    }
    m_clients.append({ raw, since, 0, m_clock.elapsed() });
    m_clientCount.store(int(m_clients.size()), std::memory_order_relaxed);
    publish(); // what it asked for, at once
}

void LiveFeed::removeClient(QWebSocket *socket)
{
    m_clients.erase(std::remove_if(m_clients.begin(), m_clients.end(),
                        [socket](const Client &c) { return c.socket == socket; }),
        m_clients.end());
    m_clientCount.store(int(m_clients.size()), std::memory_order_relaxed);
    socket->deleteLater();
}

void LiveFeed::drop(QWebSocket *socket, int code, const QString &reason)
{
    ++m_dropped;
    m_clients.erase(std::remove_if(m_clients.begin(), m_clients.end(),
                        [socket](const Client &c) { return c.socket == socket; }),
        m_clients.end());
    m_clientCount.store(int(m_clients.size()), std::memory_order_relaxed);
    socket->close(QWebSocketProtocol::CloseCode(code), reason);
    // Its unsent bytes go with the connection: a page that does not read would hold them until
    // TCP gave up.
    QTimer::singleShot(CloseGraceMs, socket, &QWebSocket::abort);
}

void LiveFeed::publish()
{
    // Pages that have taken nothing for a while are not reading: cut off, they can reload or poll.
    QVector<QWebSocket *> stalled;
    for (Client &client : m_clients) {
        if (isStalled(client))
            stalled.append(client.socket);
    }
    for (QWebSocket *socket : std::as_const(stalled))
        drop(socket, QWebSocketProtocol::CloseCodePolicyViolated,
            QStringLiteral("not reading; reload, or poll /api/events"));

    // Pages at the same point get the same message, built once.
    struct Message
    {
        QString text;
        qsizetype bytes;
        quint64 last;
        bool truncated; // there were more events than it has
    };
    QHash<quint64, Message> built;
    bool more = false; // something is left for a page: another round, after CoalesceMs
    bool behind = false; // a page was sent less than there is: another round at once
    qint64 waiting = bytesWaiting();
    qint64 sentThisRound = 0;
    const int count = int(m_clients.size());
    for (int i = 0; i < count; ++i) {
        const int index = (m_firstInRound + i) % count;
        Client &client = m_clients[index];
        if (sentThisRound >= MaxBytesPerRound) {
            // The others' turn comes at once, after the thread's other work.
            m_firstInRound = index;
            m_coalesce.start(0);
            return;
        }
        if (client.socket->state() != QAbstractSocket::ConnectedState)
            continue;
        // Still taking the last message: what it missed goes in its next one.
        if (client.socket->bytesToWrite() > 0) {
            more = true;
            continue;
        }
        auto message = built.find(client.seq);
        if (message == built.end()) {
            quint64 last = client.seq;
            bool truncated = false;
            const QByteArray text
                = LiveFeed::message(m_recorder, client.seq, MaxEventsPerPush, &last, &truncated);
            message = built.insert(
                client.seq, { QString::fromUtf8(text), text.size(), last, truncated });
        }
        if (message->last == client.seq && client.seq != 0)
            continue; // nothing new for this page
        // All pages together never have more than the limit waiting: past it, this page waits
        // for the next round, and is sent what it missed then.
        if (waiting > 0 && waiting + message->bytes > m_limits.maxBytesWaiting) {
            more = true;
            continue;
        }
        client.socket->sendTextMessage(message->text);
        // Write it to the network now, not when this busy thread next looks at its sockets'
        // write notifications: under load that is hundreds of milliseconds later.
        client.socket->flush();
        client.unsent = client.socket->bytesToWrite();
        client.tookMs = m_clock.elapsed();
        waiting += client.unsent;
        sentThisRound += message->bytes;
        client.seq = message->last;
        behind = behind || message->truncated;
    }
    m_firstInRound = 0;
    // A page catching up gets its next message as soon as the thread has looked at its other
    // sockets (its socket has usually taken this one by then): waiting CoalesceMs between
    // messages of MaxEventsPerPush would cap it at 10,000 events a second.
    if (behind)
        m_coalesce.start(0);
    else if (more && !m_coalesce.isActive())
        m_coalesce.start(CoalesceMs);
}

bool LiveFeed::isStalled(Client &client)
{
    const qint64 unsent = client.socket->bytesToWrite();
    if (unsent == 0 || unsent < client.unsent) {
        client.unsent = unsent;
        client.tookMs = m_clock.elapsed();
        return false;
    }
    return m_clock.elapsed() - client.tookMs > m_limits.stallMs;
}

QByteArray LiveFeed::message(
    TraceRecorder &recorder, quint64 since, int maxEvents, quint64 *last, bool *more)
{
    const QVector<TraceEvent> events = recorder.eventsSince(since, maxEvents);
    // Nothing new: stay where the page is, or come back to our last event if the page is ahead of
    // it (we restarted); the page tells by "last" going down and starts afresh.
    *last = events.isEmpty() ? std::min(since, recorder.lastSeq()) : events.constLast().seq;
    *more = *last < recorder.lastSeq();
    const QByteArray lanes
        = QJsonDocument(TraceExport::lanesJson(recorder.lanes())).toJson(QJsonDocument::Compact);
    QByteArray out = TraceExport::eventsJson(events, recorder.routes());
    out.prepend("{\"events\":");
    out += ",\"lanes\":" + lanes
        + ",\"first\":" + QByteArray::number(events.isEmpty() ? 0 : events.constFirst().seq)
        + ",\"last\":" + QByteArray::number(*last) + ",\"more\":" + (*more ? "true" : "false")
        + ",\"now_ms\":" + QByteArray::number(double(recorder.now() / 1000) / 1000.0, 'f', 3) + '}';
    return out;
}
