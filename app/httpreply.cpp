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

QByteArray HttpReply::toBytes(bool withBody) const
{
    QByteArray bytes;
    bytes.reserve(128 + (withBody ? m_body.size() : 0));
    bytes += "HTTP/1.1 " + QByteArray::number(m_status) + ' ' + reasonPhrase(m_status) + "\r\n";
    bytes += "Content-Type: " + m_contentType + "\r\n";
    bytes += "Content-Length: " + QByteArray::number(m_body.size()) + "\r\n";
    for (const auto &header : m_headers)
        bytes += header.first + ": " + header.second + "\r\n";
    bytes += "\r\n";
    if (withBody)
        bytes += m_body;
    return bytes;
}

QByteArray HttpReply::streamHead(bool chunked) const
{
    QByteArray bytes
        = "HTTP/1.1 " + QByteArray::number(m_status) + ' ' + reasonPhrase(m_status) + "\r\n";
    bytes += "Content-Type: " + m_contentType + "\r\n";
    if (chunked)
        bytes += "Transfer-Encoding: chunked\r\n";
    for (const auto &header : m_headers)
        bytes += header.first + ": " + header.second + "\r\n";
    return bytes + "\r\n";
}

QByteArray HttpReply::reasonPhrase(int status)
{
    // The statuses Fanscope answers with (RFC 9110 §15); clients read the number, the phrase is
    // for people. 499 is nginx's, for a request whose client hung up first.
    switch (status) {
    case 100: return QByteArrayLiteral("Continue");
    case 101: return QByteArrayLiteral("Switching Protocols");
    case 200: return QByteArrayLiteral("OK");
    case 400: return QByteArrayLiteral("Bad Request");
    case 403: return QByteArrayLiteral("Forbidden");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 408: return QByteArrayLiteral("Request Timeout");
    case 411: return QByteArrayLiteral("Length Required");
    case 413: return QByteArrayLiteral("Content Too Large");
    case 414: return QByteArrayLiteral("URI Too Long");
    case 417: return QByteArrayLiteral("Expectation Failed");
    case 421: return QByteArrayLiteral("Misdirected Request");
    case 426: return QByteArrayLiteral("Upgrade Required");
    case 429: return QByteArrayLiteral("Too Many Requests");
    case 431: return QByteArrayLiteral("Request Header Fields Too Large");
    case 499: return QByteArrayLiteral("Client Closed Request");
    case 500: return QByteArrayLiteral("Internal Server Error");
    case 502: return QByteArrayLiteral("Bad Gateway");
    case 503: return QByteArrayLiteral("Service Unavailable");
    case 504: return QByteArrayLiteral("Gateway Timeout");
    case 505: return QByteArrayLiteral("HTTP Version Not Supported");
    default: return QByteArray(); // RFC 9112 §4: the phrase may be empty, not wrong
    }
}
