#include "httpfrontend.h"

#include "fanoutstrategy.h"
#include "pendingreply.h"
#include "tracerecorder.h"

#include <QTcpServer>
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
            if (m_queued.load(std::memory_order_relaxed) >= m_maxQueue) {
                HttpReply::error(503, QStringLiteral("all workers are busy and the queue is full"))
                    .withHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"))
                    .writeTo(responder);
                return;
            }
            m_queued.fetch_add(1, std::memory_order_relaxed);
            auto reply = std::make_shared<PendingReply>(std::move(responder));
            const FanOutSpec spec = std::get<FanOutSpec>(parsed);
            // The view runs on a worker thread, as a synchronous WSGI view runs on a waitress
            // thread; the answer comes back to this thread to be written.
            QtConcurrent::run(&m_workers, [this, strategy, spec] {
                m_queued.fetch_sub(1, std::memory_order_relaxed);
                m_recorder.registerCurrentThread(ThreadKind::Worker);
                const FanOutResult result = strategy->execute(spec);
                return HttpReply::json(result.httpStatus, result.toJson());
            }).then(this, [reply](const HttpReply &answer) { reply->send(answer); });
        });
}

void HttpFrontend::addServiceRoutes()
{
    m_paths.insert(QStringLiteral("/healthz"));
    m_server->route(QStringLiteral("/healthz"), QHttpServerRequest::Method::Get,
        [](const QHttpServerRequest &, QHttpServerResponder &&responder) {
            HttpReply::text(200, QByteArrayLiteral("ok")).writeTo(responder);
        });
}

void HttpFrontend::answerMissing(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    const QString path = request.url().path();
    if (m_paths.contains(path)) {
        HttpReply::error(405, QStringLiteral("method not allowed; use GET"))
            .withHeader(QByteArrayLiteral("Allow"), QByteArrayLiteral("GET"))
            .writeTo(responder);
        return;
    }
    HttpReply::error(404, QStringLiteral("no route for ") + path).writeTo(responder);
}
