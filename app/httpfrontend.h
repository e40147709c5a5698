#pragma once

// The embedded HTTP server: route wiring on the server's own thread. Fan-out views run on the
// request worker pool; this thread only parses, hands off and writes answers, so it never blocks.
// A client that hangs up before its answer has its request given up (abandoned). Also serves the
// built-in upstream, the web page, the live event feed, the trace exports and /metrics.
#include "fanoutspec.h"
#include "httpreply.h"
#include "serveroptions.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHttpServer>
#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

class Abandonment;
class AnswerInbox;
class FanOutStrategy;
class LiveFeed;
class PendingReply;
class WorkerQueue;
class QTcpServer;
class ServerMetrics;
class TraceRecorder;

class HttpFrontend : public QObject
{
    Q_OBJECT
public:
    HttpFrontend(TraceRecorder &recorder, QThreadPool &workers, const ServerOptions &options,
        const std::vector<FanOutStrategy *> &strategies, std::shared_ptr<ServerMetrics> metrics);
    ~HttpFrontend() override;

    // Call on the server's thread. Returns the port listened on, or 0 with *error set.
    quint16 listen(const QHostAddress &address, quint16 port, QString *error);

    // Stopping, on the server's thread. First: no new connections, no new views; the requests
    // still waiting for a worker are answered 503 now.
    void stopAccepting();
    // Last, once the views have returned: pushes the answers written meanwhile into their
    // sockets, which close when this thread ends.
    void flushAnswers();

    // What the built-in upstream has seen; readable from any thread.
    struct UpstreamCounters
    {
        std::atomic<quint64> calls { 0 };
        std::atomic<quint64> answered { 0 };
        std::atomic<quint64> abandoned { 0 }; // the caller hung up before the answer
    };
    const UpstreamCounters &upstream() const { return m_upstream; }
    int liveClients() const;
    int queueDepth() const; // requests waiting for a worker; any thread

private:
    void addFanOutRoute(FanOutStrategy *strategy);
    void addUpstreamRoute();
    void addPageRoutes();
    void addApiRoutes();
    // Gives the request up off this thread (see m_giveUps).
    void giveUp(std::shared_ptr<Abandonment> abandonment);
    // Queues the view for a worker, or answers 503 if the queue is full.
    void runOnWorker(FanOutStrategy *strategy, const FanOutSpec &spec,
        const std::shared_ptr<PendingReply> &reply);
    void runAsContinuation(FanOutStrategy *strategy, const FanOutSpec &spec,
        const std::shared_ptr<PendingReply> &reply);
    // Answers now (in the connection's line), counting it for /metrics under route unless empty.
    void answer(QHttpServerResponder &responder, const QString &route, const HttpReply &reply,
        bool withBody = true);
    // Writes a later answer unless the client is gone, counting it (as 499 if it was not).
    void deliver(PendingReply &reply, const QString &route, const HttpReply &answer);
    void answerMissing(const QHttpServerRequest &request, QHttpServerResponder &&responder);
    // One of the --max-exports places for a trace export, given back when the last copy of the
    // token goes; null if they are all taken.
    std::shared_ptr<void> takeExportSlot();
    // The methods a routed path takes, or none if no route has that path.
    std::optional<QHttpServerRequest::Methods> methodsOf(const QString &path) const;
    // Serves a file of the web page from the resources.
    void answerFile(
        QHttpServerResponder &responder, const QString &route, const QString &name, bool withBody);
    QJsonObject info() const;

    TraceRecorder &m_recorder;
    QThreadPool &m_workers;
    const ServerOptions m_options;
    std::vector<FanOutStrategy *> m_strategies;
    std::shared_ptr<ServerMetrics> m_metrics; // shared with the views, which may outlive us
    QHttpServer *m_server; // children, so that they move to the server's thread with us
    LiveFeed *m_feed;
    WorkerQueue *m_queue;
    // Where answers made on other threads (continuations, exports) come back; dropped with us.
    std::shared_ptr<AnswerInbox> m_inbox;
    // Where trace exports take their snapshot: --max-exports threads, which go soon after the
    // last export, so that an export leaves no thread behind. Waits for a snapshot under way
    // when we go.
    QThreadPool m_exportPool;
    // Where requests whose client hung up are given up: giving up on 10,000 tasks, and making
    // a continuation's answer when that ends it, held this thread up to 100 ms (bench_abuse).
    // Its threads go soon after the last, and it waits for those under way when we go.
    QThreadPool m_giveUps;
    QTcpServer *m_tcpServer = nullptr;
    QHash<QString, QHttpServerRequest::Methods>
        m_methods; // every routed path, to tell 405 from 404
    UpstreamCounters m_upstream;
};
