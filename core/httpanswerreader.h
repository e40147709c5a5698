#pragma once

// Reads one HTTP/1.x answer from bytes as they arrive, in any split: the status line, the
// headers, and a body framed by Content-Length or chunked encoding. Pure (no I/O), so that
// every split can be tested.
//
// Strict and bounded, because a peer may be anything that listens where --upstream points: the
// head is capped at MaxHeadBytes and the body at MaxBodyBytes, an answer must say how long its
// body is, and anything malformed fails the answer with a reason instead of being guessed at.
#include <QByteArray>
#include <QString>

class HttpAnswerReader
{
public:
    static constexpr int MaxHeadBytes = 16 * 1024; // status line, headers, and trailers
    // Our upstream answers a few dozen bytes; other uses (a test reading a whole fan-out's
    // answer) may allow more.
    static constexpr int DefaultMaxBodyBytes = 1024 * 1024;
    static constexpr int MaxChunkLineBytes = 256;

    explicit HttpAnswerReader(int maxBodyBytes = DefaultMaxBodyBytes)
        : m_maxBodyBytes(maxBodyBytes)
    { }

    // Takes the next bytes of the connection. Bytes past the end of the answer are kept as
    // excess() (a peer that sent more than was asked for).
    void feed(const QByteArray &bytes);
    // The peer closed the connection: an unfinished answer fails.
    void finishInput();

    bool isDone() const { return m_state == State::Done; }
    bool hasFailed() const { return m_state == State::Failed; }
    // Why the answer failed: a short sentence for the task's error.
    QString error() const { return m_error; }

    int status() const { return m_status; }
    QByteArray body() const { return m_body; }
    // Whether the connection may carry another call after this answer.
    bool keepAlive() const { return m_keepAlive; }
    qsizetype excess() const { return isDone() ? m_buffer.size() : 0; }

private:
    enum class State
    {
        Head,
        FixedBody,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        Done,
        Failed
    };

    void fail(const QString &error);
    bool readHead();
    bool parseHead(const QByteArray &head);
    bool readFixedBody();
    bool readChunkSize();
    bool readChunkData();
    bool readChunkEnd();
    bool readTrailers();

    int m_maxBodyBytes;
    State m_state = State::Head;
    QByteArray m_buffer; // received, not consumed yet
    QString m_error;
    int m_status = 0;
    QByteArray m_body;
    qint64 m_remaining = 0; // of the fixed body or the current chunk
    int m_trailerBytes = 0;
    bool m_keepAlive = true;
};
