#include "serverhost.h"

#include "awaitonestrategy.h"
#include "continuationstrategy.h"
#include "epolleventdispatcher.h"
#include "handover.h"
#include "httpfrontend.h"
#include "idletrimmer.h"
#include "loopworker.h"
#include "loopworkersimplestrategy.h"
#include "loopworkerstrategy.h"
#include "scopedloopstrategy.h"
#include "sequentialstrategy.h"
#include "servermetrics.h"
#include "threadpoolstrategy.h"
#include "tracerecorder.h"
#include "workbudget.h"

#include <QSemaphore>

#include <atomic>

ServerHost::ServerHost(TraceRecorder &recorder, const ServerOptions &options)
    : m_recorder(recorder)
    , m_options(options)
    , m_metrics(std::make_shared<ServerMetrics>())
    , m_budget(std::make_shared<WorkBudget>(
          options.maxTasksInFlight, qint64(options.maxPoolSeconds) * 1000))
    , m_loopWorker(std::make_unique<LoopWorker>(recorder, options.loopThreads))
{
    // Worker threads never expire, so the timeline keeps one stable lane per worker.
    m_workers.setMaxThreadCount(options.workers);
    m_workers.setExpiryTimeout(-1);
    m_workers.setObjectName(QStringLiteral("request-workers"));
    m_pool.setMaxThreadCount(options.poolThreads);
    m_pool.setExpiryTimeout(-1);
    m_pool.setObjectName(QStringLiteral("blocking-pool"));

    // The route table: one line per strategy.
    m_strategies.push_back(std::make_unique<SequentialStrategy>(recorder));
    m_strategies.push_back(std::make_unique<ScopedLoopStrategy>(recorder));
    m_strategies.push_back(std::make_unique<LoopWorkerStrategy>(recorder, *m_loopWorker));
    m_strategies.push_back(std::make_unique<LoopWorkerSimpleStrategy>(recorder, *m_loopWorker));
    m_strategies.push_back(std::make_unique<AwaitOneStrategy>(recorder, *m_loopWorker));
    m_strategies.push_back(std::make_unique<ThreadPoolStrategy>(recorder, m_pool));
    m_strategies.push_back(std::make_unique<ContinuationStrategy>(recorder, *m_loopWorker));

    for (const auto &strategy : m_strategies)
        strategy->setBudget(m_budget);
    m_metrics->setBudget(m_budget);

    m_serverThread.setObjectName(QStringLiteral("http-server"));
}

ServerHost::~ServerHost()
{
    stop();
}

std::vector<FanOutStrategy *> ServerHost::strategies() const
{
    std::vector<FanOutStrategy *> list;
    for (const auto &strategy : m_strategies)
        list.push_back(strategy.get());
    return list;
}

void ServerHost::startWorkers()
{
    // QThreadPool starts threads on demand. Start them all now, each registering its lane, so
    // that the timeline shows every worker from the start, numbered in a stable order. Each one
    // waits until all have started, or the pool would hand the next job to a finished one.
    const int count = m_workers.maxThreadCount();
    // Shared, not on this stack: a worker may still be inside acquire() when we return.
    auto started = std::make_shared<QSemaphore>();
    auto go = std::make_shared<QSemaphore>();
    for (int i = 0; i < count; ++i) {
        m_workers.start(handOver([this, started, go] {
            m_recorder.registerCurrentThread(ThreadKind::Worker);
            started->release();
            go->acquire();
        }));
    }
    started->acquire(count);
    go->release(count);
    // No waitForDone(): it would also end the threads we just started.
}

bool ServerHost::start(QString *error)
{
    Q_ASSERT(!m_frontend);
    startWorkers();
    // The front end is made on the server's thread, not moved there: QHttpServer keeps objects
    // that do not follow a move (its WebSocket server), and they must live where it works.
    auto *context = new QObject;
    m_threadContext = context;
    context->moveToThread(&m_serverThread);
    QObject::connect(&m_serverThread, &QThread::finished, context, &QObject::deleteLater);
#if defined(Q_OS_LINUX)
    // Its cost per turn follows the ready sockets, not the open ones (see its header). The
    // thread deletes it when it finishes; a server started again gets a new one.
    if (!m_serverThread.eventDispatcher())
        m_serverThread.setEventDispatcher(new EpollEventDispatcher);
#endif
    m_serverThread.start();
    quint16 port = 0;
    // BlockingQueuedConnection orders what the server's thread wrote before what this thread
    // reads after it, but with a semaphore inside libQt6Core that ThreadSanitizer cannot see
    // (Debian's Qt is not built with it); the flag says the same in a way TSan sees, as
    // handOver() does the other way. It is always set.
    std::atomic<bool> made { false };
    QMetaObject::invokeMethod(context, handOver([&] {
        m_frontend = new HttpFrontend(m_recorder, m_workers, m_options, strategies(), m_metrics);
        // The documented way to end an object with its thread: deleted there at its end.
        QObject::connect(&m_serverThread, &QThread::finished, m_frontend, &QObject::deleteLater);
        port = m_frontend->listen(m_options.address, m_options.port, error);
        // Known only now (the port may have been 0), and told to the strategies before this
        // thread goes back to its event loop and reads the first request: the views that use
        // them are handed to the workers from here, after these writes.
        m_url.setScheme(QStringLiteral("http"));
        m_url.setHost(m_options.address.toString());
        m_url.setPort(port);
        for (const auto &strategy : m_strategies) {
            strategy->setUpstream(upstreamUrl());
            strategy->setUpstreamConnections(m_options.upstreamConnections);
        }
        new IdleTrimmer(m_budget, m_frontend); // gives memory back after bursts
        made.store(true, std::memory_order_release);
    }),
        Qt::BlockingQueuedConnection);
    const bool frontendMade = made.load(std::memory_order_acquire);
    Q_ASSERT(frontendMade);
    Q_UNUSED(frontendMade);
    if (port == 0) {
        stop();
        return false;
    }
    return true;
}

