#pragma once

// Owns everything behind the embedded server: the request worker pool, the loop threads, the
// strategies (the route table) and the server's own thread. Starts and stops them in order.
#include "serverload.h"
#include "serveroptions.h"

#include <QThread>
#include <QThreadPool>
#include <QUrl>

#include <memory>
#include <vector>

class FanOutStrategy;
class HttpFrontend;
class LoopWorker;
class ServerMetrics;
class TraceRecorder;
class WorkBudget;

class ServerHost
{
public:
    ServerHost(TraceRecorder &recorder, const ServerOptions &options);
    ~ServerHost(); // stop()
    ServerHost(const ServerHost &) = delete;
    ServerHost &operator=(const ServerHost &) = delete;

    // Listens; returns false with *error set if it cannot. Blocks only while the server thread
    // binds its socket.
    bool start(QString *error);
    // Stops accepting, gives up on requests in flight, answers what it can (503 to those still
    // waiting for a worker, their cut-short answer to those running) and joins every thread it
    // started. Takes milliseconds, whatever runs: nothing it waits for can take long.
    void stop();

    QUrl url() const { return m_url; } // http://127.0.0.1:6543
    // Whether machines other than this one can connect (--bind 0.0.0.0, a LAN address ...). The
    // server has no authentication, so this deserves a warning, which exposureWarning() words;
    // it is empty when only this machine can connect.
    bool listensBeyondLoopback() const { return !m_options.address.isLoopback(); }
    QString exposureWarning() const;
    QUrl upstreamUrl() const; // where kind=http tasks call
    // Calls the built-in upstream has received, answered, and seen abandoned by their caller.
    struct UpstreamStats {
        quint64 calls = 0;
        quint64 answered = 0;
        quint64 abandoned = 0;
    };
    UpstreamStats upstreamStats() const;
    // Counters and gauges of /metrics; shared with the views that update them.
    std::shared_ptr<ServerMetrics> metrics() const { return m_metrics; }
    int liveClients() const; // pages following the live feed
    // Busy workers and queue depth now, from atomic counters: cheap and safe from any thread.
    ServerLoad load() const;
    const ServerOptions &options() const { return m_options; }
    std::vector<FanOutStrategy *> strategies() const;

private:
    void startWorkers();

    TraceRecorder &m_recorder;
    const ServerOptions m_options;
    QThreadPool m_workers;
    QThreadPool m_pool; // what /thread-pool blocks
    std::shared_ptr<ServerMetrics> m_metrics;
    std::shared_ptr<WorkBudget> m_budget; // shared by the strategies; leases keep it alive
    std::unique_ptr<LoopWorker> m_loopWorker;
    std::vector<std::unique_ptr<FanOutStrategy>> m_strategies;
    QThread m_serverThread;
    HttpFrontend *m_frontend = nullptr; // lives on m_serverThread
    QObject *m_threadContext = nullptr; // lives on m_serverThread, deleted at its end
    QUrl m_url;
};
