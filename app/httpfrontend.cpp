#include "httpfrontend.h"

#include "fanoutplan.h"
#include "fanoutstrategy.h"
#include "pendingreply.h"
#include "timerqueue.h"
#include "tracerecorder.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QThreadPool>
#include <QtConcurrent>

#include <memory>

HttpFrontend::HttpFrontend(TraceRecorder &recorder, QThreadPool &workers, int maxQueue,
    const std::vector<FanOutStrategy *> &strategies)
    : m_recorder(recorder)
    , m_workers(workers)
    , m_maxQueue(maxQueue)
    , m_server(new QHttpServer(this))
{
    for (FanOutStrategy *strategy : strategies)
        addFanOutRoute(strategy);
    addUpstreamRoute();
    addServiceRoutes();
    m_server->setMissingHandler([this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
        answerMissing(request, std::move(responder));
    });
}

HttpFrontend::~HttpFrontend() = default;

quint16 HttpFrontend::listen(const QHostAddress &address, quint16 port, QString *error)
{
    // Our own QTcpServer, rather than QHttpServer::listen(), to report why listening failed.
    auto tcpServer = std::make_unique<QTcpServer>();
    // Qt's default backlog is 50 pending connections: a load tool opening hundreds at once
    // would see the rest dropped and retried a second later.
    tcpServer->setListenBacklogSize(4096);
    if (!tcpServer->listen(address, port)) {
        *error = tcpServer->errorString();
        return 0;
    }
    m_tcpServer = tcpServer.release();
    m_server->bind(m_tcpServer); // takes ownership
    return m_tcpServer->serverPort();
}

void HttpFrontend::addFanOutRoute(FanOutStrategy *strategy)
{
    m_paths.insert(strategy->route());
    m_server->route(strategy->route(), QHttpServerRequest::Method::Get,
        [this, strategy](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            auto parsed = FanOutSpec::fromQuery(request.query());
            if (const auto *error = std::get_if<SpecError>(&parsed)) {
                HttpReply::error(400, error->message, error->param).writeTo(responder);
                return;
            }
            const FanOutSpec spec = std::get<FanOutSpec>(parsed);
            std::optional<QFuture<HttpReply>> answer
                = strategy->holdsWorker() ? runOnWorker(strategy, spec) : runAsContinuation(strategy, spec);
            if (!answer) {
                HttpReply::error(503, QStringLiteral("all workers are busy and the queue is full"))
                    .withHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"))
                    .writeTo(responder);
                return;
            }
            auto reply = std::make_shared<PendingReply>(std::move(responder));
            answer->then(this, [reply](const HttpReply &answer) { reply->send(answer); });
        });
}

std::optional<QFuture<HttpReply>> HttpFrontend::runOnWorker(FanOutStrategy *strategy, const FanOutSpec &spec)
{
    // At most every worker busy and max-queue more waiting. Only this thread adds to the count.
    if (m_inFlight->load(std::memory_order_relaxed) >= m_workers.maxThreadCount() + m_maxQueue)
        return std::nullopt;
    m_inFlight->fetch_add(1, std::memory_order_relaxed);
    // The view runs on a worker thread, as a synchronous WSGI view runs on a waitress thread;
    // the answer comes back to this thread to be written. It captures nothing of this object,
    // which a stopping server may delete while views still run: the strategy and the recorder
    // belong to the ServerHost, which joins the workers before it lets them go.
    return QtConcurrent::run(&m_workers, [inFlight = m_inFlight, recorder = &m_recorder, strategy, spec] {
        recorder->registerCurrentThread(ThreadKind::Worker);
        const FanOutResult result = strategy->execute(spec);
        inFlight->fetch_sub(1, std::memory_order_relaxed);
        return HttpReply::json(result.httpStatus, result.toJson());
    });
}

std::optional<QFuture<HttpReply>> HttpFrontend::runAsContinuation(FanOutStrategy *strategy, const FanOutSpec &spec)
{
    // No worker: the answer is made where the last task ends (a loop thread), then written here.
    return strategy->start(spec).then(QtFuture::Launch::Sync,
        [](const FanOutResult &result) { return HttpReply::json(result.httpStatus, result.toJson()); });
}

