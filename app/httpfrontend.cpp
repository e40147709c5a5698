#include "httpfrontend.h"

#include "abandonment.h"
#include "accesspolicy.h"
#include "answerinbox.h"
#include "backgroundbody.h"
#include "epolleventdispatcher.h"
#include "fanoutplan.h"
#include "fanoutstrategy.h"
#include "handover.h"
#include "httplimits.h"
#include "httplistener.h"
#include "livefeed.h"
#include "pendingreply.h"
#include "servermetrics.h"
#include "timerqueue.h"
#include "traceexport.h"
#include "traceexportwriter.h"
#include "tracerecorder.h"
#include "upstreamclient.h"
#include "workerqueue.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QPointer>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QThreadPool>
#include <QUrlQuery>
#include <QWebSocket>

#include <algorithm>
#include <memory>

namespace {

// How long a snapshot or give-up thread waits for more work before it goes.
constexpr int IdleThreadExpiryMs = 2000;

constexpr QHttpServerRequest::Methods GetOnly = QHttpServerRequest::Method::Get;
constexpr QHttpServerRequest::Methods GetOrHead
    = QHttpServerRequest::Method::Get | QHttpServerRequest::Method::Head;

// A query number as FanOutSpec reads them: plain decimal digits, no sign, no spaces.
std::optional<quint64> plainNumber(const QString &text)
{
    bool ok = false;
    const quint64 value = text.toULongLong(&ok);
    const bool digits = std::all_of(text.begin(), text.end(),
        [](QChar c) { return c >= QLatin1Char('0') && c <= QLatin1Char('9'); });
    return ok && digits ? std::optional<quint64>(value) : std::nullopt;
}

// A fan-out's answer: its result, or for one refused by the work budget the usual error, with
// a hint of when to try again (work in flight ends within a deadline, at most a minute).
HttpReply fanOutReply(const FanOutResult &result)
{
    if (result.httpStatus == TraceEvent::RefusedStatus)
        return HttpReply::error(result.httpStatus, result.error, result.errorParam)
            .withHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"));
    return HttpReply::json(result.httpStatus, result.toJson());
}

} // namespace

HttpFrontend::HttpFrontend(TraceRecorder &recorder, QThreadPool &workers,
    const ServerOptions &options, const std::vector<FanOutStrategy *> &strategies,
    std::shared_ptr<ServerMetrics> metrics)
    : m_recorder(recorder)
    , m_workers(workers)
    , m_options(options)
    , m_strategies(strategies)
    , m_metrics(std::move(metrics))
    , m_server(new QHttpServer(this))
    , m_feed(new LiveFeed(recorder,
          { options.maxLiveClients, qint64(options.maxLiveBufferKib) * 1024, options.liveStallMs },
          this))
    , m_queue(new WorkerQueue(workers, options.maxQueue, this))
    , m_inbox(AnswerInbox::create())
{
    m_exportPool.setObjectName(QStringLiteral("exports"));
    m_exportPool.setMaxThreadCount(options.maxExports);
    m_exportPool.setExpiryTimeout(IdleThreadExpiryMs);
    m_giveUps.setObjectName(QStringLiteral("give-ups"));
    m_giveUps.setMaxThreadCount(1);
    m_giveUps.setExpiryTimeout(IdleThreadExpiryMs);
    for (FanOutStrategy *strategy : strategies)
        addFanOutRoute(strategy);
    addUpstreamRoute();
    addPageRoutes();
    addApiRoutes();
    m_server->setMissingHandler(
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            answerMissing(request, std::move(responder));
        });
    connect(m_server, &QAbstractHttpServer::newWebSocketConnection, this, [this] {
        while (m_server->hasPendingWebSocketConnections()) {
            std::unique_ptr<QWebSocket> socket = m_server->nextPendingWebSocketConnection();
            const quint64 since = QUrlQuery(socket->requestUrl())
                                      .queryItemValue(QStringLiteral("since"))
                                      .toULongLong();
            m_metrics->countAnswer(QStringLiteral("/api/ws"), 101);
            m_feed->addClient(std::move(socket), since);
        }
    });
}

