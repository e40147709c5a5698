#pragma once

// A complete HTTP response as a value: built anywhere, written once on the server's thread.
#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>

#include <functional>
#include <optional>

class HttpReply
{
public:
    // A body written as the client reads it. Asked for its next piece (on the server's thread),
    // it hands the piece to the taker on that thread, at once or later if it is made elsewhere;
    // an empty piece is the end. It is not asked again before it has answered.
    using PieceTaker = std::function<void(const QByteArray &)>;
    using BodySource = std::function<void(PieceTaker)>;

    static HttpReply json(int status, const QJsonObject &body);
    static HttpReply text(int status, const QByteArray &body, const QByteArray &contentType = "text/plain; charset=utf-8");
    // PRODUCT.md's error shape: {"error": "...", "param": "..."} (param only when one is to blame;
    // it may be empty, for a query item without a name).
    static HttpReply error(int status, const QString &message, const std::optional<QString> &param = std::nullopt);

    HttpReply &withHeader(const QByteArray &name, const QByteArray &value);
    int status() const { return m_status; }
    const QByteArray &body() const { return m_body; }

    // The response as it goes on the wire. Without the body for HEAD requests (the headers still
    // say how long it would be).
    QByteArray toBytes(bool withBody = true) const;
    // The head of an answer whose body is streamed after it (the body set here is not used):
    // HTTP/1.1 chunked, or with no length at all (HTTP/1.0: the body ends when the connection
    // does).
    QByteArray streamHead(bool chunked) const;
    static QByteArray reasonPhrase(int status);

private:
    int m_status = 200;
    QByteArray m_contentType;
    QByteArray m_body;
    QList<QPair<QByteArray, QByteArray>> m_headers;
};
