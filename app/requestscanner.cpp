#include "requestscanner.h"

#include <QList>

#include <algorithm>
#include <utility>

namespace {

// What a refusal names as its "param" when no single header is to blame: the parts of a request
// as RFC 9112 names them.
const QString RequestLine = QStringLiteral("request-line");
const QString HttpVersion = QStringLiteral("HTTP-version");
const QString Headers = QStringLiteral("header-section");

// RFC 9110 §5.6.2: the characters of a method or a header name.
bool isToken(QByteArrayView text)
{
    static constexpr QByteArrayView extra = "!#$%&'*+-.^_`|~";
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || extra.contains(c);
    });
}

// A request target: visible ASCII only (no spaces, controls or raw UTF-8).
bool isTarget(QByteArrayView text)
{
    return !text.isEmpty()
        && std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// A header value may hold tabs, visible characters and obs-text, but no other control character.
bool isFieldValue(QByteArrayView text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = uchar(c);
        return u == '\t' || (u >= 0x20 && u != 0x7f);
    });
}

QByteArrayView trimmed(QByteArrayView text)
{
    while (!text.isEmpty() && (text.front() == ' ' || text.front() == '\t'))
        text = text.sliced(1);
    while (!text.isEmpty() && (text.back() == ' ' || text.back() == '\t'))
        text.chop(1);
    return text;
}

bool hasToken(const QByteArray &list, QByteArrayView token)
{
    for (const QByteArray &item : list.split(','))
        if (trimmed(item) == token)
            return true;
    return false;
}

} // namespace

RequestScanner::RequestScanner(const HttpLimits &limits)
    : m_limits(limits)
{ }

qint64 RequestScanner::scan(QByteArrayView bytes)
{
    qint64 taken = 0;
    while (taken < bytes.size() && m_state != State::Stopped) {
        if (m_state == State::Body) {
            const qint64 count = std::min(m_bodyLeft, bytes.size() - taken);
            skipBody(count);
            taken += count;
        } else {
            taken += scanLine(bytes.sliced(taken));
        }
    }
    return taken;
}

void RequestScanner::skipBody(qint64 count)
{
    Q_ASSERT(m_state == State::Body && count <= m_bodyLeft);
    m_bodyLeft -= count;
    m_offset += count;
    if (m_bodyLeft == 0)
        endRequest();
}

std::deque<RequestScanner::Head> RequestScanner::takeHeads()
{
    return std::exchange(m_heads, {});
}

qint64 RequestScanner::scanLine(QByteArrayView bytes)
{
    const qsizetype newline = bytes.indexOf('\n');
    const QByteArrayView part = newline < 0 ? bytes : bytes.first(newline);
    const qint64 taken = newline < 0 ? bytes.size() : newline + 1;
    // Checked before anything is kept: a line or a head beyond the limits is never buffered.
    if (m_line.size() + part.size() > m_limits.maxLineBytes) {
        if (m_state == State::RequestLine)
            refuse(414,
                QStringLiteral("the request line is longer than %1 bytes")
                    .arg(m_limits.maxLineBytes),
                RequestLine);
        else
            refuse(431,
                QStringLiteral("a header line is longer than %1 bytes").arg(m_limits.maxLineBytes),
                Headers);
        return taken;
    }
    if (m_offset + taken - m_requestStart > m_limits.maxHeadBytes) {
        refuse(431,
            QStringLiteral("the request head is larger than %1 bytes").arg(m_limits.maxHeadBytes),
            Headers);
        return taken;
    }
    m_offset += taken;
    m_line += part;
    if (newline >= 0) {
        QByteArrayView line = m_line;
        if (line.endsWith('\r')) // CRLF, or a bare LF as Qt (and RFC 9112 §2.2) allows
            line.chop(1);
        takeLine(line);
        m_line.clear();
    }
    return taken;
}

void RequestScanner::takeLine(QByteArrayView line)
{
    if (m_state == State::RequestLine)
        takeRequestLine(line);
    else
        takeHeaderLine(line);
}

void RequestScanner::takeRequestLine(QByteArrayView line)
{
    // Blank lines before a request are allowed (RFC 9112 §2.2); they count towards its head.
    if (line.isEmpty())
        return;
    // method SP target SP HTTP/x.y, single spaces (RFC 9112 §3).
    const QList<QByteArray> parts = line.toByteArray().split(' ');
    if (parts.size() != 3 || !isToken(parts.at(0)) || !isTarget(parts.at(1)))
        return refuse(400, QStringLiteral("malformed request line"), RequestLine);
    const QByteArray &version = parts.at(2);
    const auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
    if (version.size() != 8 || !version.startsWith("HTTP/") || !isDigit(version.at(5))
        || version.at(6) != '.' || !isDigit(version.at(7)))
        return refuse(400, QStringLiteral("malformed HTTP version"), HttpVersion);
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return refuse(505, QStringLiteral("only HTTP/1.0 and HTTP/1.1 are served"), HttpVersion);
    m_head.http10 = version == "HTTP/1.0";
    m_access.http10 = m_head.http10;
    m_access.target = parts.at(1);
    m_state = State::Headers;
}