int HttpFrontend::queueDepth() const
{
    return m_queue->waitingNow();
}

int HttpFrontend::liveClients() const
{
    return m_feed->clientCount();
}

HttpFrontend::~HttpFrontend()
{
    // Answers still expected hold `this`: a reply that comes back after us finds none.
    m_inbox->dropAll();
}

quint16 HttpFrontend::listen(const QHostAddress &address, quint16 port, QString *error)
{
    // Our own listener, rather than QHttpServer::listen(): it reports why listening failed, and
    // it watches every connection before Qt reads it (limits, Connection: close, answer order).
    HttpLimits limits;
    limits.idleTimeoutMs = m_options.idleTimeoutMs;
    limits.headTimeoutMs = m_options.headTimeoutMs;
    auto listener = std::make_unique<HttpListener>(limits);
    // Qt's default backlog is 50 pending connections: a load tool opening hundreds at once
    // would see the rest dropped and retried a second later.
    listener->setListenBacklogSize(4096);
    listener->setMaxConnections(m_options.maxConnections);
    if (!listener->listenOn(address, port)) {
        *error = listener->errorString();
        return 0;
    }
    // Known only now when the port was 0: our own origin has it.
    listener->setAccessPolicy(std::make_shared<AccessPolicy>(
        address, listener->serverPort(), m_options.allowHosts, m_options.allowOrigins));
    // Past --max-live-clients, an upgrade is answered 503 before Qt sees it (Qt 6.4 has no way to
    // refuse one itself): the page then polls.
    listener->setUpgradeGate(
        [feed = QPointer<LiveFeed>(m_feed)] { return feed && feed->admitsAnother(); });
    connect(listener.get(), &HttpListener::refused, this,
        [this](int status) { m_metrics->countAnswer(QStringLiteral("refused"), status); });
    m_tcpServer = listener.release();
    m_server->bind(m_tcpServer); // takes ownership
    // The turns counted from here on are those of serving (setting up took one of ~25 ms).
    if (auto *dispatcher
        = qobject_cast<EpollEventDispatcher *>(QThread::currentThread()->eventDispatcher()))
        dispatcher->resetTurns();
    return m_tcpServer->serverPort();
}

