#pragma once

// The calling thread's HTTP client for kind=http tasks: a fixed, small set of keep-alive
// connections (UpstreamConnection) and a queue of calls waiting for one.
//
// A fan-out of 10,000 calls must not open 10,000 sockets: calls beyond maxConnections wait in
// the queue, and that wait is part of their task, under its deadline. A call whose task is
// given up on leaves the queue at once; one cancelled in flight closes its connection (the
// upstream learns that its caller hung up), and a fresh one is opened for the next call. Idle
// connections close after idleTimeoutMs, so descriptors go back to the baseline. No threads:
// everything runs in the owning thread's event loop, and the client is deleted with its thread.
//
// Why not QNetworkAccessManager: in Qt 6.4 it caps six connections per host with no setting,
// and each manager runs a thread of its own.
#include "httpanswerreader.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QUrl>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

class UpstreamConnection;

class UpstreamClient : public QObject
{
    Q_OBJECT
public:
    // Per thread: ten, so that the classic fan-out of ten calls runs at once.
    static constexpr int DefaultMaxConnections = 10;
    static constexpr int MaxMaxConnections = 1000;
    static constexpr int DefaultIdleTimeoutMs = 5000;

    struct Answer
    {
        int status = 0; // 0 when there is no answer
        QByteArray body;
        QString error; // why there is no answer: connection refused, closed, malformed...
    };
    using Id = quint64;
    using Done = std::function<void(const Answer &)>;

    // The client of the calling thread, made on first use and deleted when the thread ends.
    static UpstreamClient *forCurrentThread();
    // The calling thread's client if it has one. For threads that run an event loop only while
    // they wait for their own tasks (request workers, pool threads): idle timers cannot fire
    // there in between, so they call closeIdle() when their tasks are gone.
    static UpstreamClient *existingForCurrentThread();

    ~UpstreamClient() override;

    // Connections this client keeps open at most; applies to calls made from now on.
    void setMaxConnections(int count);
    int maxConnections() const { return m_maxConnections; }
    // The longest answer body accepted; tests that read whole fan-out answers raise it.
    void setMaxAnswerBytes(int bytes) { m_maxAnswerBytes = bytes; }
    // Process-wide; tests shorten it. Applies to connections opened from now on.
    static void setIdleTimeoutMs(int ms);

    // Queues a GET of url (http://host:port/path?query) for the next free connection. done is
    // called once, later, in this thread's event loop, unless cancel(id) comes first.
    // stillWanted, if set, is asked when a connection frees up: a call whose task was given up
    // on meanwhile fails at once instead of going out.
    Id get(const QUrl &url, Done done, std::function<bool()> stillWanted = {});
    // The call will not complete: it leaves the queue, or closes its connection if it is out.
    void cancel(Id id);
    // Closes connections that carry no call.
    void closeIdle();

    int connectionCount() const { return int(m_connections.size()); }
    int waitingCount() const { return int(m_queue.size()); }

    // Across every thread's client, for /metrics.
    struct Totals
    {
        int openConnections = 0;
        int waitingCalls = 0;
        quint64 connectionsOpened = 0;
    };
    static Totals totals();

private:
    UpstreamClient() = default;

    struct Call
    {
        Id id = 0;
        QString host;
        quint16 port = 0;
        QByteArray request;
        Done done;
        std::function<bool()> stillWanted;
        bool resent = false; // once, after a stale keep-alive connection
    };

    // Hands queued calls to free connections; later, in the event loop, never inside a task's
    // start() or destructor (a done callback there could re-enter it).
    void scheduleDispatch();
    void dispatch();
    UpstreamConnection *connectionFor(const Call &call);
    UpstreamConnection *open(const QString &host, quint16 port);
    void retire(UpstreamConnection *connection);
    void onAnswered(UpstreamConnection *connection, const Answer &answer, bool stale = false);

    int m_maxConnections = DefaultMaxConnections;
    int m_maxAnswerBytes = HttpAnswerReader::DefaultMaxBodyBytes;
    Id m_nextId = 1;
    std::deque<Call> m_queue;
    std::vector<UpstreamConnection *> m_connections; // children, open or opening
    std::unordered_map<UpstreamConnection *, Call> m_inFlight;
    // Closed but maybe still inside one of their own signals: deleted on the next dispatch.
    std::vector<std::unique_ptr<UpstreamConnection>> m_retired;
    bool m_dispatchScheduled = false;

    static std::atomic<int> s_idleTimeoutMs;
    static std::atomic<int> s_openConnections;
    static std::atomic<int> s_waitingCalls;
    static std::atomic<quint64> s_connectionsOpened;
};
