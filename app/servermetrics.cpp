#include "servermetrics.h"

#include "fanoutresult.h"
#include "traceevent.h"
#include "workbudget.h"

#include <QMutexLocker>

namespace {

// Label values escape backslash, quote and newline (exposition format 0.0.4).
QString label(const QString &value)
{
    QString escaped = value;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('"'), QStringLiteral("\\\"")).replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

QString number(double value)
{
    return QString::number(value, 'g', 12);
}

// The work budget: what is in flight against its limits, and the requests it refused.
QString budgetExposition(const WorkBudget &budget)
{
    const WorkBudget::Counters counters = budget.counters();
    QString text;
    auto gauge = [&text](const char *name, const char *help, double value) {
        text += QStringLiteral("# HELP %1 %2\n# TYPE %1 gauge\n%1 %3\n").arg(QLatin1String(name), QLatin1String(help), number(value));
    };
    gauge("fanscope_tasks_in_flight", "Tasks in flight now, held until they really end (work budget).", double(counters.tasksInFlight));
    gauge("fanscope_max_tasks_in_flight", "Tasks allowed in flight at once (--max-tasks-in-flight).", double(budget.maxTasks()));
    gauge("fanscope_pool_seconds_in_flight", "Pool thread-seconds that /thread-pool requests in flight may still block.", double(counters.poolMsInFlight) / 1000);
    gauge("fanscope_max_pool_seconds", "Pool thread-seconds allowed in flight at once (--max-pool-seconds).", double(budget.maxPoolMs()) / 1000);
    text += QStringLiteral("# HELP fanscope_refused_total Fan-out requests refused with 503 before they started, because their work did not fit in the budget.\n"
                           "# TYPE fanscope_refused_total counter\n");
    for (const WorkBudget::Refusal reason : { WorkBudget::Refusal::Tasks, WorkBudget::Refusal::PoolTime }) {
        text += QStringLiteral("fanscope_refused_total{reason=\"%1\"} %2\n")
                    .arg(QLatin1String(WorkBudget::refusalName(reason)))
                    .arg(counters.refused[size_t(reason)]);
    }
    return text;
}

} // namespace

