#include "httpreply.h"

#include <QJsonDocument>

HttpReply HttpReply::json(int status, const QJsonObject &body)
{
    HttpReply reply;
    reply.m_status = status;
    reply.m_contentType = QByteArrayLiteral("application/json");
    reply.m_body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return reply;
}

HttpReply HttpReply::text(int status, const QByteArray &body, const QByteArray &contentType)
{
    HttpReply reply;
    reply.m_status = status;
    reply.m_contentType = contentType;
    reply.m_body = body;
    return reply;
}

HttpReply HttpReply::error(int status, const QString &message, const std::optional<QString> &param)
{
    QJsonObject body { { QStringLiteral("error"), message } };
    if (param)
        body.insert(QStringLiteral("param"), *param);
    return json(status, body);
}

HttpReply &HttpReply::withHeader(const QByteArray &name, const QByteArray &value)
{
    m_headers.append({ name, value });
    return *this;
}

void HttpReply::writeTo(QHttpServerResponder &responder, bool withBody) const
{
    responder.writeStatusLine(QHttpServerResponder::StatusCode(m_status));
    responder.writeHeader(QByteArrayLiteral("Content-Type"), m_contentType);
    responder.writeHeader(QByteArrayLiteral("Content-Length"), QByteArray::number(m_body.size()));
    for (const auto &header : m_headers)
        responder.writeHeader(header.first, header.second);
    responder.writeBody(withBody ? m_body : QByteArray());
}