void RequestScanner::takeHeaderLine(QByteArrayView line)
{
    if (line.isEmpty())
        return endHead();
    if (++m_fieldCount > m_limits.maxHeaderFields)
        return refuse(431,
            QStringLiteral("more than %1 header fields").arg(m_limits.maxHeaderFields), Headers);
    // A folded line would be read by Qt as a header of its own (RFC 9112 §5.2 lets us refuse it).
    if (line.front() == ' ' || line.front() == '\t')
        return refuse(400, QStringLiteral("folded header lines are not accepted"), Headers);
    const qsizetype colon = line.indexOf(':');
    // No whitespace between name and colon either (RFC 9112 §5.1).
    if (colon < 0 || !isToken(line.first(colon)))
        return refuse(400, QStringLiteral("malformed header line"), Headers);
    const QByteArrayView value = trimmed(line.sliced(colon + 1));
    if (!isFieldValue(value))
        return refuse(400, QStringLiteral("control characters in a header value"), Headers);

    const QByteArray name = line.first(colon).toByteArray().toLower();
    if (name == "connection") {
        m_connection += value.toByteArray().toLower() + ',';
    } else if (name == "upgrade") {
        if (m_upgrade.isEmpty())
            m_upgrade = value.toByteArray();
    } else if (name == "transfer-encoding") {
        m_transferEncoding = true;
    } else if (name == "content-length") {
        // Two would leave Qt and us to choose one each; only digits, as Qt reads no other way.
        if (m_contentLength || value.isEmpty()
            || !std::all_of(
                value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return refuse(400, QStringLiteral("Content-Length must be given once, as a number"),
                QStringLiteral("Content-Length"));
        m_contentLength = value.size() > 18 ? -1 : value.toLongLong();
    } else if (name == "expect") {
        m_expect += value.toByteArray().toLower() + ',';
    } else if (name == "host") {
        if (m_access.hostCount++ == 0)
            m_access.host = value.toByteArray();
    } else if (name == "origin") {
        if (m_access.originCount++ == 0)
            m_access.origin = value.toByteArray();
    } else if (name == "sec-fetch-site") {
        m_access.fetchSite = value.toByteArray().toLower();
    }
}

void RequestScanner::endHead()
{
    // A body of unknown length could only be read to its end by buffering it.
    if (m_transferEncoding)
        return refuse(411,
            QStringLiteral(
                "a request body needs a Content-Length; Transfer-Encoding is not accepted"),
            QStringLiteral("Transfer-Encoding"));
    const qint64 length = m_contentLength.value_or(0);
    const bool tooLarge = length < 0 || length > m_limits.maxBodyBytes;
    // RFC 9110 §10.1.1: 100-continue is the one expectation there is; HTTP/1.0 cannot have it.
    if (!m_expect.isEmpty() && !m_head.http10) {
        if (m_expect != "100-continue,")
            return refuse(417, QStringLiteral("only Expect: 100-continue is understood"),
                QStringLiteral("Expect"));
        if (tooLarge) // the client has not sent the body yet: tell it not to
            return refuse(417,
                QStringLiteral("the request body would be larger than %1 bytes")
                    .arg(m_limits.maxBodyBytes),
                QStringLiteral("Expect"));
        m_head.expectContinue = length > 0;
    }
    if (tooLarge)
        return refuse(413,
            QStringLiteral("the request body is larger than %1 bytes").arg(m_limits.maxBodyBytes),
            QStringLiteral("Content-Length"));
    if (m_limits.access) {
        if (const auto denial = m_limits.access->check(m_access))
            return refuse(denial->status, denial->message, denial->param);
    }

    // RFC 9112 §9.3: HTTP/1.1 stays open unless it says close; HTTP/1.0 closes unless it says
    // keep-alive. An upgrade is Qt's rule: "upgrade" anywhere in Connection, Upgrade: websocket.
    const bool close = hasToken(m_connection, "close");
    const bool keepAlive = hasToken(m_connection, "keep-alive");
    m_head.upgrade = m_connection.contains("upgrade")
        && m_upgrade.compare("websocket", Qt::CaseInsensitive) == 0;
    m_head.closeAfter = close || (m_head.http10 && !keepAlive) || m_head.upgrade;
    m_head.keepAlive = m_head.http10 && !m_head.closeAfter;
    m_head.start = m_requestStart;
    m_head.end = m_offset + length;
    m_heads.push_back(m_head);
    m_stopAfterBody = m_head.closeAfter;
    m_bodyLeft = length;
    if (length > 0)
        m_state = State::Body;
    else
        endRequest();
}

void RequestScanner::endRequest()
{
    if (m_stopAfterBody) {
        m_state = State::Stopped;
        return;
    }
    m_state = State::RequestLine;
    m_requestStart = m_offset;
    m_head = {};
    m_fieldCount = 0;
    m_connection.clear();
    m_upgrade.clear();
    m_contentLength.reset();
    m_transferEncoding = false;
    m_expect.clear();
    m_access = {};
}

void RequestScanner::expireHead()
{
    if (isReadingHead())
        refuse(408,
            QStringLiteral("the request head did not arrive within %1 ms")
                .arg(m_limits.headTimeoutMs),
            Headers);
}

void RequestScanner::refuse(int status, const QString &message, const std::optional<QString> &param)
{
    m_refusal = Refusal { m_requestStart, status, message, param };
    m_state = State::Stopped;
    m_line.clear();
}
