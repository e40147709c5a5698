#pragma once

// Under the timeline: what the selection holds. For a selected request, its answer (the one the
// window received, or one rebuilt from the trace when another client sent it); for a selected
// time range, counts, timeouts and p50/p99 durations of the spans that start in it.
#include "timelinemodel.h"

#include <QJsonObject>
#include <QWidget>

#include <optional>

class QLabel;
class QPlainTextEdit;

class SelectionDetails : public QWidget
{
    Q_OBJECT
public:
    explicit SelectionDetails(QWidget *parent = nullptr);

    // answer: the body the window's own client received for it, if it sent the request.
    void showRequest(const TimelineModel &model, quint64 requestId, const std::optional<QJsonObject> &answer);
    void showRange(const TimelineModel &model, qint64 fromNs, qint64 toNs);
    void showHint();

    QString title() const;
    QString text() const;

    // The answer's shape, rebuilt from the model's spans: request_id, route, http_status,
    // elapsed_ms and one entry per task (account, status, start_ms, end_ms, thread).
    static QJsonObject answerFromTrace(const TimelineModel &model, quint64 requestId);

private:
    QLabel *m_title;
    QPlainTextEdit *m_text;
};
