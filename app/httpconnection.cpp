#include "httpconnection.h"

#include "httpreply.h"

#include <QPointer>
#include <QTcpSocket>

#include <algorithm>
#include <utility>

#include <sys/socket.h>

HttpConnection::HttpConnection(QTcpSocket *socket, const HttpLimits &limits)
    : QObject(socket)
    , m_socket(socket)
    , m_limits(limits)
    , m_scanner(limits)
{
    // The socket never buffers more than one whole request and a little: the rest waits in the
    // kernel, and TCP slows the client down. A request beyond the limits is refused long before.
    socket->setReadBufferSize(limits.readBufferBytes());
    connect(socket, &QIODevice::readyRead, this, &HttpConnection::beforeServerReads);
    m_linger.setSingleShot(true);
    m_linger.setInterval(limits.lingerMs);
    connect(&m_linger, &QTimer::timeout, socket, &QAbstractSocket::abort);
    connect(socket, &QAbstractSocket::disconnected, &m_linger, &QTimer::stop);
    m_idle.setSingleShot(true);
    m_idle.setInterval(limits.idleTimeoutMs);
    connect(&m_idle, &QTimer::timeout, this, &HttpConnection::closeIdle);
    connect(socket, &QAbstractSocket::disconnected, &m_idle, &QTimer::stop);
    m_idle.start();
    m_headDeadline.setSingleShot(true);
    m_headDeadline.setInterval(limits.headTimeoutMs);
    connect(&m_headDeadline, &QTimer::timeout, this, &HttpConnection::expireHead);
    connect(socket, &QAbstractSocket::disconnected, &m_headDeadline, &QTimer::stop);
    // A streamed body's next piece is made when the socket has sent most of the last one; a body
    // nobody will read is let go at once (it may hold a snapshot of the whole trace).
    connect(socket, &QIODevice::bytesWritten, this, [this] {
        if (m_stream) {
            m_idle.start();
            writeStream();
        }
    });
    connect(socket, &QAbstractSocket::disconnected, this, [this] { m_stream.reset(); });
    connect(socket, &QIODevice::bytesWritten, this, &HttpConnection::resumeWhenDrained);
}

void HttpConnection::watchHeadDeadline()
{
    // One deadline per head, from the time its first bytes were seen: bytes that trickle in do
    // not move it, as they move the idle timer. Only once Qt has read every request before it:
    // until then the head waits for the server (requests still to parse, answers the client has
    // not taken while held back, a full buffer), not for its client.
    if (!m_scanner.isReadingHead() || m_holdingBack
        || consumedByServer() < m_scanner.requestStart()) {
        m_headDeadline.stop();
        return;
    }
    if (!m_headDeadline.isActive() || m_headStart != m_scanner.requestStart()) {
        m_headStart = m_scanner.requestStart();
        m_headDeadline.start();
    }
}

void HttpConnection::expireHead()
{
    if (m_upgraded || m_closing || m_serverCutOff || !m_scanner.isReadingHead())
        return;
    m_scanner.expireHead();
    if (!m_cutAt)
        m_cutAt = m_scanner.refusal()->start;
    // Qt has read every request before this head (it reads each as soon as it is whole), so the
    // 408 is written in its turn, after the answers still due.
    cutOffServerWhenDue();
}

