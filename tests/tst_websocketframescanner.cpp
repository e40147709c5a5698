// WebSocketFrameScanner: what a client may send the live feed. Masked frames within the limits
// pass, and their control frames come out unmasked; unmasked frames, reserved bits, unknown
// opcodes, broken control frames and fragments out of order are 1002; a frame or a message past
// the limits is 1009, known from the header alone; the same whether bytes come at once or one
// by one.
#include "websocketframescanner.h"

#include <QtEndian>
#include <QtTest>

class TestWebSocketFrameScanner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void maskedFramesPass();
    void byteByByteIsTheSame();
    void violations_data();
    void violations();
    void oversizedFrameIsRefusedFromItsHeader();
    void nothingIsReadAfterClose();

private:
    // A frame as a client sends it: masked with a fixed key unless `masked` is false.
    static QByteArray frame(quint8 opcode, const QByteArray &payload, bool fin = true,
        bool masked = true, quint8 rsv = 0);
    static QByteArray header(quint8 opcode, quint64 length, bool fin = true);
    static constexpr qint64 MaxFrame = 4096;
    static constexpr qint64 MaxMessage = 16384;
};

QByteArray TestWebSocketFrameScanner::header(quint8 opcode, quint64 length, bool fin)
{
    QByteArray bytes;
    bytes += char((fin ? 0x80 : 0) | opcode);
    if (length < 126) {
        bytes += char(0x80 | length);
    } else if (length < 65536) {
        bytes += char(0x80 | 126);
        bytes += char(length >> 8);
        bytes += char(length & 0xFF);
    } else {
        bytes += char(0x80 | 127);
        for (int i = 7; i >= 0; --i)
            bytes += char((length >> (8 * i)) & 0xFF);
    }
    return bytes;
}

QByteArray TestWebSocketFrameScanner::frame(
    quint8 opcode, const QByteArray &payload, bool fin, bool masked, quint8 rsv)
{
    QByteArray bytes = header(opcode, quint64(payload.size()), fin);
    bytes[0] = char(quint8(bytes.at(0)) | rsv);
    if (!masked) {
        bytes[1] = char(quint8(bytes.at(1)) & 0x7F);
        return bytes + payload;
    }
    const char key[4] = { 0x12, 0x34, 0x56, 0x78 };
    bytes.append(key, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        bytes += char(payload.at(i) ^ key[i % 4]);
    return bytes;
}

void TestWebSocketFrameScanner::maskedFramesPass()
{
    WebSocketFrameScanner scanner(MaxFrame, MaxMessage);
    scanner.scan(QByteArray(frame(0x1, "hello") + frame(0x9, "ping!")
        + frame(0x2, QByteArray(3000, 'a'), false) + frame(0x0, QByteArray(3000, 'b'), false)
        + frame(0xA, "") + frame(0x0, QByteArray(4000, 'c')) + frame(0x1, QByteArray(200, 'd'))));
    QVERIFY(!scanner.violation());
    QVERIFY(!scanner.hasStopped());
    const auto controls = scanner.takeControls();
    QCOMPARE(controls.size(), size_t(2));
    QCOMPARE(controls.at(0).opcode, WebSocketFrameScanner::Ping);
    QCOMPARE(controls.at(0).payload, QByteArrayLiteral("ping!"));
    QCOMPARE(controls.at(1).opcode, WebSocketFrameScanner::Pong);
    QVERIFY(scanner.takeControls().empty());
}

void TestWebSocketFrameScanner::byteByByteIsTheSame()
{
    const QByteArray close = QByteArray::fromHex("03e8") + "bye";
    const QByteArray bytes
        = frame(0x1, QByteArray(300, 'x')) + frame(0x9, "0123456789") + frame(0x8, close);
    WebSocketFrameScanner scanner(MaxFrame, MaxMessage);
    for (char byte : bytes)
        scanner.scan(QByteArrayView(&byte, 1));
    QVERIFY(!scanner.violation());
    QVERIFY(scanner.hasStopped()); // a close frame ends it
    const auto controls = scanner.takeControls();
    QCOMPARE(controls.size(), size_t(2));
    QCOMPARE(controls.at(0).payload, QByteArrayLiteral("0123456789"));
    QCOMPARE(controls.at(1).opcode, WebSocketFrameScanner::Close);
    QCOMPARE(controls.at(1).payload, close);
}

void TestWebSocketFrameScanner::violations_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("closeCode");
    QTest::newRow("unmasked") << frame(0x1, "hello", true, false) << 1002;
    QTest::newRow("unmasked after a good one")
        << QByteArray(frame(0x1, "ok") + frame(0x2, "no", true, false)) << 1002;
    QTest::newRow("reserved bit") << frame(0x1, "hello", true, true, 0x40) << 1002;
    QTest::newRow("unknown opcode") << frame(0x3, "hello") << 1002;
    QTest::newRow("fragmented ping") << frame(0x9, "x", false) << 1002;
    QTest::newRow("ping of 126 bytes") << frame(0x9, QByteArray(126, 'p')) << 1002;
    QTest::newRow("continuation first") << frame(0x0, "x") << 1002;
    QTest::newRow("new message mid-message")
        << QByteArray(frame(0x1, "a", false) + frame(0x1, "b")) << 1002;
    QTest::newRow("frame too big") << frame(0x2, QByteArray(MaxFrame + 1, 'x')) << 1009;
    QByteArray tooLong = frame(0x1, QByteArray(4000, 'x'), false);
    for (int i = 0; i < 4; ++i)
        tooLong += frame(0x0, QByteArray(4000, 'x'), i == 3);
    QTest::newRow("message too big") << tooLong << 1009;
}

void TestWebSocketFrameScanner::violations()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, closeCode);
    WebSocketFrameScanner scanner(MaxFrame, MaxMessage);
    scanner.scan(bytes);
    QVERIFY(scanner.violation());
    QCOMPARE(scanner.violation()->closeCode, closeCode);
    QVERIFY(!scanner.violation()->reason.isEmpty());
    QVERIFY(scanner.hasStopped());
}

void TestWebSocketFrameScanner::oversizedFrameIsRefusedFromItsHeader()
{
    // A gigabyte announced: refused with its header and mask, before any of its payload.
    WebSocketFrameScanner scanner(MaxFrame, MaxMessage);
    scanner.scan(QByteArray(header(0x2, quint64(1) << 30) + QByteArray(4, '\0')));
    QVERIFY(scanner.violation());
    QCOMPARE(scanner.violation()->closeCode, 1009);
}

void TestWebSocketFrameScanner::nothingIsReadAfterClose()
{
    WebSocketFrameScanner scanner(MaxFrame, MaxMessage);
    scanner.scan(QByteArray(frame(0x8, "") + frame(0x1, "late", true, false)));
    QVERIFY(!scanner.violation()); // what follows a close is not looked at
    QCOMPARE(scanner.takeControls().size(), size_t(1));
}

QTEST_GUILESS_MAIN(TestWebSocketFrameScanner)
#include "tst_websocketframescanner.moc"
