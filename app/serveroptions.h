#pragma once

// How the embedded server is set up: the command line's server options (PRODUCT.md).
#include <QHostAddress>
#include <QStringList>
#include <QUrl>

struct ServerOptions {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 6543; // 0 picks a free one
    int workers = 5; // request worker threads, like waitress' threads = 5
    int loopThreads = 1; // long-lived event-loop threads of the loop-worker strategies
    int maxQueue = 100; // requests waiting for a worker beyond this get 503
    // Connections open at once (the built-in upstream's and live pages' included); past it the
    // server stops accepting until one closes, as nginx's worker_connections.
    int maxConnections = 2000;
    // Threads of the pool that /thread-pool blocks: as Python's ThreadPoolExecutor, a few
    // dozen, enough for several requests' fan-outs at once.
    int poolThreads = 32;
    // The work budget (WorkBudget), shared by every strategy: tasks in flight at once (each
    // costs memory until it really ends: 50,000 keep a default server far under 1 GiB), and
    // thread-seconds that /thread-pool requests in flight may block the pool for (600: the
    // whole default pool for about 19 s, so it drains within that whatever was asked). A
    // request past either is refused with 503.
    int maxTasksInFlight = 50000;
    int maxPoolSeconds = 600;
    QUrl upstream; // where kind=http tasks call; empty: the built-in one on our own port
    // Keep-alive connections to the upstream per thread that runs kind=http tasks; calls beyond
    // wait for one (see UpstreamClient).
    int upstreamConnections = 10;
    // A connection idle this long (no answer pending, nothing received) is closed; tests shorten
    // it. See HttpLimits::idleTimeoutMs.
    int idleTimeoutMs = 60000;
    int headTimeoutMs = 10000; // a request head must arrive whole within this: HttpLimits
    // Names (Host) and origins (Origin) served besides our own: see AccessPolicy.
    QStringList allowHosts;
    QStringList allowOrigins;
    // Pages following the live timeline over WebSocket; beyond, an upgrade gets 503 and the page
    // polls /api/events instead.
    int maxLiveClients = 16;
    // What may wait, unsent, for all live pages together (each has at most one message
    // waiting; past this, pages wait their turn). See LiveFeed.
    int maxLiveBufferKib = 32 * 1024;
    // A live page that takes nothing of its last message for this long is cut off; tests shorten it.
    int liveStallMs = 10000;
    // Trace exports (/api/trace, /api/trace.csv) under way at once; beyond, 503. Each holds a
    // snapshot of the whole trace (about 40 bytes an event, 20 MB for a full default history)
    // until its client has read it all, and taking one is a burst of CPU.
    int maxExports = 2;
};
