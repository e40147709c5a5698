#include "serverloadlabel.h"

#include "tracerecorder.h"

ServerLoadLabel::ServerLoadLabel(TraceRecorder &recorder, QWidget *parent)
    : QLabel(parent)
    , m_recorder(recorder)
    , m_rate(recorder)
{
    setToolTip(tr("Request worker threads running a view now, of all of them; requests waiting for a "
                  "free worker; fan-out requests answered in the last second; tasks in flight against "
                  "the work budget (--max-tasks-in-flight), and in red when the budget refuses requests"));
    m_timer.setInterval(RefreshMs);
    connect(&m_timer, &QTimer::timeout, this, &ServerLoadLabel::refresh);
    m_timer.start();
    refresh();
}

void ServerLoadLabel::setProvider(std::function<ServerLoad()> provider)
{
    m_provider = std::move(provider);
    refresh();
}

void ServerLoadLabel::refresh()
{
    m_figures.load = m_provider ? std::optional<ServerLoad>(m_provider()) : std::nullopt;
    m_figures.requestsPerSecond = m_rate.sample(m_recorder.now());
    if (m_figures.load && m_figures.load->refused > m_lastRefused) {
        m_lastRefused = m_figures.load->refused;
        m_lastRefusalNs = m_recorder.now();
    }
    setText(describe());
    // Red while the budget turns requests away, so that it is seen when it bites.
    setStyleSheet(budgetBites() ? QStringLiteral("color: #c2185b; font-weight: bold") : QString());
    // Room for the widest figures seen so far: a status bar that reflows four times a second
    // as digits come and go is hard to read.
    setMinimumWidth(std::max(minimumWidth(), sizeHint().width()));
}

QString ServerLoadLabel::describe() const
{
    const QString rate = tr("%1 req/s").arg(m_figures.requestsPerSecond, 0, 'f', 0);
    if (!m_figures.load)
        return rate;
    const ServerLoad &load = *m_figures.load;
    QString text = tr("%1/%2 workers busy · %3 queued · %4").arg(load.busyWorkers).arg(load.workers).arg(load.queueDepth).arg(rate);
    if (load.maxTasksInFlight > 0)
        text += tr(" · %1/%2 tasks in flight").arg(load.tasksInFlight).arg(load.maxTasksInFlight);
    if (budgetBites())
        text += tr(" · budget full: %1 refused (503)").arg(load.refused);
    return text;
}

bool ServerLoadLabel::budgetBites() const
{
    return m_lastRefusalNs >= 0 && m_recorder.now() - m_lastRefusalNs < BudgetBitesMs * 1000000;
}