const QVector<double> &ServerMetrics::durationBuckets()
{
    static const QVector<double> buckets { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
    return buckets;
}

void ServerMetrics::countAnswer(const QString &route, int status)
{
    QMutexLocker locker(&m_mutex);
    ++m_answers[{ route, status }];
}

void ServerMetrics::countFanOut(const QString &route, double seconds, const FanOutResult &result)
{
    QMutexLocker locker(&m_mutex);
    for (const TaskOutcome &task : result.tasks)
        ++m_tasks[taskStatusName(task.status)];
    if (result.httpStatus == TraceEvent::AbandonedStatus)
        return;
    Histogram &histogram = m_durations[route];
    if (histogram.buckets.isEmpty())
        histogram.buckets.resize(durationBuckets().size());
    for (int i = 0; i < durationBuckets().size(); ++i) {
        if (seconds <= durationBuckets().at(i))
            ++histogram.buckets[i];
    }
    histogram.sum += seconds;
    ++histogram.count;
}

QByteArray ServerMetrics::exposition(const Gauges &gauges) const
{
    QMutexLocker locker(&m_mutex);
    QString text;
    text += QStringLiteral("# HELP fanscope_http_requests_total HTTP answers by route and status code.\n"
                           "# TYPE fanscope_http_requests_total counter\n");
    for (auto it = m_answers.cbegin(); it != m_answers.cend(); ++it) {
        text += QStringLiteral("fanscope_http_requests_total{route=%1,code=\"%2\"} %3\n")
                    .arg(label(it.key().first)).arg(it.key().second).arg(it.value());
    }
    text += QStringLiteral("# HELP fanscope_request_duration_seconds Time from a fan-out request's arrival to its answer.\n"
                           "# TYPE fanscope_request_duration_seconds histogram\n");
    for (auto it = m_durations.cbegin(); it != m_durations.cend(); ++it) {
        const QString route = label(it.key());
        for (int i = 0; i < durationBuckets().size(); ++i) {
            text += QStringLiteral("fanscope_request_duration_seconds_bucket{route=%1,le=\"%2\"} %3\n")
                        .arg(route, number(durationBuckets().at(i))).arg(it->buckets.at(i));
        }
        text += QStringLiteral("fanscope_request_duration_seconds_bucket{route=%1,le=\"+Inf\"} %2\n").arg(route).arg(it->count);
        text += QStringLiteral("fanscope_request_duration_seconds_sum{route=%1} %2\n").arg(route, number(it->sum));
        text += QStringLiteral("fanscope_request_duration_seconds_count{route=%1} %2\n").arg(route).arg(it->count);
    }
    text += QStringLiteral("# HELP fanscope_tasks_total Fanned-out tasks by final status.\n"
                           "# TYPE fanscope_tasks_total counter\n");
    for (const char *status : { "ok", "failed", "timed_out", "cancelled" }) {
        text += QStringLiteral("fanscope_tasks_total{status=\"%1\"} %2\n").arg(QLatin1String(status)).arg(m_tasks.value(QLatin1String(status)));
    }
    auto gauge = [&text](const char *name, const char *help, double value) {
        text += QStringLiteral("# HELP %1 %2\n# TYPE %1 gauge\n%1 %3\n").arg(QLatin1String(name), QLatin1String(help), number(value));
    };
    gauge("fanscope_workers", "Request worker threads.", gauges.workers);
    gauge("fanscope_busy_workers", "Request worker threads running a view now.", gauges.busyWorkers);
    gauge("fanscope_queue_depth", "Requests waiting for a free worker (at most --max-queue).", gauges.queueDepth);
    gauge("fanscope_live_clients",
        "Pages following the live timeline over WebSocket (at most --max-live-clients).",
        gauges.liveClients);
    gauge("fanscope_live_bytes_waiting",
        "Bytes written for the live pages and not yet sent (at most --max-live-buffer-kib KiB).",
        double(gauges.liveBytesWaiting));
    text += QStringLiteral(
        "# HELP fanscope_live_clients_dropped_total Live pages cut off: not reading, or a frame "
        "that broke the rules.\n# TYPE fanscope_live_clients_dropped_total counter\n"
        "fanscope_live_clients_dropped_total %1\n")
                .arg(gauges.liveClientsDropped);
    text += QStringLiteral(
        "# HELP fanscope_live_clients_refused_total WebSocket upgrades refused with 503: the live "
        "pages were full.\n# TYPE fanscope_live_clients_refused_total counter\n"
        "fanscope_live_clients_refused_total %1\n")
                .arg(gauges.liveClientsRefused);
    gauge("fanscope_exports_in_flight",
        "Trace exports under way now: a snapshot being taken or a body being written, a piece at a time (at most --max-exports).",
        exportsInFlight.load(std::memory_order_relaxed));
    text += QStringLiteral(
        "# HELP fanscope_exports_refused_total Trace exports refused with 503: --max-exports were "
        "under way.\n# TYPE fanscope_exports_refused_total counter\n"
        "fanscope_exports_refused_total %1\n")
                .arg(exportsRefused.load(std::memory_order_relaxed));
    gauge("fanscope_trace_events", "Timeline events held now; past --trace-events the oldest are forgotten.", gauges.traceEvents);
    gauge("fanscope_trace_events_capacity", "Timeline events that may be held (--trace-events).", gauges.traceCapacity);
    gauge("fanscope_pool_threads_held_past_deadline", "Pool threads still blocked by tasks their request gave up on (timed out or abandoned).",
        gauges.threadsHeldPastDeadline);
    if (m_budget)
        text += budgetExposition(*m_budget);
    text += QStringLiteral("# HELP fanscope_upstream_calls_total Calls the built-in upstream received.\n# TYPE fanscope_upstream_calls_total counter\n"
                           "fanscope_upstream_calls_total %1\n").arg(gauges.upstreamCalls);
    text += QStringLiteral("# HELP fanscope_upstream_abandoned_total Upstream calls whose caller hung up first.\n# TYPE fanscope_upstream_abandoned_total counter\n"
                           "fanscope_upstream_abandoned_total %1\n").arg(gauges.upstreamAbandoned);
    gauge("fanscope_upstream_connections_open", "Keep-alive connections that kind=http tasks hold to the upstream (at most --upstream-connections per thread).", gauges.upstreamConnectionsOpen);
    gauge("fanscope_upstream_calls_waiting", "kind=http calls waiting for a free upstream connection.", gauges.upstreamCallsWaiting);
    text += QStringLiteral("# HELP fanscope_upstream_connections_opened_total Connections kind=http tasks opened to the upstream.\n# TYPE fanscope_upstream_connections_opened_total counter\n"
                           "fanscope_upstream_connections_opened_total %1\n").arg(gauges.upstreamConnectionsOpened);
    text += QStringLiteral("# HELP fanscope_accept_errors_total Connections accept() could not take (out of file descriptors or memory); the listener backs off.\n"
                           "# TYPE fanscope_accept_errors_total counter\nfanscope_accept_errors_total %1\n").arg(gauges.acceptErrors);
    gauge("fanscope_connections_open", "Connections open now (at most --max-connections).", gauges.connectionsOpen);
    text += QStringLiteral("# HELP fanscope_connection_limit_reached_total Times the server stopped accepting because --max-connections were open.\n"
                           "# TYPE fanscope_connection_limit_reached_total counter\nfanscope_connection_limit_reached_total %1\n").arg(gauges.connectionLimitReached);
    text += QStringLiteral("# HELP fanscope_connections_held_back_total Times a connection's requests were read no further because its client had not read 256 KiB or 64 answers yet.\n"
                           "# TYPE fanscope_connections_held_back_total counter\nfanscope_connections_held_back_total %1\n").arg(gauges.connectionsHeldBack);
    gauge("fanscope_accept_paused", "1 while the listener waits before accepting again after accept() failed.", gauges.acceptPaused ? 1 : 0);
    if (const auto &turns = gauges.serverTurns) {
        text += QStringLiteral("# HELP fanscope_server_thread_turn_seconds How long each turn of the server thread's event loop kept it busy: how long a request's bytes or an answer could wait for it.\n"
                               "# TYPE fanscope_server_thread_turn_seconds histogram\n");
        for (size_t i = 0; i < turns->BoundsS.size(); ++i) {
            text += QStringLiteral("fanscope_server_thread_turn_seconds_bucket{le=\"%1\"} %2\n")
                        .arg(number(turns->BoundsS[i])).arg(turns->atMost[i]);
        }
        text += QStringLiteral("fanscope_server_thread_turn_seconds_bucket{le=\"+Inf\"} %1\n").arg(turns->count);
        text += QStringLiteral("fanscope_server_thread_turn_seconds_sum %1\n").arg(number(turns->sumS));
        text += QStringLiteral("fanscope_server_thread_turn_seconds_count %1\n").arg(turns->count);
        gauge("fanscope_server_thread_longest_turn_seconds", "The longest turn of the server thread's event loop since the start.", turns->longestS);
    }
    return text.toUtf8();
}
