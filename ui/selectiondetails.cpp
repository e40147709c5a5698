#include "selectiondetails.h"

#include <QFontDatabase>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

#include <cmath>

namespace {

double ms(qint64 ns)
{
    return std::round(double(ns) / 1e3) / 1e3;
}

} // namespace

SelectionDetails::SelectionDetails(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel)
    , m_text(new QPlainTextEdit)
{
    m_title->setTextFormat(Qt::PlainText);
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setMaximumBlockCount(2000);
    m_text->setToolTip(tr("The selected request's answer, or what the selected time range holds"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_text, 1);
    showHint();
}

void SelectionDetails::showHint()
{
    m_title->setText(tr("Nothing selected"));
    m_text->setPlainText(tr("Click a request or a task to see its request's answer; Shift+drag across the timeline to measure a time range; Escape clears."));
}

QString SelectionDetails::title() const
{
    return m_title->text();
}

QString SelectionDetails::text() const
{
    return m_text->toPlainText();
}

QJsonObject SelectionDetails::answerFromTrace(const TimelineModel &model, quint64 requestId)
{
    const auto request = model.request(requestId);
    if (!request)
        return {};
    const TimelineSpan &span = request->request;
    QJsonArray tasks;
    QVector<TimelineSpan> ordered = request->tasks;
    std::sort(ordered.begin(), ordered.end(), [](const TimelineSpan &a, const TimelineSpan &b) { return a.task < b.task; });
    for (const TimelineSpan &task : std::as_const(ordered)) {
        QJsonObject entry {
            { QStringLiteral("account"), QStringLiteral("account-%1").arg(task.task) },
            { QStringLiteral("status"), taskStatusName(task.status) },
            { QStringLiteral("start_ms"), ms(task.startNs - span.startNs) },
        };
        entry.insert(QStringLiteral("end_ms"), task.isOpen() ? QJsonValue() : QJsonValue(ms(task.endNs - span.startNs)));
        tasks.append(entry);
    }
    QJsonObject answer {
        { QStringLiteral("request_id"), qint64(requestId) },
        { QStringLiteral("route"), request->route },
        { QStringLiteral("tasks"), tasks },
    };
    if (request->neverStarted > 0)
        answer.insert(QStringLiteral("tasks_never_started"), request->neverStarted);
    if (!span.isOpen()) {
        answer.insert(QStringLiteral("http_status"), span.httpStatus);
        answer.insert(QStringLiteral("elapsed_ms"), ms(span.endNs - span.startNs));
    }
    return answer;
}

void SelectionDetails::showRequest(const TimelineModel &model, quint64 requestId, const std::optional<QJsonObject> &answer)
{
    const auto request = model.request(requestId);
    if (!request) {
        showHint();
        return;
    }
    if (answer) {
        m_title->setText(tr("#%1 %2: the answer this window received").arg(requestId).arg(request->route));
        m_text->setPlainText(QString::fromUtf8(QJsonDocument(*answer).toJson(QJsonDocument::Indented)));
        return;
    }
    m_title->setText(tr("#%1 %2: rebuilt from the trace (another client received the answer)").arg(requestId).arg(request->route));
    m_text->setPlainText(QString::fromUtf8(QJsonDocument(answerFromTrace(model, requestId)).toJson(QJsonDocument::Indented)));
}

void SelectionDetails::showRange(const TimelineModel &model, qint64 fromNs, qint64 toNs)
{
    const TimelineModel::RangeStatistics stats = model.statistics(fromNs, toNs);
    m_title->setText(tr("%1 ms to %2 ms (%3 ms)").arg(ms(fromNs)).arg(ms(toNs)).arg(ms(toNs - fromNs)));
    QString text = tr("Started in this range:\n"
                      "  requests  %1 (p50 %2 ms, p99 %3 ms)\n"
                      "  tasks     %4 (p50 %5 ms, p99 %6 ms)\n"
                      "            %7 ok, %8 failed, %9 timed out, %10 cancelled")
                       .arg(stats.requests)
                       .arg(stats.requestP50Ms, 0, 'f', 3)
                       .arg(stats.requestP99Ms, 0, 'f', 3)
                       .arg(stats.tasks)
                       .arg(stats.taskP50Ms, 0, 'f', 3)
                       .arg(stats.taskP99Ms, 0, 'f', 3)
                       .arg(stats.ok)
                       .arg(stats.failed)
                       .arg(stats.timedOut)
                       .arg(stats.cancelled);
    if (stats.open > 0)
        text += tr("\n  still running: %1 (not in the durations)").arg(stats.open);
    m_text->setPlainText(text);
}
