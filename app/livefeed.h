#pragma once

// Pushes the timeline's events to every page following it over a WebSocket, on the server's
// thread. Publications are coalesced (at most one message every 25 ms per page, well inside
// the page's 250 ms budget); a page that falls behind is sent what it missed next time rather
// than buffered without bound; a page that closes is forgotten at once.
//
// Flow-controlled: a page gets its next message only once its socket has taken the last one, so
// a page that reads slowly gets fewer, bigger messages, and one that does not read costs one
// message and no work at all until it is cut off (close 1008) for taking nothing for
// Limits::stallMs. Bounded: at most Limits::maxClients pages (the server refuses more upgrades
// with 503, see admitsAnother()); what waits unsent for all pages together stays under
// Limits::maxBytesWaiting (pages past it wait their turn); what a page sends is limited to small
// frames and messages (close 1009), which must be masked (close 1002, RFC 6455 §5.1).
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QVector>

#include <atomic>
#include <memory>

class QWebSocket;
class TraceRecorder;

class LiveFeed : public QObject
{
    Q_OBJECT
public:
    // The most events /api/events gives at once.
    static constexpr int MaxEventsPerMessage = 5000;
    // The most a page is pushed at once (about 37 KB): a message is made on the server's thread,
    // and QWebSocket converts and copies it again for each page. 1000 events a push and 512 KiB
    // a round held that thread up to 70 ms at a time under bench_abuse; 250 and 64 KiB, a few.
    static constexpr int MaxEventsPerPush = 250;
    // What one round writes to all pages together; the rest go in the next round, which comes
    // as soon as the thread has looked at its other sockets. 16 new pages each sent 5000 events
    // in one round held the server's thread for about 100 ms. A round sends at least one message.
    static constexpr qint64 MaxBytesPerRound = 64 * 1024;
    // Pages send nothing but control frames (close, ping); a few KiB is plenty.
    static constexpr qint64 MaxIncomingFrameBytes = 4 * 1024;
    static constexpr qint64 MaxIncomingMessageBytes = 16 * 1024;

    struct Limits
    {
        int maxClients = 16;
        qint64 maxBytesWaiting = 32 * 1024 * 1024;
        // A page whose socket has taken nothing of its last message for this long is cut off.
        int stallMs = 10000;
    };

    LiveFeed(TraceRecorder &recorder, const Limits &limits, QObject *parent = nullptr);
    ~LiveFeed() override;

    // Whether one more page may follow; counts a refusal when not. Asked when an upgrade arrives,
    // before it is let through.
    bool admitsAnother();
    // Takes a new page's socket; it gets the events after `since` and then everything new.
    void addClient(std::unique_ptr<QWebSocket> socket, quint64 since);
    int clientCount() const { return m_clientCount.load(std::memory_order_relaxed); }
    // Written for the pages and not yet sent, now.
    qint64 bytesWaiting() const;
    quint64 droppedTotal() const { return m_dropped; }
    quint64 refusedTotal() const { return m_refused; }

    // One message: {"events": [...], "lanes": [...], "last": N, "first": N, "now_ms": T}.
    static QByteArray message(
        TraceRecorder &recorder, quint64 since, int maxEvents, quint64 *last, bool *more);

private:
    void publish();
    void removeClient(QWebSocket *socket);
    // Forgets a page at once and closes its socket with `code`, aborting it if the close does not
    // get through soon (a page that does not read never sees the close frame).
    void drop(QWebSocket *socket, int code, const QString &reason);

    struct Client
    {
        QWebSocket *socket;
        quint64 seq; // last event sent
        qint64 unsent = 0; // its socket's bytes to write when it last took some
        qint64 tookMs = 0; // when that was, on m_clock
    };
    // Whether the page has taken nothing of what it was sent for stallMs (notes when it last did).
    bool isStalled(Client &client);
    TraceRecorder &m_recorder;
    const Limits m_limits;
    QVector<Client> m_clients;
    int m_firstInRound = 0; // where the next round starts, so that every page gets its turn
    QTimer m_coalesce;
    QElapsedTimer m_clock;
    std::atomic<int> m_clientCount { 0 };
    quint64 m_dropped = 0;
    quint64 m_refused = 0;
};