void HttpFrontend::addUpstreamRoute()
{
    // The built-in upstream that kind=http tasks call. It answers after the latency without
    // holding any thread: a timer on this thread's event loop writes the answer.
    m_paths.insert(QStringLiteral("/upstream/balance"));
    m_server->route(QStringLiteral("/upstream/balance/<arg>"), QHttpServerRequest::Method::Get,
        [this](const QString &account, const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            const std::optional<int> index = FanOutPlan::accountIndex(account);
            if (!index) {
                HttpReply::error(404, QStringLiteral("no account ") + account).writeTo(responder);
                return;
            }
            const QUrlQuery query = request.query();
            // Latency up to what a fan-out can draw (latency + jitter); a seed for the balance.
            bool latencyOk = false, seedOk = true;
            const int latencyMs = query.queryItemValue(QStringLiteral("latency_ms")).toInt(&latencyOk);
            constexpr int MaxLatencyMs = FanOutSpec::MaxLatencyMs + FanOutSpec::MaxJitterMs;
            if (!latencyOk || latencyMs < 0 || latencyMs > MaxLatencyMs) {
                HttpReply::error(400, QStringLiteral("latency_ms must be from 0 to %1").arg(MaxLatencyMs), QStringLiteral("latency_ms")).writeTo(responder);
                return;
            }
            quint64 seed = 0;
            if (query.hasQueryItem(QStringLiteral("seed")))
                seed = query.queryItemValue(QStringLiteral("seed")).toULongLong(&seedOk);
            if (!seedOk) {
                HttpReply::error(400, QStringLiteral("seed must be an unsigned integer"), QStringLiteral("seed")).writeTo(responder);
                return;
            }
            const bool fail = query.queryItemValue(QStringLiteral("fail")) == QLatin1String("1");
            const double balance = FanOutPlan::balanceFor(seed, *index);
            m_upstream.calls.fetch_add(1, std::memory_order_relaxed);

            auto reply = std::make_shared<PendingReply>(std::move(responder));
            TimerQueue *timers = TimerQueue::forCurrentThread();
            const auto timer = std::make_shared<TimerQueue::Id>();
            // Watching for the caller hanging up, until the answer is written.
            const auto watch = std::make_shared<QMetaObject::Connection>();
            *timer = timers->schedule(TimerQueue::nowNs() + qint64(latencyMs) * 1000000,
                [this, reply, account, balance, fail, timer, watch] {
                    *timer = 0;
                    disconnect(*watch); // the connection is kept alive for the next call
                    if (fail) {
                        reply->send(HttpReply::error(500, QStringLiteral("simulated upstream failure")));
                    } else {
                        reply->send(HttpReply::json(200,
                            QJsonObject { { QStringLiteral("account"), account }, { QStringLiteral("balance"), balance } }));
                    }
                    m_upstream.answered.fetch_add(1, std::memory_order_relaxed);
                });
            // A caller that gives up (its task cancelled at the deadline) closes the connection:
            // stop the timer, nothing is written.
            if (QTcpSocket *socket = reply->socket()) {
                *watch = connect(socket, &QTcpSocket::disconnected, this, [this, timers, timer] {
                    if (*timer == 0)
                        return;
                    timers->cancel(*timer);
                    *timer = 0;
                    m_upstream.abandoned.fetch_add(1, std::memory_order_relaxed);
                });
            }
        });
}

void HttpFrontend::addServiceRoutes()
{
    m_paths.insert(QStringLiteral("/healthz"));
    m_server->route(QStringLiteral("/healthz"), QHttpServerRequest::Method::Get | QHttpServerRequest::Method::Head,
        [](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            HttpReply::text(200, QByteArrayLiteral("ok")).writeTo(responder, request.method() != QHttpServerRequest::Method::Head);
        });
}

void HttpFrontend::answerMissing(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    // A HEAD answer has the headers of the GET answer and no body, or keep-alive clients would
    // read the body as the start of the next answer.
    const bool head = request.method() == QHttpServerRequest::Method::Head;
    const QString path = request.url().path();
    if (m_paths.contains(path) || path.startsWith(QLatin1String("/upstream/balance/"))) {
        HttpReply::error(405, QStringLiteral("method not allowed; use GET"))
            .withHeader(QByteArrayLiteral("Allow"), QByteArrayLiteral("GET"))
            .writeTo(responder, !head);
        return;
    }
    HttpReply::error(404, QStringLiteral("no route for ") + path).writeTo(responder, !head);
}
