#include "httptask.h"

#include "fanin.h"
#include "upstreamclient.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QUrlQuery>

HttpTask::HttpTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent)
    : Task(std::move(fanIn), index, parent)
{
}

HttpTask::~HttpTask()
{
    if (m_reply) {
        m_reply->disconnect(this);
        if (m_reply->isRunning())
            m_reply->abort(); // the cancellation: closes the connection to the upstream
        // Deleted here, on its thread: worker threads may never run a deleteLater().
        delete m_reply;
    }
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
    QNetworkRequest request(url());
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    m_reply = UpstreamClient::forCurrentThread()->get(request);
    connect(m_reply, &QNetworkReply::finished, this, &HttpTask::onFinished);
}

void HttpTask::onFinished()
{
    QNetworkReply *reply = m_reply; // kept until the task goes: deleting it in its own signal is unsafe
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    const QString networkError = reply->error() != QNetworkReply::NoError && status == 0 ? reply->errorString() : QString();

    if (status != 200) {
        complete(TaskStatus::Failed,
            networkError.isEmpty() ? QStringLiteral("upstream answered %1").arg(status) : networkError);
        return;
    }
    const QJsonValue balance = QJsonDocument::fromJson(body).object().value(QStringLiteral("balance"));
    if (!balance.isDouble()) {
        complete(TaskStatus::Failed, QStringLiteral("upstream answer has no balance"));
        return;
    }
    complete(TaskStatus::Ok, {}, balance.toDouble());
}