QString ServerHost::exposureWarning() const
{
    if (!listensBeyondLoopback())
        return {};
    return QStringLiteral("listening on %1, beyond loopback: anyone who can reach this machine can "
                          "use the server, which has no authentication; use --bind 127.0.0.1 to "
                          "keep it local, or --allow-host NAME for the names clients use")
        .arg(m_options.address.toString());
}

QUrl ServerHost::upstreamUrl() const
{
    if (!m_options.upstream.isEmpty())
        return m_options.upstream;
    // Listening on every address (0.0.0.0 or ::) is not an address to call: use loopback.
    QUrl url = m_url;
    if (m_options.address == QHostAddress::AnyIPv4 || m_options.address == QHostAddress::Any)
        url.setHost(QStringLiteral("127.0.0.1"));
    else if (m_options.address == QHostAddress::AnyIPv6)
        url.setHost(QStringLiteral("::1"));
    return url;
}

ServerHost::UpstreamStats ServerHost::upstreamStats() const
{
    if (!m_frontend)
        return {};
    const auto &counters = m_frontend->upstream();
    return { counters.calls.load(), counters.answered.load(), counters.abandoned.load() };
}

int ServerHost::liveClients() const
{
    return m_frontend ? m_frontend->liveClients() : 0;
}

ServerLoad ServerHost::load() const
{
    ServerLoad load;
    load.workers = m_workers.maxThreadCount();
    load.busyWorkers = m_metrics->busyWorkers.load(std::memory_order_relaxed);
    // The front end is made and deleted on this (the owner's) thread, in start() and stop().
    load.queueDepth = m_frontend ? m_frontend->queueDepth() : 0;
    const WorkBudget::Counters budget = m_budget->counters();
    load.tasksInFlight = budget.tasksInFlight;
    load.maxTasksInFlight = m_budget->maxTasks();
    for (const quint64 refused : budget.refused)
        load.refused += refused;
    return load;
}

void ServerHost::stop()
{
    if (!m_loopWorker)
        return; // stopped already: the strategies' loop threads are gone
    // In this order, so that every client gets an answer or a closed connection, never a wait.
    // The server takes no more connections or views, and refuses those waiting for a worker.
    // (Blocking calls into the server's thread are safe: it never waits for anyone.)
    const bool serving = m_serverThread.isRunning() && m_frontend;
    if (serving)
        QMetaObject::invokeMethod(
            m_frontend, &HttpFrontend::stopAccepting, Qt::BlockingQueuedConnection);
    // Give up on the requests running, and on any that starts from now on, and join the workers
    // before the loop threads they may be waiting on.
    // Not m_workers.clear(): a view handed to the pool but not started yet would be dropped with
    // its answer (destroyed on this thread, its client never answered). Started now, it finds
    // its strategy aborting and is cut at once, and its answer goes out like the others.
    for (const auto &strategy : m_strategies)
        strategy->abortAll();
    m_workers.waitForDone();
    // The views' answers went to the server's thread as they returned, before this call: write
    // them out before the thread ends and its sockets close.
    if (serving)
        QMetaObject::invokeMethod(
            m_frontend, &HttpFrontend::flushAnswers, Qt::BlockingQueuedConnection);
    // Deleted on its thread now, rather than by the thread's end: QThread::wait() orders the
    // thread's last deletions before our return with a wait condition inside libQt6Core, which
    // ThreadSanitizer cannot see, and the front end's feed still reads the recorder as it goes.
    if (serving) {
        std::atomic<bool> deleted { false };
        QMetaObject::invokeMethod(m_threadContext, handOver([this, &deleted] {
            delete m_frontend;
            deleted.store(true, std::memory_order_release);
        }),
            Qt::BlockingQueuedConnection);
        const bool gone = deleted.load(std::memory_order_acquire);
        Q_ASSERT(gone);
        Q_UNUSED(gone);
    }
    if (m_serverThread.isRunning()) {
        m_serverThread.quit();
        m_serverThread.wait();
    }
    // A request that came while the front end was stopping may still be opening on a
    // strategy's own threads (a continuation's closers): it ends, aborted, before the loop
    // threads it schedules on go.
    for (const auto &strategy : m_strategies)
        strategy->abortAll();
    m_frontend = nullptr;
    m_threadContext = nullptr; // deleted with the thread's end
    // Blocking pool tasks stop early only when aborted (CPU work); others run to their end.
    m_pool.clear();
    m_pool.waitForDone();
    m_loopWorker.reset();
}
