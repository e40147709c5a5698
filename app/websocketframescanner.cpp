#include "websocketframescanner.h"

#include <QtEndian>

#include <algorithm>

WebSocketFrameScanner::WebSocketFrameScanner(qint64 maxFrameBytes, qint64 maxMessageBytes)
    : m_maxFrameBytes(maxFrameBytes)
    , m_maxMessageBytes(maxMessageBytes)
{ }

void WebSocketFrameScanner::scan(QByteArrayView bytes)
{
    while (!bytes.isEmpty() && !hasStopped()) {
        const qsizetype taken = m_inPayload ? scanPayload(bytes) : scanHeader(bytes);
        bytes = bytes.sliced(taken);
    }
}

std::vector<WebSocketFrameScanner::Control> WebSocketFrameScanner::takeControls()
{
    return std::exchange(m_controls, {});
}

qsizetype WebSocketFrameScanner::scanHeader(QByteArrayView bytes)
{
    // 2 bytes, then 0, 2 or 8 of extended length, then 4 of mask: taken a byte at a time until
    // the header is whole, which is at most 14 bytes.
    qsizetype taken = 0;
    while (taken < bytes.size()) {
        m_header += bytes.at(taken++);
        if (m_header.size() == 2) {
            const auto first = quint8(m_header.at(0));
            const auto second = quint8(m_header.at(1));
            m_fin = first & 0x80;
            m_opcode = Opcode(first & 0x0F);
            if (first & 0x70) {
                refuse(1002, QStringLiteral("reserved bits set, and no extension was agreed"));
                return taken;
            }
            if (!(second & 0x80)) {
                refuse(1002, QStringLiteral("a client's frames must be masked (RFC 6455 5.1)"));
                return taken;
            }
            const bool control = m_opcode & 0x08;
            if (m_opcode != Continuation && m_opcode != Text && m_opcode != Binary
                && m_opcode != Close && m_opcode != Ping && m_opcode != Pong) {
                refuse(1002, QStringLiteral("unknown opcode %1").arg(int(m_opcode)));
                return taken;
            }
            if (control && (!m_fin || (second & 0x7F) > 125)) {
                refuse(1002, QStringLiteral("a control frame must be whole and at most 125 bytes"));
                return taken;
            }
        }
        if (m_header.size() < 2)
            continue;
        const int lengthCode = quint8(m_header.at(1)) & 0x7F;
        const int lengthBytes = lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0;
        if (m_header.size() < 2 + lengthBytes + 4)
            continue;
        // Whole: its length and its mask.
        const auto *raw = reinterpret_cast<const uchar *>(m_header.constData());
        m_payloadLeft = lengthBytes == 0 ? quint64(lengthCode)
            : lengthBytes == 2           ? qFromBigEndian<quint16>(raw + 2)
                                         : qFromBigEndian<quint64>(raw + 2);
        m_mask = qFromBigEndian<quint32>(raw + 2 + lengthBytes);
        if (lengthBytes == 8 && (m_payloadLeft >> 63)) {
            refuse(1002, QStringLiteral("a frame length must not have its top bit set"));
            return taken;
        }
        m_header.clear();
        startPayload();
        return taken;
    }
    return taken;
}

void WebSocketFrameScanner::startPayload()
{
    if (m_opcode & 0x08) {
        m_controlPayload.clear();
    } else {
        // Refused from the header alone: the payload is never waited for.
        if (m_payloadLeft > quint64(m_maxFrameBytes))
            return refuse(
                1009, QStringLiteral("a frame may carry at most %1 bytes").arg(m_maxFrameBytes));
        if ((m_opcode == Continuation) != m_inMessage)
            return refuse(1002,
                m_inMessage ? QStringLiteral("a new message began before the last one ended")
                            : QStringLiteral("a continuation frame with no message to continue"));
        if (m_opcode != Continuation)
            m_messageBytes = 0;
        m_messageBytes += m_payloadLeft;
        if (m_messageBytes > quint64(m_maxMessageBytes))
            return refuse(
                1009, QStringLiteral("a message may be at most %1 bytes").arg(m_maxMessageBytes));
        m_inMessage = !m_fin;
    }
    m_inPayload = true;
    m_payloadTaken = 0;
    if (m_payloadLeft == 0)
        endFrame();
}

qsizetype WebSocketFrameScanner::scanPayload(QByteArrayView bytes)
{
    const qsizetype count = qsizetype(std::min<quint64>(m_payloadLeft, quint64(bytes.size())));
    if (m_opcode & 0x08) {
        for (qsizetype i = 0; i < count; ++i) {
            const int shift = 24 - 8 * int((m_payloadTaken + quint64(i)) % 4);
            m_controlPayload += char(quint8(bytes.at(i)) ^ quint8(m_mask >> shift));
        }
    }
    m_payloadTaken += quint64(count);
    m_payloadLeft -= quint64(count);
    if (m_payloadLeft == 0)
        endFrame();
    return count;
}

void WebSocketFrameScanner::endFrame()
{
    m_inPayload = false;
    if (!(m_opcode & 0x08))
        return;
    m_controls.push_back({ m_opcode, m_controlPayload });
    if (m_opcode == Close)
        m_closed = true;
}

void WebSocketFrameScanner::refuse(int closeCode, const QString &reason)
{
    m_violation = Violation { closeCode, reason };
}
