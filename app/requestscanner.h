#pragma once

// Reads the framing of the HTTP/1.x requests on one connection as their bytes arrive, before
// Qt's parser does: where each request ends, whether the connection outlives its answer, and
// whether the request is too big or malformed to be let through.
//
// Wherever it and Qt 6.4's parser could disagree on where a request ends, it refuses: one plain
// Content-Length or none, no Transfer-Encoding, no folded header lines. So every request it lets
// through is exactly one request to Qt as well. It keeps at most one line of the head in memory
// and counts body bytes without looking at them.
#include "accesspolicy.h"
#include "httplimits.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <deque>
#include <optional>

class RequestScanner
{
public:
    // A request that may go through.
    struct Head
    {
        qint64 start = 0; // stream offset where the request begins (blank lines before it included)
        qint64 end = 0; // stream offset just past the request, body included
        bool http10 = false;
        bool closeAfter = false; // the connection ends with this request's answer
        bool keepAlive = false; // HTTP/1.0 that asked to keep the connection: the answer says so
        bool upgrade = false; // a WebSocket upgrade: what follows is not HTTP
        bool expectContinue = false; // the client waits for 100 Continue before its body
    };
    // A request that must not go through; the connection answers it and closes.
    struct Refusal
    {
        qint64 start = 0; // stream offset where the refused request begins
        int status = 400;
        QString message;
        std::optional<QString>
            param; // the header or part of the request at fault, for the JSON error
    };

    explicit RequestScanner(const HttpLimits &limits = {});

    // Reads the next bytes of the stream; returns how many it took. It takes nothing more once
    // it has stopped: after a refusal, a request that closes the connection, or an upgrade.
    qint64 scan(QByteArrayView bytes);
    // How many bytes of the current request's body are still to come: they can be counted with
    // skipBody() instead of being looked at.
    qint64 bodyBytesLeft() const { return m_bodyLeft; }
    void skipBody(qint64 count);
    bool hasStopped() const { return m_state == State::Stopped; }
    qint64 offset() const { return m_offset; } // bytes of the stream taken so far
    // Part of a request has come and not the rest (blank lines between requests do not count).
    bool isMidRequest() const
    {
        return m_state == State::Headers || m_state == State::Body || !m_line.isEmpty();
    }
    // Part of a request's head has come, and not its end. Blank lines before a request count:
    // they are part of its head, and a client could send them for ever.
    bool isReadingHead() const
    {
        return m_state == State::Headers
            || (m_state == State::RequestLine && m_offset > m_requestStart);
    }
    qint64 requestStart() const { return m_requestStart; }
    // The head being read took too long: it is refused with 408, and scanning stops.
    void expireHead();

    // The requests scanned completely since the last call, in order.
    std::deque<Head> takeHeads();
    const std::optional<Refusal> &refusal() const { return m_refusal; }

private:
    enum class State
    {
        RequestLine,
        Headers,
        Body,
        Stopped
    };

    qint64 scanLine(QByteArrayView bytes);
    void takeLine(QByteArrayView line);
    void takeRequestLine(QByteArrayView line);
    void takeHeaderLine(QByteArrayView line);
    void endHead();
    void endRequest();
    void refuse(
        int status, const QString &message, const std::optional<QString> &param = std::nullopt);

    const HttpLimits m_limits;
    State m_state = State::RequestLine;
    qint64 m_offset = 0;
    qint64 m_requestStart = 0; // offset of the current request, blank lines before it included
    QByteArray m_line; // the line being read, without its end
    qint64 m_bodyLeft = 0;
    bool m_stopAfterBody = false;

    // What the current request's head says so far.
    Head m_head;
    int m_fieldCount = 0;
    QByteArray m_connection; // every Connection header, comma-joined, lower case
    QByteArray m_upgrade; // the first Upgrade header
    std::optional<qint64> m_contentLength; // -1: too many digits to bother
    bool m_transferEncoding = false;
    QByteArray m_expect; // every Expect header, comma-joined, lower case
    AccessPolicy::Request m_access;

    std::deque<Head> m_heads;
    std::optional<Refusal> m_refusal;
};
