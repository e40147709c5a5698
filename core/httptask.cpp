#include "httptask.h"

#include "fanin.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

HttpTask::HttpTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent)
    : Task(std::move(fanIn), index, parent)
{
}

HttpTask::~HttpTask()
{
    if (m_call)
        m_client->cancel(m_call); // the cancellation: leaves the queue, or closes the connection
}

QUrl HttpTask::url() const
{
    QUrl url = fanIn().plan().upstream();
    url.setPath(url.path() + QStringLiteral("/upstream/balance/") + plan().account());
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("latency_ms"), QString::number(plan().latencyNs / 1000000));
    query.addQueryItem(QStringLiteral("seed"), QString::number(fanIn().plan().seed()));
    if (plan().fails)
        query.addQueryItem(QStringLiteral("fail"), QStringLiteral("1"));
    url.setQuery(query);
    return url;
}

void HttpTask::start()
{
    m_client = UpstreamClient::forCurrentThread();
    if (const int connections = fanIn().plan().upstreamConnections(); connections > 0)
        m_client->setMaxConnections(connections);
    // Asked when a connection frees up: a call given up on while it waited never goes out.
    auto stillWanted
        = [this] { return !fanIn().isGivenUp(index()) && !fanIn().deadline().hasExpired(); };
    m_call = m_client->get(
        url(), [this](const UpstreamClient::Answer &answer) { onAnswer(answer); }, stillWanted);
}

void HttpTask::onAnswer(const UpstreamClient::Answer &answer)
{
    m_call = 0;
    if (answer.status != 200) {
        complete(TaskStatus::Failed,
            answer.error.isEmpty() ? QStringLiteral("upstream answered %1").arg(answer.status)
                                   : answer.error);
        return;
    }
    const QJsonValue balance
        = QJsonDocument::fromJson(answer.body).object().value(QStringLiteral("balance"));
    if (!balance.isDouble()) {
        complete(TaskStatus::Failed, QStringLiteral("upstream answer has no balance"));
        return;
    }
    complete(TaskStatus::Ok, {}, balance.toDouble());
}
