#include "livefeed.h"

#include "traceexport.h"
#include "tracerecorder.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>
#include <QWebSocket>

namespace {

// A page this far behind in unsent bytes is not sent more until it catches up.
constexpr qint64 MaxBacklogBytes = 8 * 1024 * 1024;

} // namespace

LiveFeed::LiveFeed(TraceRecorder &recorder, QObject *parent)
    : QObject(parent)
    , m_recorder(recorder)
{
    m_coalesce.setSingleShot(true);
    m_coalesce.setTimerType(Qt::PreciseTimer);
    m_coalesce.setInterval(25);
    connect(&m_coalesce, &QTimer::timeout, this, &LiveFeed::publish);
    // Published on whatever thread flushed; handled here, on the server's thread.
    connect(&recorder, &TraceRecorder::eventsPublished, this, [this] {
        if (!m_clients.isEmpty() && !m_coalesce.isActive())
            m_coalesce.start();
    }, Qt::QueuedConnection);
}

LiveFeed::~LiveFeed()
{
    for (const Client &client : std::as_const(m_clients))
        delete client.socket;
}

void LiveFeed::addClient(std::unique_ptr<QWebSocket> socket, quint64 since)
{
    QWebSocket *raw = socket.release();
    raw->setParent(this);
    connect(raw, &QWebSocket::disconnected, this, [this, raw] { removeClient(raw); });
    // Pages only listen; anything they send is ignored.
    m_clients.append({ raw, since });
    m_clientCount.store(int(m_clients.size()), std::memory_order_relaxed);
    publish(); // what it asked for, at once
}

void LiveFeed::removeClient(QWebSocket *socket)
{
    m_clients.erase(std::remove_if(m_clients.begin(), m_clients.end(), [socket](const Client &c) { return c.socket == socket; }),
        m_clients.end());
    m_clientCount.store(int(m_clients.size()), std::memory_order_relaxed);
    socket->deleteLater();
}

void LiveFeed::publish()
{
    // Pages at the same point get the same message, built once.
    QHash<quint64, QPair<QByteArray, quint64>> built;
    bool more = false;
    for (Client &client : m_clients) {
        if (client.socket->state() != QAbstractSocket::ConnectedState || client.socket->bytesToWrite() > MaxBacklogBytes)
            continue;
        if (!built.contains(client.seq)) {
            quint64 last = client.seq;
            bool truncated = false;
            const QByteArray text = message(m_recorder, client.seq, MaxEventsPerMessage, &last, &truncated);
            built.insert(client.seq, { text, last });
            more = more || truncated;
        }
        const auto &[text, last] = built.value(client.seq);
        if (last == client.seq && client.seq != 0)
            continue; // nothing new for this page
        client.socket->sendTextMessage(QString::fromUtf8(text));
        // Write it to the network now, not when this busy thread next looks at its sockets'
        // write notifications: under load that is hundreds of milliseconds later.
        client.socket->flush();
        client.seq = last;
    }
    if (more && !m_coalesce.isActive())
        m_coalesce.start();
}

QByteArray LiveFeed::message(TraceRecorder &recorder, quint64 since, int maxEvents, quint64 *last, bool *more)
{
    const QVector<TraceEvent> events = recorder.eventsSince(since, maxEvents);
    // Nothing new: stay where the page is, or come back to our last event if the page is ahead of
    // it (we restarted); the page tells by "last" going down and starts afresh.
    *last = events.isEmpty() ? std::min(since, recorder.lastSeq()) : events.constLast().seq;
    *more = *last < recorder.lastSeq();
    const QByteArray lanes = QJsonDocument(TraceExport::lanesJson(recorder.lanes())).toJson(QJsonDocument::Compact);
    QByteArray out = TraceExport::eventsJson(events, recorder.routes());
    out.prepend("{\"events\":");
    out += ",\"lanes\":" + lanes + ",\"first\":" + QByteArray::number(events.isEmpty() ? 0 : events.constFirst().seq)
        + ",\"last\":" + QByteArray::number(*last) + ",\"more\":" + (*more ? "true" : "false")
        + ",\"now_ms\":" + QByteArray::number(double(recorder.now() / 1000) / 1000.0, 'f', 3) + '}';
    return out;
}
