#pragma once

// The embedded HTTP server: route wiring on the server's own thread. Fan-out views run on the
// request worker pool; this thread only parses, hands off and writes answers, so it never blocks.
#include "fanoutspec.h"
#include "httpreply.h"

#include <QHostAddress>
#include <QFuture>
#include <QHttpServer>
#include <QObject>
#include <QSet>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

class FanOutStrategy;
class QThreadPool;
class QTcpServer;
class TraceRecorder;

class HttpFrontend : public QObject
{
    Q_OBJECT
public:
    HttpFrontend(TraceRecorder &recorder, QThreadPool &workers, int maxQueue,
        const std::vector<FanOutStrategy *> &strategies);
    ~HttpFrontend() override;

    // Call on the server's thread. Returns the port listened on, or 0 with *error set.
    quint16 listen(const QHostAddress &address, quint16 port, QString *error);

    // Requests that hold a worker or wait for one.
    int inFlight() const { return m_inFlight->load(std::memory_order_relaxed); }

    // What the built-in upstream has seen; readable from any thread.
    struct UpstreamCounters {
        std::atomic<quint64> calls { 0 };
        std::atomic<quint64> answered { 0 };
        std::atomic<quint64> abandoned { 0 }; // the caller hung up before the answer
    };
    const UpstreamCounters &upstream() const { return m_upstream; }

private:
    void addFanOutRoute(FanOutStrategy *strategy);
    void addUpstreamRoute();
    // A future answer, or none if the request must be turned away (503).
    std::optional<QFuture<HttpReply>> runOnWorker(FanOutStrategy *strategy, const FanOutSpec &spec);
    std::optional<QFuture<HttpReply>> runAsContinuation(FanOutStrategy *strategy, const FanOutSpec &spec);
    void addServiceRoutes();
    void answerMissing(const QHttpServerRequest &request, QHttpServerResponder &&responder);

    TraceRecorder &m_recorder;
    QThreadPool &m_workers;
    const int m_maxQueue;
    QHttpServer *m_server; // a child, so that it moves to the server's thread with us
    QTcpServer *m_tcpServer = nullptr;
    QSet<QString> m_paths; // every routed path, to tell 405 from 404
    // Shared with the views on the workers, which may outlive this object at shutdown.
    std::shared_ptr<std::atomic<int>> m_inFlight = std::make_shared<std::atomic<int>>(0);
    UpstreamCounters m_upstream;
};
