#pragma once

// One client connection, watched before Qt's HTTP server reads it: it lets through only requests
// that are within the limits, writes the answers in the order of the requests, and closes the
// connection when HTTP says so.
//
// Qt 6.4's QHttpServer ignores `Connection: close` and HTTP/1.0, reads any request whole into
// memory, and writes a pipelined request's answer as soon as it is made, even before the answer
// of an earlier request that a worker is still computing. This object fixes each in our layer:
// it sees every byte before Qt's parser does, refuses (431, 413 ...) what must not reach it, cuts
// Qt off at the end of the last request it may read, and holds answers until their turn.
#include "httplimits.h"
#include "httpreply.h"
#include "requestscanner.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <deque>
#include <functional>
#include <map>
#include <optional>

class QTcpSocket;

class HttpConnection : public QObject
{
    Q_OBJECT
public:
    // Becomes a child of the socket and watches it from now on: make it before QHttpServer
    // connects to the socket, and call followServer() right after.
    HttpConnection(QTcpSocket *socket, const HttpLimits &limits);
    // The connection watching a socket, if any.
    static HttpConnection *of(QTcpSocket *socket);

    // Asked when a WebSocket upgrade arrives, before Qt reads it: false refuses it with 503 (and
    // the connection closes), as a refused request is.
    void setUpgradeGate(std::function<bool()> gate) { m_upgradeGate = std::move(gate); }

    // Call once QHttpServer has taken the socket: from then on, what Qt read is known after each
    // of its reads.
    void followServer();

    // A place in line for the answer to the request that the server is handing to a route now.
    quint64 reservePlace();
    // The answer for a place in line: written once every earlier answer has been.
    void answer(quint64 place, const HttpReply &reply, bool withBody);
    // The same with a body that is written a piece at a time, each asked of `body` only when the
    // socket has less than HttpLimits::streamLowWaterBytes left to send and the last piece has
    // come: chunked for HTTP/1.1, up to the end of the connection for HTTP/1.0. `head`'s own
    // body is not used.
    void answerStream(quint64 place, const HttpReply &head, HttpReply::BodySource body);
    // The place's answer will never come: the client is told so, and the connection closes.
    void abandon(quint64 place);

    // Whether the connection's requests are held back now (see HttpLimits::outputHighWaterBytes).
    bool isHoldingBack() const { return m_holdingBack; }

Q_SIGNALS:
    // A request was refused before it reached a route (400, 403, 408, 411, 413, 414, 417, 421,
    // 431, 505).
    void refused(int status);
    // The client does not read its answers as fast as it asks: its requests are held back.
    void heldBack();

private:
    struct Answer {
        bool closeAfter = true;
        bool keepAlive = false; // an HTTP/1.0 client asked to keep the connection
        bool http10 = false;
        std::optional<QByteArray> bytes; // none until the route has answered
        HttpReply::BodySource body; // streamed after `bytes`, if any
    };
    // The streamed body being written now; later answers wait for its end.
    struct Stream
    {
        HttpReply::BodySource next;
        bool chunked = true;
        bool closeAfter = true;
        quint64 id = 0; // a piece that comes back for a stream that has ended is dropped
        bool asked = false; // a piece is on its way
    };

    void beforeServerReads();
    void afterServerRead();
    void scanArrivedBytes();
    qint64 consumedByServer() const;
    void cutOffServerWhenDue();
    void cutOffServer();
    void discardIncoming();
    bool hasTooMuchToWrite() const;
    void holdBackWhenBusy();
    void resumeWhenDrained();
    void writeAnswersInOrder();
    void writeStream();
    void takePiece(quint64 streamId, const QByteArray &piece);
    void endStream();
    void closeWhenWritten();
    void shutDownWriting();
    void closeIdle();
    void watchHeadDeadline();
    void expireHead();

    QTcpSocket *m_socket;
    const HttpLimits m_limits;
    RequestScanner m_scanner;
    qint64 m_received = 0; // stream offset of the end of what has arrived in the socket's buffer
    qint64 m_buffered = 0; // what the socket held, unread, when we last looked
    // Where Qt must stop reading: the end of a request that closes the connection, or the start of
    // a refused one. None while every request so far may be read.
    std::optional<qint64> m_cutAt;
    bool m_serverCutOff = false;
    bool m_upgraded = false; // the connection is a WebSocket's now: hands off
    std::function<bool()> m_upgradeGate;
    bool m_upgradeRefused = false; // the gate said no: answered 503 at the cut
    bool m_closing = false;
    bool m_writingShutDown = false;
    std::deque<RequestScanner::Head> m_heads; // scanned, not yet handed to a route
    std::map<quint64, Answer> m_answers; // by place in line
    quint64 m_nextPlace = 0;
    quint64 m_nextToWrite = 0;
    std::optional<Stream> m_stream;
    quint64 m_lastStreamId = 0;
    bool m_holdingBack = false; // requests are not handed to Qt until the answers drain
    bool m_hidingFromServer = false; // during one readyRead: the buffer is hidden from Qt's slot
    // In writeStream()'s loop: a piece that comes at once is written there.
    bool m_askingForPieces = false;
    QTimer m_linger;
    QTimer m_idle; // restarted by every byte in and every answer out
    QTimer m_headDeadline; // runs while a request's head is arriving, from its first byte
    qint64 m_headStart = -1; // stream offset of the head m_headDeadline runs for
};