void HttpConnection::closeIdle()
{
    // A WebSocket's page may stay quiet as long as it likes; a closing connection has its own
    // clock; a route still working on an answer is not the client's idleness.
    if (m_upgraded || m_closing || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    // A client that stopped reading a streamed body, or answers it asked for (held back with
    // bytes unsent, none taken for so long): nothing more will get through.
    if (m_stream || (m_holdingBack && m_socket->bytesToWrite() > 0)) {
        m_socket->abort();
        return;
    }
    if (!m_answers.empty()) {
        m_idle.start();
        return;
    }
    // Half a request, then nothing: say so before closing (RFC 9110 §15.5.9). Nothing at all:
    // just close, as keep-alive allows at any time between requests.
    if (m_scanner.isMidRequest()) {
        const quint64 place = m_nextPlace++;
        m_answers[place].closeAfter = true;
        answer(place, HttpReply::error(408, QStringLiteral("the request did not arrive in time"), QStringLiteral("request")), true);
        return;
    }
    closeWhenWritten();
}

HttpConnection *HttpConnection::of(QTcpSocket *socket)
{
    return socket ? socket->findChild<HttpConnection *>(QString(), Qt::FindDirectChildrenOnly) : nullptr;
}

void HttpConnection::followServer()
{
    // Slots run in the order they were connected: this one after QHttpServer's.
    connect(m_socket, &QIODevice::readyRead, this, &HttpConnection::afterServerRead);
}

void HttpConnection::beforeServerReads()
{
    if (m_upgraded)
        return;
    m_idle.start();
    scanArrivedBytes();
    watchHeadDeadline();
    cutOffServerWhenDue();
    holdBackWhenBusy();
}

void HttpConnection::afterServerRead()
{
    // First, even for an upgrade scanned in this readyRead: Qt must then find the request.
    if (std::exchange(m_hidingFromServer, false))
        m_socket->rollbackTransaction(); // the requests are there again, for later
    if (m_upgraded)
        return;
    m_buffered = m_socket->bytesAvailable();
    watchHeadDeadline();
    cutOffServerWhenDue();
}

bool HttpConnection::hasTooMuchToWrite() const
{
    const qint64 limit
        = m_holdingBack ? m_limits.outputHighWaterBytes / 4 : m_limits.outputHighWaterBytes;
    return m_socket->bytesToWrite() >= limit
        || m_answers.size() >= size_t(m_limits.maxAnswersPending);
}

void HttpConnection::holdBackWhenBusy()
{
    // Qt's slot runs next and reads every request in the buffer, one per readyRead. While the
    // client has too much to read, the buffer is hidden from it for this readyRead: a read
    // transaction of ours skips to its end (Qt then finds nothing, and does not start a
    // transaction of its own), rolled back in afterServerRead(). Only between requests: one Qt
    // has half read goes on. The buffer then fills, the socket stops reading the kernel, and TCP
    // makes the client wait.
    if (m_upgraded || m_serverCutOff || m_closing || m_socket->isTransactionStarted()
        || !hasTooMuchToWrite())
        return;
    if (!m_holdingBack) {
        m_holdingBack = true;
        Q_EMIT heldBack();
    }
    // The head that waits behind the answers is not late: its clock starts again on resuming.
    m_headDeadline.stop();
    m_socket->startTransaction();
    m_socket->skip(m_socket->bytesAvailable());
    m_hidingFromServer = true;
}

void HttpConnection::resumeWhenDrained()
{
    if (!m_holdingBack)
        return;
    m_idle.start(); // the client is reading: not idle
    if (hasTooMuchToWrite())
        return;
    m_holdingBack = false;
    watchHeadDeadline();
    // Nothing new may arrive (the client may be waiting for these answers): Qt is told now.
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(m_socket, &QIODevice::readyRead, Qt::QueuedConnection);
}

void HttpConnection::scanArrivedBytes()
{
    // Qt closes a socket its peer reset, buffer and all, before we see it: nothing to scan (and
    // peeking would print a warning per connection, which under a flood is a flood of its own).
    if (!m_socket->isOpen())
        return;
    // Only new bytes can have come since we last looked: Qt reads in its slot, between ours.
    const qint64 buffered = m_socket->bytesAvailable();
    const qint64 arrived = std::max<qint64>(0, buffered - m_buffered);
    m_received += arrived;
    m_buffered = buffered;

    // The new bytes are the last ones in the buffer. Body bytes are counted, not looked at.
    QByteArray unread;
    qint64 at = buffered - arrived;
    while (at < buffered && !m_scanner.hasStopped()) {
        if (const qint64 body = m_scanner.bodyBytesLeft(); body > 0) {
            const qint64 count = std::min(body, buffered - at);
            m_scanner.skipBody(count);
            at += count;
            continue;
        }
        if (unread.isNull())
            unread = m_socket->peek(buffered);
        at += m_scanner.scan(QByteArrayView(unread).sliced(at));
    }

    for (const RequestScanner::Head &head : m_scanner.takeHeads()) {
        // RFC 9110 §10.1.1: the client waits for 100 before sending the body. Sent only when no
        // earlier answer is due, since it must not come before them; a client told nothing sends
        // its body after a second or so anyway.
        if (head.expectContinue && m_heads.empty() && m_answers.empty() && head.end > m_received)
            m_socket->write(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
        if (head.upgrade && m_upgradeGate && !m_upgradeGate()) {
            // Qt must not read it (it would upgrade): cut it off where it starts, and refuse it.
            m_upgradeRefused = true;
            if (!m_cutAt)
                m_cutAt = head.start;
            return;
        }
        m_heads.push_back(head);
        if (head.upgrade) {
            // The WebSocket takes the connection over, and its frames are not ours to limit.
            m_upgraded = true;
            m_socket->setReadBufferSize(0);
            return;
        }
        if (head.closeAfter && !m_cutAt)
            m_cutAt = head.end;
    }
    if (m_scanner.refusal() && !m_cutAt)
        m_cutAt = m_scanner.refusal()->start;
}

qint64 HttpConnection::consumedByServer() const
{
    return m_received - m_socket->bytesAvailable();
}

void HttpConnection::cutOffServerWhenDue()
{
    // Qt reads one request per readyRead, and only once all of it is here; so when it has read up
    // to the cut, it has handed every request before the cut to a route, and none after.
    if (m_cutAt && !m_serverCutOff && consumedByServer() >= *m_cutAt)
        cutOffServer();
}

void HttpConnection::cutOffServer()
{
    if (m_serverCutOff)
        return;
    m_serverCutOff = true;
    // Qt's slot and ours alike: from now on nothing reads this socket but discardIncoming().
    disconnect(m_socket, &QIODevice::readyRead, nullptr, nullptr);
    connect(m_socket, &QIODevice::readyRead, this, &HttpConnection::discardIncoming);
    // Qt may have begun a request it will now never finish: let go of what it kept of it.
    if (m_socket->isTransactionStarted())
        m_socket->commitTransaction();
    m_heads.clear();
    if (const auto &refusal = m_scanner.refusal()) {
        const quint64 place = m_nextPlace++;
        m_answers[place].closeAfter = true;
        answer(place, HttpReply::error(refusal->status, refusal->message, refusal->param), true);
        Q_EMIT refused(refusal->status);
    } else if (m_upgradeRefused) {
        const quint64 place = m_nextPlace++;
        m_answers[place].closeAfter = true;
        answer(place,
            HttpReply::error(503,
                QStringLiteral("too many pages follow the live timeline; poll /api/events instead"))
                .withHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("10")),
            true);
        Q_EMIT refused(503);
    }
    discardIncoming();
}

void HttpConnection::discardIncoming()
{
    // Read to the end, not just what is buffered: a read that finds the buffer empty is what lets
    // a full socket take in more from the kernel.
    char sink[16 * 1024];
    while (m_socket->read(sink, sizeof sink) > 0) { }
}

quint64 HttpConnection::reservePlace()
{
    Answer answer; // closes the connection unless its request says otherwise
    if (!m_heads.empty()) {
        answer.closeAfter = m_heads.front().closeAfter;
        answer.keepAlive = m_heads.front().keepAlive;
        answer.http10 = m_heads.front().http10;
        m_heads.pop_front();
    }
    const quint64 place = m_nextPlace++;
    m_answers.emplace(place, answer);
    return place;
}

void HttpConnection::answer(quint64 place, const HttpReply &reply, bool withBody)
{
    const auto it = m_answers.find(place);
    if (it == m_answers.end() || it->second.bytes)
        return;
    HttpReply written = reply;
    if (it->second.closeAfter)
        written.withHeader(QByteArrayLiteral("Connection"), QByteArrayLiteral("close"));
    else if (it->second.keepAlive)
        written.withHeader(QByteArrayLiteral("Connection"), QByteArrayLiteral("keep-alive"));
    it->second.bytes = written.toBytes(withBody);
    writeAnswersInOrder();
}

void HttpConnection::answerStream(quint64 place, const HttpReply &head, HttpReply::BodySource body)
{
    const auto it = m_answers.find(place);
    if (it == m_answers.end() || it->second.bytes)
        return;
    // HTTP/1.0 has no chunks: the end of the connection is the end of the body.
    if (it->second.http10)
        it->second.closeAfter = true;
    HttpReply written = head;
    if (it->second.closeAfter)
        written.withHeader(QByteArrayLiteral("Connection"), QByteArrayLiteral("close"));
    it->second.bytes = written.streamHead(!it->second.http10);
    it->second.body = std::move(body);
    writeAnswersInOrder();
}

void HttpConnection::abandon(quint64 place)
{
    if (const auto it = m_answers.find(place); it != m_answers.end() && !it->second.bytes) {
        it->second.closeAfter = true;
        answer(place, HttpReply::error(500, QStringLiteral("the server made no answer to this request")), true);
    }
}

void HttpConnection::writeAnswersInOrder()
{
    // RFC 9112 §9.3.2: answers go out in the order of the requests, whichever is ready first.
    while (!m_closing && !m_stream && m_socket->state() == QAbstractSocket::ConnectedState) {
        const auto it = m_answers.find(m_nextToWrite);
        if (it == m_answers.end() || !it->second.bytes)
            return;
        m_socket->write(*it->second.bytes);
        m_idle.start(); // the client's turn again, from now
        const bool close = it->second.closeAfter;
        HttpReply::BodySource body = std::move(it->second.body);
        const bool chunked = !it->second.http10;
        m_answers.erase(it);
        ++m_nextToWrite;
        resumeWhenDrained();
        if (body) {
            m_stream = Stream { std::move(body), chunked, close, ++m_lastStreamId };
            writeStream(); // the line goes on at the end of the body
            return;
        }
        if (close)
            closeWhenWritten();
    }
}

void HttpConnection::writeStream()
{
    // Only while the socket has little left to send: a client that reads slowly makes the body
    // wait in its maker, not in our memory. At most the low-water mark plus one piece is held.
    // A piece made elsewhere comes back later, through takePiece(); one made at once is written
    // there and this loop asks for the next, rather than each piece asking in a deeper call.
    if (m_askingForPieces)
        return;
    m_askingForPieces = true;
    while (m_stream && !m_stream->asked && m_socket->state() == QAbstractSocket::ConnectedState
        && m_socket->bytesToWrite() < m_limits.streamLowWaterBytes) {
        m_stream->asked = true;
        // A copy: a piece that comes at once may end the stream, and its source, in the call.
        const HttpReply::BodySource next = m_stream->next;
        next([self = QPointer<HttpConnection>(this), id = m_stream->id](const QByteArray &piece) {
            if (self)
                self->takePiece(id, piece);
        });
    }
    m_askingForPieces = false;
}

void HttpConnection::takePiece(quint64 streamId, const QByteArray &piece)
{
    if (!m_stream || m_stream->id != streamId)
        return; // the client went away meanwhile
    m_stream->asked = false;
    if (piece.isEmpty())
        return endStream();
    if (m_stream->chunked)
        m_socket->write(QByteArray::number(piece.size(), 16) + "\r\n");
    m_socket->write(piece);
    if (m_stream->chunked)
        m_socket->write("\r\n", 2);
    writeStream();
}

void HttpConnection::endStream()
{
    if (m_stream->chunked)
        m_socket->write("0\r\n\r\n", 5);
    const bool close = m_stream->closeAfter;
    m_stream.reset();
    if (close)
        closeWhenWritten();
    else
        writeAnswersInOrder();
}

void HttpConnection::closeWhenWritten()
{
    m_closing = true;
    m_answers.clear();
    if (m_upgraded) { // Qt may have handed the socket on; end it the plain way
        m_socket->disconnectFromHost();
        return;
    }
    cutOffServer(); // nothing after this answer is read as a request
    if (m_socket->bytesToWrite() == 0)
        return shutDownWriting();
    connect(m_socket, &QIODevice::bytesWritten, this, [this] {
        if (m_socket->bytesToWrite() == 0)
            shutDownWriting();
    });
}

void HttpConnection::shutDownWriting()
{
    // Half-close: the client reads the end of the last answer, and what it still sends is read
    // and dropped until it closes too, or until the linger time is up. Closing outright with
    // unread bytes would make the kernel reset the connection, and the client could lose the
    // answer (RFC 9112 §9.6).
    if (m_writingShutDown || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_writingShutDown = true;
    ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
    m_linger.start();
    discardIncoming();
}
