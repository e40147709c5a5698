#include "httpanswerreader.h"

#include <QList>

#include <algorithm>

namespace {

const QByteArray CrLf = QByteArrayLiteral("\r\n");

bool isToken(const QByteArray &name)
{
    if (name.isEmpty())
        return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

bool isDigits(const QByteArray &text)
{
    return !text.isEmpty()
        && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

void HttpAnswerReader::feed(const QByteArray &bytes)
{
    if (m_state == State::Failed)
        return;
    m_buffer.append(bytes);
    // Each step consumes what it can and says whether the next one may go on.
    for (;;) {
        bool progressed = false;
        switch (m_state) {
        case State::Head:
            progressed = readHead();
            break;
        case State::FixedBody:
            progressed = readFixedBody();
            break;
        case State::ChunkSize:
            progressed = readChunkSize();
            break;
        case State::ChunkData:
            progressed = readChunkData();
            break;
        case State::ChunkEnd:
            progressed = readChunkEnd();
            break;
        case State::Trailers:
            progressed = readTrailers();
            break;
        case State::Done:
        case State::Failed:
            return;
        }
        if (!progressed)
            return;
    }
}

void HttpAnswerReader::finishInput()
{
    if (m_state == State::Done || m_state == State::Failed)
        return;
    fail(m_state == State::Head && m_buffer.isEmpty()
            ? QStringLiteral("upstream closed the connection without answering")
            : QStringLiteral("upstream closed the connection in the middle of its answer"));
}

void HttpAnswerReader::fail(const QString &error)
{
    m_state = State::Failed;
    m_error = error;
    m_buffer.clear();
    m_body.clear();
    m_keepAlive = false;
}

bool HttpAnswerReader::readHead()
{
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (end < 0 || end + 4 > MaxHeadBytes) {
        if (end >= 0 || m_buffer.size() > MaxHeadBytes)
            fail(QStringLiteral("upstream answer head is over %1 bytes").arg(MaxHeadBytes));
        return false;
    }
    const QByteArray head = m_buffer.left(end);
    m_buffer.remove(0, end + 4);
    return parseHead(head);
}

bool HttpAnswerReader::parseHead(const QByteArray &head)
{
    // Lines end with CRLF; a bare CR or LF anywhere else is malformed.
    QList<QByteArray> lines;
    for (qsizetype from = 0;;) {
        const qsizetype end = head.indexOf(CrLf, from);
        lines.append(head.mid(from, end < 0 ? -1 : end - from));
        if (end < 0)
            break;
        from = end + 2;
    }
    for (const QByteArray &line : std::as_const(lines)) {
        if (line.contains('\r') || line.contains('\n')) {
            fail(QStringLiteral("upstream answer has a bare CR or LF"));
            return false;
        }
    }
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    const QByteArray &statusLine = lines.first();
    const bool http11 = statusLine.startsWith("HTTP/1.1 ");
    const bool http10 = statusLine.startsWith("HTTP/1.0 ");
    const QByteArray code = statusLine.mid(9, 3);
    if ((!http11 && !http10) || !isDigits(code)
        || (statusLine.size() > 12 && statusLine.at(12) != ' ')) {
        fail(QStringLiteral("upstream answer has no valid status line"));
        return false;
    }
    m_status = code.toInt();
    if (m_status < 200) {
        fail(QStringLiteral("upstream sent an interim %1 answer, which nothing asked for")
                 .arg(m_status));
        return false;
    }

    QByteArray contentLength;
    bool chunked = false;
    bool closeAsked = false;
    bool keepAliveAsked = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        const QByteArray name = colon > 0 ? line.left(colon).toLower() : QByteArray();
        if (!isToken(name)) {
            fail(QStringLiteral("upstream answer has a malformed header line"));
            return false;
        }
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            if (!isDigits(value) || (!contentLength.isNull() && contentLength != value)) {
                fail(QStringLiteral("upstream answer has an invalid Content-Length"));
                return false;
            }
            contentLength = value;
        } else if (name == "transfer-encoding") {
            if (value.toLower() != "chunked" || chunked) {
                fail(QStringLiteral("upstream answer has an unsupported Transfer-Encoding '%1'")
                         .arg(QString::fromLatin1(value)));
                return false;
            }
            chunked = true;
        } else if (name == "connection") {
            for (const QByteArray &option : value.toLower().split(',')) {
                closeAsked |= option.trimmed() == "close";
                keepAliveAsked |= option.trimmed() == "keep-alive";
            }
        }
    }
    m_keepAlive = !closeAsked && (http11 || keepAliveAsked);

    // RFC 9112 §6.1 lets Transfer-Encoding override Content-Length; both at once is how request
    // smuggling starts, so a strict reader refuses it.
    if (chunked && !contentLength.isNull()) {
        fail(QStringLiteral("upstream answer has both Content-Length and Transfer-Encoding"));
        return false;
    }
    if (m_status == 204 || m_status == 304) {
        m_state = State::Done;
        return true;
    }
    if (chunked) {
        m_state = State::ChunkSize;
        return true;
    }
    if (contentLength.isNull()) {
        fail(QStringLiteral("upstream answer says neither its Content-Length nor chunked"));
        return false;
    }
    if (contentLength.size() > 9 || contentLength.toLongLong() > m_maxBodyBytes) {
        fail(QStringLiteral("upstream answer body is over %1 bytes").arg(m_maxBodyBytes));
        return false;
    }
    m_remaining = contentLength.toLongLong();
    m_state = m_remaining == 0 ? State::Done : State::FixedBody;
    return true;
}

bool HttpAnswerReader::readFixedBody()
{
    if (m_buffer.isEmpty())
        return false;
    const qsizetype take = qsizetype(std::min<qint64>(m_remaining, m_buffer.size()));
    m_body.append(m_buffer.constData(), take);
    m_buffer.remove(0, take);
    m_remaining -= take;
    if (m_remaining == 0)
        m_state = State::Done;
    return m_remaining == 0;
}

bool HttpAnswerReader::readChunkSize()
{
    const qsizetype end = m_buffer.indexOf(CrLf);
    if (end < 0 || end > MaxChunkLineBytes) {
        if (end >= 0 || m_buffer.size() > MaxChunkLineBytes)
            fail(QStringLiteral("upstream answer has a chunk size line over %1 bytes")
                     .arg(MaxChunkLineBytes));
        return false;
    }
    QByteArray line = m_buffer.left(end);
    m_buffer.remove(0, end + 2);
    const qsizetype extension = line.indexOf(';'); // chunk extensions are allowed and ignored
    if (extension >= 0)
        line.truncate(extension);
    line = line.trimmed();
    bool ok = false;
    // Eight hex digits at most: enough for any chunk under the cap, and no overflow.
    const qint64 size = line.size() <= 8 ? line.toLongLong(&ok, 16) : -1;
    if (!ok || size < 0 || line.startsWith('+') || line.startsWith('-')) {
        fail(QStringLiteral("upstream answer has an invalid chunk size"));
        return false;
    }
    if (m_body.size() + size > m_maxBodyBytes) {
        fail(QStringLiteral("upstream answer body is over %1 bytes").arg(m_maxBodyBytes));
        return false;
    }
    m_remaining = size;
    m_state = size == 0 ? State::Trailers : State::ChunkData;
    return true;
}

bool HttpAnswerReader::readChunkData()
{
    if (m_buffer.isEmpty())
        return false;
    const qsizetype take = qsizetype(std::min<qint64>(m_remaining, m_buffer.size()));
    m_body.append(m_buffer.constData(), take);
    m_buffer.remove(0, take);
    m_remaining -= take;
    if (m_remaining == 0)
        m_state = State::ChunkEnd;
    return m_remaining == 0;
}

bool HttpAnswerReader::readChunkEnd()
{
    if (m_buffer.size() < 2)
        return false;
    if (!m_buffer.startsWith(CrLf)) {
        fail(QStringLiteral("upstream answer has a chunk not ended by CRLF"));
        return false;
    }
    m_buffer.remove(0, 2);
    m_state = State::ChunkSize;
    return true;
}

bool HttpAnswerReader::readTrailers()
{
    const qsizetype end = m_buffer.indexOf(CrLf);
    if (end < 0) {
        if (m_trailerBytes + m_buffer.size() > MaxHeadBytes)
            fail(QStringLiteral("upstream answer trailers are over %1 bytes").arg(MaxHeadBytes));
        return false;
    }
    m_trailerBytes += int(end + 2);
    if (m_trailerBytes > MaxHeadBytes) {
        fail(QStringLiteral("upstream answer trailers are over %1 bytes").arg(MaxHeadBytes));
        return false;
    }
    m_buffer.remove(0, end + 2);
    if (end == 0)
        m_state = State::Done; // the empty line after the (ignored) trailers
    return true;
}
