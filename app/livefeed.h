#pragma once

// Pushes the timeline's events to every page following it over a WebSocket, on the server's
// thread. Publications are coalesced (at most one message every 25 ms per page, well inside
// the page's 250 ms budget); a page that falls behind is sent what it missed next time rather
// than buffered without bound; a page that closes is forgotten at once.
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
    static constexpr int MaxEventsPerMessage = 5000;

    explicit LiveFeed(TraceRecorder &recorder, QObject *parent = nullptr);
    ~LiveFeed() override;

    // Takes a new page's socket; it gets the events after `since` and then everything new.
    void addClient(std::unique_ptr<QWebSocket> socket, quint64 since);
    int clientCount() const { return m_clientCount.load(std::memory_order_relaxed); }

    // One message: {"events": [...], "lanes": [...], "last": N, "first": N, "now_ms": T}.
    static QByteArray message(TraceRecorder &recorder, quint64 since, int maxEvents, quint64 *last, bool *more);

private:
    void publish();
    void removeClient(QWebSocket *socket);

    struct Client {
        QWebSocket *socket;
        quint64 seq; // last event sent
    };
    TraceRecorder &m_recorder;
    QVector<Client> m_clients;
    QTimer m_coalesce;
    std::atomic<int> m_clientCount { 0 };
};
