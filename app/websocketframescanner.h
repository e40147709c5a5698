#pragma once

// Reads the frames a WebSocket client sends (RFC 6455 §5), as their bytes arrive, and says when
// they break the rules the server holds clients to: every client frame masked (§5.1, 1002), known
// opcodes and no reserved bits (no extension is negotiated, 1002), control frames whole and small
// (§5.5, 1002), data frames and messages no bigger than the limits (1009). It keeps a frame's
// header and a control frame's payload (at most 125 bytes); data payloads are counted, never
// kept. Qt 6.4's QWebSocket accepts unmasked frames, so the live feed reads its pages' bytes
// with this instead.
#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>
#include <vector>

class WebSocketFrameScanner
{
public:
    enum Opcode : quint8
    {
        Continuation = 0x0,
        Text = 0x1,
        Binary = 0x2,
        Close = 0x8,
        Ping = 0x9,
        Pong = 0xA
    };
    // A control frame, its payload unmasked.
    struct Control
    {
        Opcode opcode = Ping;
        QByteArray payload;
    };
    // Why the connection must close, and the status code to close it with.
    struct Violation
    {
        int closeCode = 1002;
        QString reason;
    };

    WebSocketFrameScanner(qint64 maxFrameBytes, qint64 maxMessageBytes);

    // Reads the next bytes of the stream. Takes nothing more once it has stopped: after a
    // violation, or a close frame (nothing may follow it).
    void scan(QByteArrayView bytes);
    bool hasStopped() const { return m_violation.has_value() || m_closed; }
    // The control frames read completely since the last call, in order.
    std::vector<Control> takeControls();
    const std::optional<Violation> &violation() const { return m_violation; }

private:
    // Returns how many bytes it took.
    qsizetype scanHeader(QByteArrayView bytes);
    void startPayload();
    qsizetype scanPayload(QByteArrayView bytes);
    void endFrame();
    void refuse(int closeCode, const QString &reason);

    const qint64 m_maxFrameBytes;
    const qint64 m_maxMessageBytes;
    QByteArray m_header; // the current frame's header, as far as it has come
    bool m_inPayload = false;
    Opcode m_opcode = Continuation;
    bool m_fin = false;
    quint32 m_mask = 0;
    quint64 m_payloadLeft = 0;
    quint64 m_payloadTaken = 0; // of the current frame: where in the mask to continue
    QByteArray m_controlPayload;
    bool m_inMessage = false; // a fragmented message is under way
    quint64 m_messageBytes = 0;
    bool m_closed = false;
    std::vector<Control> m_controls;
    std::optional<Violation> m_violation;
};
