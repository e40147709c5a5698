#pragma once

// One keep-alive HTTP/1.1 connection to the upstream, owned by its thread's UpstreamClient: it
// carries one call at a time and reads each answer with an HttpAnswerReader. It lives in one
// thread and has no thread of its own.
//
// After a call it is idle, and closes itself after idleTimeoutMs without one, so that a quiet
// server goes back to its baseline of descriptors.
#include "httpanswerreader.h"

#include <QObject>
#include <QTimer>

class QTcpSocket;

class UpstreamConnection : public QObject
{
    Q_OBJECT
public:
    UpstreamConnection(const QString &host, quint16 port, int idleTimeoutMs, int maxAnswerBytes,
        QObject *parent = nullptr);
    ~UpstreamConnection() override; // closes the socket at once

    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    bool isBusy() const { return m_busy; }
    // Whether it may take another call: connected (or connecting), idle, and not told to close.
    bool isReusable() const { return !m_busy && m_usable; }

    // Sends one request (the whole head, "GET ... HTTP/1.1\r\n...\r\n\r\n"); exactly one of
    // answered() or failed() follows, unless the connection is closed first. Only when reusable.
    void send(const QByteArray &request);
    // Closes the socket now; no signal follows.
    void close();

Q_SIGNALS:
    void answered(int status, const QByteArray &body);
    // stale: the connection had carried a call before and this one got no byte back, which is
    // how a keep-alive connection that the peer closed as it went idle looks. The request was
    // then not processed and may be sent again (RFC 9110 §9.2.2: a GET is idempotent).
    void failed(const QString &error, bool stale);
    // Closed while idle, by the peer or by the idle timer: the connection can go.
    void closedWhileIdle();

private:
    void onReadyRead();
    void onDisconnected();
    void onError();
    void finishCall();
    bool isStale() const { return m_calls > 1 && !m_answerStarted; }

    const QString m_host;
    const quint16 m_port;
    QTcpSocket *m_socket;
    QTimer m_idleTimer;
    const int m_maxAnswerBytes;
    HttpAnswerReader m_reader;
    bool m_busy = false;
    int m_calls = 0; // sent over this connection, this one included
    bool m_answerStarted = false;
    bool m_usable = true;
};
