#pragma once

// The status bar's live figures: busy request workers of all, requests waiting for a worker, and
// requests answered per second. Four times a second it reads them from cheap sources (a provider
// of plain numbers, the trace recorder's new events), so the GUI thread never waits on the server.
#include "requestrate.h"
#include "serverload.h"

#include <QLabel>
#include <QTimer>

#include <functional>
#include <optional>

class TraceRecorder;

class ServerLoadLabel : public QLabel
{
    Q_OBJECT
public:
    static constexpr int RefreshMs = 250;

    struct Figures {
        std::optional<ServerLoad> load; // none without a provider
        double requestsPerSecond = 0;
    };

    explicit ServerLoadLabel(TraceRecorder &recorder, QWidget *parent = nullptr);

    // Where the worker figures come from; without one, the label shows requests/s only.
    void setProvider(std::function<ServerLoad()> provider);
    const Figures &figures() const { return m_figures; }

public Q_SLOTS:
    void refresh();

private:
    QString describe() const;
    // Whether the budget refused a request within the last BudgetBitesMs.
    bool budgetBites() const;
    static constexpr qint64 BudgetBitesMs = 3000;

    TraceRecorder &m_recorder;
    RequestRate m_rate;
    std::function<ServerLoad()> m_provider;
    QTimer m_timer;
    Figures m_figures;
    quint64 m_lastRefused = 0;
    qint64 m_lastRefusalNs = -1; // recorder clock, when the refusals last grew
};