void HttpFrontend::stopAccepting()
{
    if (auto *listener = qobject_cast<HttpListener *>(m_tcpServer))
        listener->stopListening(); // the kernel refuses new connections from now on
    else if (m_tcpServer)
        m_tcpServer->close();
    m_queue->close(HttpReply::error(503, QStringLiteral("the server is stopping"))
                       .withHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1")));
}

void HttpFrontend::flushAnswers()
{
    // A socket deleted with data still in its buffer drops it, and one closed with unread
    // bytes from its client resets the connection, which can destroy an answer the client has
    // not read yet. So: write what there is, drop what came in, close gracefully, and give
    // them all together a moment to finish, never more than ShutdownGraceMs (a client that
    // does not read must not hold the stop up).
    constexpr int ShutdownGraceMs = 300;
    if (!m_tcpServer)
        return;
    QList<QPointer<QTcpSocket>> closing;
    for (QTcpSocket *socket : m_tcpServer->findChildren<QTcpSocket *>(Qt::FindDirectChildrenOnly)) {
        socket->flush();
        socket->readAll();
        socket->disconnectFromHost();
        if (socket->state() != QAbstractSocket::UnconnectedState)
            closing.append(socket);
    }
    const QDeadlineTimer grace(ShutdownGraceMs);
    for (const QPointer<QTcpSocket> &socket : std::as_const(closing)) {
        if (grace.hasExpired())
            break;
        if (socket && socket->state() != QAbstractSocket::UnconnectedState)
            socket->waitForDisconnected(int(grace.remainingTime()));
    }
}

void HttpFrontend::addFanOutRoute(FanOutStrategy *strategy)
{
    m_methods.insert(strategy->route(), GetOnly);
    m_server->route(strategy->route(), QHttpServerRequest::Method::Get,
        [this, strategy](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            const QString route = strategy->route();
            auto parsed = FanOutSpec::fromQuery(request.query());
            if (const auto *error = std::get_if<SpecError>(&parsed)) {
                answer(responder, route, HttpReply::error(400, error->message, error->param));
                return;
            }
            const FanOutSpec spec = std::get<FanOutSpec>(parsed);
            auto reply = std::make_shared<PendingReply>(std::move(responder));
            if (reply->isClientGone()) { // asked and hung up at once: nothing to run for
                m_metrics->countAnswer(route, TraceEvent::AbandonedStatus);
                return;
            }
            if (strategy->holdsWorker())
                runOnWorker(strategy, spec, reply);
            else
                runAsContinuation(strategy, spec, reply);
        });
}

void HttpFrontend::runOnWorker(
    FanOutStrategy *strategy, const FanOutSpec &spec, const std::shared_ptr<PendingReply> &reply)
{
    const QString route = strategy->route();
    auto abandonment = std::make_shared<Abandonment>();
    QElapsedTimer arrived;
    arrived.start();
    // The view runs on a worker thread, as a synchronous WSGI view runs on a waitress thread;
    // the answer comes back to this thread to be written. It captures nothing of this object,
    // which a stopping server may delete while views still run: the strategy and the recorder
    // belong to the ServerHost, which joins the workers before it lets them go.
    auto view
        = [metrics = m_metrics, recorder = &m_recorder, strategy, spec, arrived, abandonment] {
              recorder->registerCurrentThread(ThreadKind::Worker);
              metrics->busyWorkers.fetch_add(1, std::memory_order_relaxed);
              const FanOutResult result = strategy->execute(spec, abandonment);
              metrics->busyWorkers.fetch_sub(1, std::memory_order_relaxed);
              metrics->countFanOut(strategy->route(), double(arrived.nsecsElapsed()) / 1e9, result);
              return fanOutReply(result);
          };
    const WorkerQueue::Ticket ticket = m_queue->submit(std::move(view),
        [this, reply, route](const HttpReply &answer) { deliver(*reply, route, answer); });
    if (!ticket) {
        deliver(*reply, route,
            HttpReply::error(503,
                m_queue->isClosed() ? QStringLiteral("the server is stopping")
                                    : QStringLiteral("all workers are busy and the queue is full"))
                .withHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1")));
        return;
    }
    // A client that hangs up gives its request up: a waiting one leaves the queue without
    // running (and frees its place at once), a running one is cut short and its answer dropped.
    reply->onClientGone(this, [this, abandonment, ticket, route] {
        giveUp(abandonment);
        if (m_queue->withdraw(ticket))
            m_metrics->countAnswer(route, TraceEvent::AbandonedStatus);
    });
}

void HttpFrontend::runAsContinuation(
    FanOutStrategy *strategy, const FanOutSpec &spec, const std::shared_ptr<PendingReply> &reply)
{
    const QString route = strategy->route();
    auto abandonment = std::make_shared<Abandonment>();
    QElapsedTimer arrived;
    arrived.start();
    // No worker: the answer is made where the last task ends (a loop thread), then handed back
    // here to be written. Nothing of this object goes to that thread, only the ticket.
    const AnswerInbox::Ticket ticket = m_inbox->expect(
        [this, reply, route](const HttpReply &answer) { deliver(*reply, route, answer); });
    strategy->start(spec, abandonment,
        [metrics = m_metrics, inbox = m_inbox, ticket, route, arrived](const FanOutResult &result) {
            metrics->countFanOut(route, double(arrived.nsecsElapsed()) / 1e9, result);
            AnswerInbox::handBack(inbox, ticket, fanOutReply(result));
        });
    reply->onClientGone(this, [this, abandonment] { giveUp(abandonment); });
}

void HttpFrontend::giveUp(std::shared_ptr<Abandonment> abandonment)
{
    // Only the abandonment goes: what giving up finishes is the strategy's (which outlives us)
    // and an answer handed back through the inbox, which drops it once we are gone.
    m_giveUps.start(handOver([abandonment = std::move(abandonment)] { abandonment->abandon(); }));
}

void HttpFrontend::addUpstreamRoute()
{
    // The built-in upstream that kind=http tasks call. It answers after the latency without
    // holding any thread: a timer on this thread's event loop writes the answer.
    m_methods.insert(QStringLiteral("/upstream/balance"), GetOnly);
    m_server->route(QStringLiteral("/upstream/balance/<arg>"), QHttpServerRequest::Method::Get,
        [this](const QString &account, const QHttpServerRequest &request,
            QHttpServerResponder &&responder) {
            const std::optional<int> index = FanOutPlan::accountIndex(account);
            if (!index) {
                answer(responder, QStringLiteral("/upstream/balance"),
                    HttpReply::error(404, QStringLiteral("no account ") + account));
                return;
            }
            const QUrlQuery query = request.query();
            // Latency up to what a fan-out can draw (latency + jitter); a seed for the balance.
            bool latencyOk = false, seedOk = true;
            const int latencyMs
                = query.queryItemValue(QStringLiteral("latency_ms")).toInt(&latencyOk);
            constexpr int MaxLatencyMs = FanOutSpec::MaxLatencyMs + FanOutSpec::MaxJitterMs;
            if (!latencyOk || latencyMs < 0 || latencyMs > MaxLatencyMs) {
                answer(responder, QStringLiteral("/upstream/balance"),
                    HttpReply::error(400,
                        QStringLiteral("latency_ms must be from 0 to %1").arg(MaxLatencyMs),
                        QStringLiteral("latency_ms")));
                return;
            }
            quint64 seed = 0;
            if (query.hasQueryItem(QStringLiteral("seed")))
                seed = query.queryItemValue(QStringLiteral("seed")).toULongLong(&seedOk);
            if (!seedOk) {
                answer(responder, QStringLiteral("/upstream/balance"),
                    HttpReply::error(400, QStringLiteral("seed must be an unsigned integer"),
                        QStringLiteral("seed")));
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
                [this, self = QPointer<HttpFrontend>(this), reply, account, balance, fail, timer,
                    watch] {
                    // The front end is deleted before its thread's timers stop: a timer due in
                    // between finds it gone.
                    if (!self)
                        return;
                    *timer = 0;
                    disconnect(*watch); // the connection is kept alive for the next call
                    const HttpReply answer = fail
                        ? HttpReply::error(500, QStringLiteral("simulated upstream failure"))
                        : HttpReply::json(200,
                            QJsonObject { { QStringLiteral("account"), account },
                                { QStringLiteral("balance"), balance } });
                    m_metrics->countAnswer(QStringLiteral("/upstream/balance"), answer.status());
                    reply->send(answer);
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

void HttpFrontend::addPageRoutes()
{
    m_methods.insert(QStringLiteral("/"), GetOrHead);
    m_server->route(QStringLiteral("/"),
        QHttpServerRequest::Method::Get | QHttpServerRequest::Method::Head,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            answerFile(responder, QStringLiteral("/"), QStringLiteral("index.html"),
                request.method() != QHttpServerRequest::Method::Head);
        });
    m_methods.insert(QStringLiteral("/static"), GetOrHead);
    m_server->route(QStringLiteral("/static/<arg>"),
        QHttpServerRequest::Method::Get | QHttpServerRequest::Method::Head,
        [this](const QString &name, const QHttpServerRequest &request,
            QHttpServerResponder &&responder) {
            answerFile(responder, QStringLiteral("/static"), name,
                request.method() != QHttpServerRequest::Method::Head);
        });
}

void HttpFrontend::answerFile(
    QHttpServerResponder &responder, const QString &route, const QString &name, bool withBody)
{
    static const QHash<QString, QByteArray> types {
        { QStringLiteral("html"), QByteArrayLiteral("text/html; charset=utf-8") },
        { QStringLiteral("js"), QByteArrayLiteral("text/javascript; charset=utf-8") },
        { QStringLiteral("css"), QByteArrayLiteral("text/css; charset=utf-8") },
        { QStringLiteral("svg"), QByteArrayLiteral("image/svg+xml") },
    };
    // Only plain names from the web folder: no paths, no dot files.
    static const QRegularExpression plainName(QStringLiteral("^[a-z0-9][a-z0-9._-]*$"));
    const QString extension = name.section(QLatin1Char('.'), -1);
    QFile file(QStringLiteral(":/web/") + name);
    if (!plainName.match(name).hasMatch() || !types.contains(extension)
        || !file.open(QIODevice::ReadOnly)) {
        answer(responder, route, HttpReply::error(404, QStringLiteral("no such file: ") + name),
            withBody);
        return;
    }
    answer(responder, route,
        HttpReply::text(200, file.readAll(), types.value(extension))
            .withHeader(QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-cache")),
        withBody);
}

void HttpFrontend::addApiRoutes()
{
    m_methods.insert(QStringLiteral("/healthz"), GetOrHead);
    m_server->route(QStringLiteral("/healthz"),
        QHttpServerRequest::Method::Get | QHttpServerRequest::Method::Head,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            answer(responder, QStringLiteral("/healthz"),
                HttpReply::text(200, QByteArrayLiteral("ok")),
                request.method() != QHttpServerRequest::Method::Head);
        });

    m_methods.insert(QStringLiteral("/api/info"), GetOnly);
    m_server->route(QStringLiteral("/api/info"), QHttpServerRequest::Method::Get,
        [this](const QHttpServerRequest &, QHttpServerResponder &&responder) {
            answer(responder, QStringLiteral("/api/info"), HttpReply::json(200, info()));
        });

    // Polling: the events after `since`, at most `max` (default and ceiling 5000) at a time.
    m_methods.insert(QStringLiteral("/api/events"), GetOnly);
    m_server->route(QStringLiteral("/api/events"), QHttpServerRequest::Method::Get,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            const QUrlQuery query = request.query();
            // Unknown parameters are refused, as on every other route: a typo must not pass.
            for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
                if (name != QLatin1String("since") && name != QLatin1String("max")) {
                    answer(responder, QStringLiteral("/api/events"),
                        HttpReply::error(400,
                            QStringLiteral("unknown parameter '%1'; the parameters are since, max")
                                .arg(name),
                            name));
                    return;
                }
            }
            const std::optional<quint64> since = query.hasQueryItem(QStringLiteral("since"))
                ? plainNumber(query.queryItemValue(QStringLiteral("since")))
                : 0;
            if (!since) {
                answer(responder, QStringLiteral("/api/events"),
                    HttpReply::error(400, QStringLiteral("since must be an unsigned integer"),
                        QStringLiteral("since")));
                return;
            }
            int max = LiveFeed::MaxEventsPerMessage;
            if (query.hasQueryItem(QStringLiteral("max"))) {
                const std::optional<quint64> value
                    = plainNumber(query.queryItemValue(QStringLiteral("max")));
                max = value && *value <= quint64(LiveFeed::MaxEventsPerMessage) ? int(*value) : 0;
                if (max < 1) {
                    answer(responder, QStringLiteral("/api/events"),
                        HttpReply::error(400,
                            QStringLiteral("max must be from 1 to %1")
                                .arg(LiveFeed::MaxEventsPerMessage),
                            QStringLiteral("max")));
                    return;
                }
            }
            quint64 last = 0;
            bool more = false;
            const QByteArray body = LiveFeed::message(m_recorder, *since, max, &last, &more);
            answer(responder, QStringLiteral("/api/events"),
                HttpReply::text(200, body, QByteArrayLiteral("application/json")));
        });

    // The live feed: the upgrade itself is Qt's; this route only has to exist and write
    // nothing when the request is an upgrade (Qt 6.4 upgrades only then).
    m_methods.insert(QStringLiteral("/api/ws"), GetOnly);
    m_server->route(QStringLiteral("/api/ws"), QHttpServerRequest::Method::Get,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            if (request.value(QByteArrayLiteral("upgrade"))
                    .compare(QByteArrayLiteral("websocket"), Qt::CaseInsensitive)
                != 0)
                answer(responder, QStringLiteral("/api/ws"),
                    HttpReply::error(426,
                        QStringLiteral("this is a WebSocket: connect with Upgrade: websocket, or "
                                       "poll /api/events"))
                        .withHeader(QByteArrayLiteral("Upgrade"), QByteArrayLiteral("websocket")));
        });

    // Exports: the snapshot is taken off this thread (a full history is half a million events),
    // then made a piece at a time on the export pool as the client reads it and written here, so
    // that the body never sits whole in memory however slowly it is read, and making it never
    // holds up this thread. Each one holds its snapshot until its client
    // has read it all, so at most --max-exports are under way; beyond, 503.
    auto exportRoute = [this](const QString &path, bool csv) {
        m_methods.insert(path, GetOnly);
        m_server->route(path, QHttpServerRequest::Method::Get,
            [this, path, csv](const QHttpServerRequest &, QHttpServerResponder &&responder) {
                auto reply = std::make_shared<PendingReply>(std::move(responder));
                std::shared_ptr<void> slot = takeExportSlot();
                if (!slot) {
                    m_metrics->exportsRefused.fetch_add(1, std::memory_order_relaxed);
                    deliver(*reply, path,
                        HttpReply::error(503,
                            QStringLiteral("%1 trace exports are under way already "
                                           "(--max-exports); retry when one is done")
                                .arg(m_options.maxExports))
                            .withHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1")));
                    return;
                }
                const auto format
                    = csv ? TraceExport::Format::Csv : TraceExport::Format::ChromeTrace;
                // The snapshot is taken on a pool thread (it copies the ring), and the stream is
                // driven here. The writer rides next to the ticket: the inbox carries only replies,
                // and the queued hand-back orders the write before the read.
                auto made = std::make_shared<std::shared_ptr<TraceExportWriter>>();
                const AnswerInbox::Ticket ticket = m_inbox->expect([this, reply, path, csv, made,
                                                                       slot](const HttpReply &) {
                    const std::shared_ptr<TraceExportWriter> writer = *made;
                    const HttpReply head = csv
                        ? HttpReply::text(200, {}, QByteArrayLiteral("text/csv; charset=utf-8"))
                              .withHeader(QByteArrayLiteral("Content-Disposition"),
                                  QByteArrayLiteral("inline; filename=\"fanscope-spans.csv\""))
                        : HttpReply::text(200, {}, QByteArrayLiteral("application/json"))
                              .withHeader(QByteArrayLiteral("Content-Disposition"),
                                  QByteArrayLiteral("inline; filename=\"fanscope-trace.json\""));
                    // Each piece is made on the export pool, never here. The slot is held by the
                    // body, which goes when the stream ends.
                    const bool sent = reply->sendStream(head,
                        BackgroundBody::create(
                            m_exportPool, [writer, slot] { return writer->next(); }));
                    m_metrics->countAnswer(path, sent ? 200 : TraceEvent::AbandonedStatus);
                });
                m_exportPool.start(
                    handOver([recorder = &m_recorder, format, inbox = m_inbox, ticket, made] {
                        *made = std::shared_ptr<TraceExportWriter>(
                            TraceExportWriter::fromRecorder(*recorder, format));
                        AnswerInbox::handBack(inbox, ticket, HttpReply::text(200, {}, {}));
                    }));
            });
    };
    exportRoute(QStringLiteral("/api/trace"), false);
    exportRoute(QStringLiteral("/api/trace.csv"), true);

    m_methods.insert(QStringLiteral("/metrics"), GetOnly);
    m_server->route(QStringLiteral("/metrics"), QHttpServerRequest::Method::Get,
        [this](const QHttpServerRequest &, QHttpServerResponder &&responder) {
            ServerMetrics::Gauges gauges;
            gauges.workers = m_workers.maxThreadCount();
            gauges.busyWorkers = m_metrics->busyWorkers.load(std::memory_order_relaxed);
            gauges.queueDepth = m_queue->waiting();
            gauges.liveClients = m_feed->clientCount();
            gauges.liveBytesWaiting = m_feed->bytesWaiting();
            gauges.liveClientsDropped = m_feed->droppedTotal();
            gauges.liveClientsRefused = m_feed->refusedTotal();
            gauges.traceEvents = m_recorder.heldEvents();
            gauges.traceCapacity = m_recorder.capacity();
            gauges.upstreamCalls = m_upstream.calls.load();
            gauges.upstreamAbandoned = m_upstream.abandoned.load();
            const UpstreamClient::Totals calling = UpstreamClient::totals();
            gauges.upstreamConnectionsOpen = calling.openConnections;
            gauges.upstreamCallsWaiting = calling.waitingCalls;
            gauges.upstreamConnectionsOpened = calling.connectionsOpened;
            if (const auto *listener = qobject_cast<const HttpListener *>(m_tcpServer)) {
                gauges.acceptErrors = listener->acceptErrors();
                gauges.acceptPaused = listener->isAcceptPaused();
                gauges.connectionsOpen = listener->openConnections();
                gauges.connectionLimitReached = listener->connectionLimitReached();
                gauges.connectionsHeldBack = listener->heldBack();
            }
            if (const auto *dispatcher
                = qobject_cast<EpollEventDispatcher *>(QThread::currentThread()->eventDispatcher()))
                gauges.serverTurns = dispatcher->turns();
            for (const FanOutStrategy *strategy : m_strategies)
                gauges.threadsHeldPastDeadline += strategy->threadsHeldPastDeadline();
            // Counted before it is written, so that this scrape includes itself.
            m_metrics->countAnswer(QStringLiteral("/metrics"), 200);
            answer(responder, QString(),
                HttpReply::text(200, m_metrics->exposition(gauges),
                    QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8")));
        });
}

QJsonObject HttpFrontend::info() const
{
    QJsonArray routes;
    for (FanOutStrategy *strategy : m_strategies)
        routes.append(QJsonObject { { QStringLiteral("route"), strategy->route() },
            { QStringLiteral("holds_worker"), strategy->holdsWorker() } });
    const FanOutSpec defaults;
    return QJsonObject {
        { QStringLiteral("version"), QStringLiteral(FANSCOPE_VERSION) },
        { QStringLiteral("routes"), routes },
        { QStringLiteral("workers"), m_options.workers },
        { QStringLiteral("loop_threads"), m_options.loopThreads },
        { QStringLiteral("pool_threads"), m_options.poolThreads },
        { QStringLiteral("max_queue"), m_options.maxQueue },
        { QStringLiteral("max_connections"), m_options.maxConnections },
        { QStringLiteral("max_live_clients"), m_options.maxLiveClients },
        { QStringLiteral("max_exports"), m_options.maxExports },
        { QStringLiteral("live_clients"), m_feed->clientCount() },
        { QStringLiteral("parameters"),
            QJsonObject {
                { QStringLiteral("tasks"), QJsonArray { 0, FanOutSpec::MaxTasks, defaults.tasks } },
                { QStringLiteral("latency_ms"),
                    QJsonArray { 0, FanOutSpec::MaxLatencyMs, defaults.latencyMs } },
                { QStringLiteral("jitter_ms"),
                    QJsonArray { 0, FanOutSpec::MaxJitterMs, defaults.jitterMs } },
                { QStringLiteral("fail_rate"), QJsonArray { 0, 1, defaults.failRate } },
                { QStringLiteral("timeout_ms"),
                    QJsonArray {
                        FanOutSpec::MinTimeoutMs, FanOutSpec::MaxTimeoutMs, defaults.timeoutMs } },
                { QStringLiteral("kind"),
                    QJsonArray {
                        QStringLiteral("timer"), QStringLiteral("http"), QStringLiteral("cpu") } },
            } },
    };
}

void HttpFrontend::answer(
    QHttpServerResponder &responder, const QString &route, const HttpReply &reply, bool withBody)
{
    if (!route.isEmpty())
        m_metrics->countAnswer(route, reply.status());
    // Through the connection's line all the same: an earlier request may still be waiting for
    // its answer.
    PendingReply(std::move(responder)).send(reply, withBody);
}

void HttpFrontend::deliver(PendingReply &reply, const QString &route, const HttpReply &answer)
{
    m_metrics->countAnswer(
        route, reply.send(answer) ? answer.status() : TraceEvent::AbandonedStatus);
}

std::shared_ptr<void> HttpFrontend::takeExportSlot()
{
    // Only this thread takes places; the token may be dropped elsewhere (with a pool thread's
    // last hold on the export), hence the atomic.
    if (m_metrics->exportsInFlight.fetch_add(1, std::memory_order_relaxed)
        >= m_options.maxExports) {
        m_metrics->exportsInFlight.fetch_sub(1, std::memory_order_relaxed);
        return {};
    }
    // Gives the place back when it goes.
    struct ExportSlot
    {
        explicit ExportSlot(std::shared_ptr<ServerMetrics> metrics)
            : metrics(std::move(metrics))
        { }
        ExportSlot(const ExportSlot &) = delete;
        ExportSlot &operator=(const ExportSlot &) = delete;
        ~ExportSlot() { metrics->exportsInFlight.fetch_sub(1, std::memory_order_relaxed); }
        const std::shared_ptr<ServerMetrics> metrics;
    };
    return std::make_shared<ExportSlot>(m_metrics);
}

void HttpFrontend::answerMissing(
    const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    // A HEAD answer has the headers of the GET answer and no body, or keep-alive clients would
    // read the body as the start of the next answer.
    const bool head = request.method() == QHttpServerRequest::Method::Head;
    const QString path = request.url().path();
    // A known path asked with a method it does not take: 405 with the methods it takes. A method
    // it takes that got here did not match its route's shape (/static/a/b): 404.
    if (const std::optional<QHttpServerRequest::Methods> methods = methodsOf(path);
        methods && !methods->testFlag(request.method())) {
        const QByteArray allow = methods->testFlag(QHttpServerRequest::Method::Head)
            ? QByteArrayLiteral("GET, HEAD")
            : QByteArrayLiteral("GET");
        answer(responder, QStringLiteral("unmatched"),
            HttpReply::error(
                405, QStringLiteral("method not allowed; use ") + QString::fromLatin1(allow))
                .withHeader(QByteArrayLiteral("Allow"), allow),
            !head);
        return;
    }
    // The path is not a label value: a scanner would make one time series per path it tried.
    answer(responder, QStringLiteral("unmatched"),
        HttpReply::error(404, QStringLiteral("no route for ") + path), !head);
}

std::optional<QHttpServerRequest::Methods> HttpFrontend::methodsOf(const QString &path) const
{
    if (const auto it = m_methods.constFind(path); it != m_methods.cend())
        return *it;
    // The routes that take an argument: /static/<arg>, /upstream/balance/<arg>.
    for (const QString &parent :
        { QStringLiteral("/static"), QStringLiteral("/upstream/balance") }) {
        if (path.startsWith(parent + QLatin1Char('/')))
            return m_methods.value(parent);
    }
    return std::nullopt;
}
