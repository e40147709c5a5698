#pragma once

// What the server has done, for /metrics in the Prometheus text format: answers by route and
// status code, the fan-out routes' durations as histograms, tasks by status, and gauges the
// caller reads at exposition time. Counting is thread-safe and cheap (one short lock per answer).
#include "epolleventdispatcher.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QMutex>
#include <QString>
#include <QVector>

#include <atomic>
#include <memory>
#include <optional>

struct FanOutResult;
class WorkBudget;

class ServerMetrics
{
public:
    // Live state, kept by the views (any thread).
    std::atomic<int> busyWorkers { 0 }; // views running now
    // Trace exports under way now: their snapshot being taken, or their body being written.
    std::atomic<int> exportsInFlight { 0 };
    std::atomic<quint64> exportsRefused { 0 }; // answered 503: --max-exports were under way

    // Upper bounds of the duration histogram, seconds (Prometheus' "le").
    static const QVector<double> &durationBuckets();

    // An answer written for `route` (the matched path, or "unmatched").
    void countAnswer(const QString &route, int status);
    // A fan-out answer: its duration from arrival to answer, and its tasks. An abandoned
    // request (its client hung up) counts its tasks but no duration: nobody got an answer.
    void countFanOut(const QString &route, double seconds, const FanOutResult &result);

    struct Gauges {
        int workers = 0;
        int busyWorkers = 0;
        int queueDepth = 0;
        int liveClients = 0;
        qint64 liveBytesWaiting = 0; // written to the pages' sockets, not yet sent
        quint64 liveClientsDropped = 0; // pages cut off for not reading, or misbehaving
        quint64 liveClientsRefused = 0; // upgrades refused: --max-live-clients pages already
        quint64 upstreamCalls = 0;
        quint64 upstreamAbandoned = 0;
        // The calling side of kind=http, over every thread's UpstreamClient.
        int upstreamConnectionsOpen = 0;
        int upstreamCallsWaiting = 0;
        quint64 upstreamConnectionsOpened = 0;
        quint64 acceptErrors = 0; // accept() failed for want of descriptors or memory
        bool acceptPaused = false; // backing off after such a failure
        int connectionsOpen = 0;
        quint64 connectionLimitReached = 0; // times accepting stopped at --max-connections
        quint64 connectionsHeldBack = 0; // times a client that did not read was read no further
        int threadsHeldPastDeadline = 0; // pool threads still blocked by tasks given up on
        // The server thread's turns, if it runs an EpollEventDispatcher.
        std::optional<EpollEventDispatcher::Turns> serverTurns;
        int traceEvents = 0; // the timeline's events held now
        int traceCapacity = 0; // at most this many: --trace-events
    };
    // Where the work budget's gauges and refusals come from (set once, before serving).
    void setBudget(std::shared_ptr<const WorkBudget> budget) { m_budget = std::move(budget); }
    QByteArray exposition(const Gauges &gauges) const;

private:
    struct Histogram {
        QVector<quint64> buckets; // cumulative counts per durationBuckets() entry
        double sum = 0;
        quint64 count = 0;
    };

    std::shared_ptr<const WorkBudget> m_budget;
    mutable QMutex m_mutex;
    QMap<QPair<QString, int>, quint64> m_answers; // (route, code) -> count
    QMap<QString, Histogram> m_durations;
    QMap<QString, quint64> m_tasks; // status -> count
};
