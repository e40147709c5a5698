#pragma once

// Fires N GET requests at one URL keeping C in flight, over real sockets, with libcurl's multi
// interface: one thread drives any number of connections, so asking for 1000 at once gets 1000
// at once (QNetworkAccessManager would hold six per host). Connections are kept alive and
// reused, as hey and wrk do.
#include "loadreport.h"

#include <QUrl>

#include <atomic>
#include <functional>

struct LoadConfig {
    QUrl url;
    int requests = 1;
    int concurrency = 0; // 0: as many as requests
    int timeoutMs = 0; // per request; 0: none
};

class LoadGenerator
{
public:
    explicit LoadGenerator(const LoadConfig &config);

    // Runs on the calling thread until every request is answered or failed, or cancel().
    // onBody gets each answer's body (HTTP status, body) if set; onProgress the number done, at
    // most ten times a second. Both run on the calling thread.
    LoadReport run(const std::function<void(int, const QByteArray &)> &onBody = {},
        const std::function<void(int)> &onProgress = {});

    // From any thread.
    void cancel() { m_cancelled.store(true); }
    int completed() const { return m_completed.load(std::memory_order_relaxed); }
    const LoadConfig &config() const { return m_config; }

    // Why a URL cannot be loaded ("" if it can): not http(s), no host.
    static QString checkUrl(const QUrl &url);

private:
    LoadConfig m_config;
    std::atomic<bool> m_cancelled { false };
    std::atomic<int> m_completed { 0 };
};
