// HttpAnswerReader: one HTTP/1.x answer from bytes in any split; strict and bounded.
#include "httpanswerreader.h"

#include <QtTest>

namespace {

const QByteArray Json = QByteArrayLiteral("{\"account\":\"account-1\",\"balance\":12.5}");

QByteArray fixedAnswer(const QByteArray &extraHeaders = {})
{
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + QByteArray::number(Json.size()) + "\r\n" + extraHeaders + "\r\n" + Json;
}

QByteArray chunkedAnswer()
{
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5\r\n{\"acc\r\n"
           "1A;name=value\r\nount\":\"account-1\",\"balance\r\n"
           "7\r\n\":12.5}\r\n"
           "0\r\nX-Trailer: yes\r\n\r\n";
}

// Feeds bytes in pieces of `step` bytes (the last one shorter).
HttpAnswerReader readInSteps(const QByteArray &bytes, int step)
{
    HttpAnswerReader reader;
    for (qsizetype i = 0; i < bytes.size(); i += step)
        reader.feed(bytes.mid(i, step));
    return reader;
}

} // namespace

class TestHttpAnswerReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsWhateverTheSplit_data();
    void readsWhateverTheSplit();
    void waitsForTheWholeBody();
    void keepAliveFollowsVersionAndConnection_data();
    void keepAliveFollowsVersionAndConnection();
    void noBodyFor204();
    void excessBytesAreKept();
    void refusesMalformed_data();
    void refusesMalformed();
    void capsTheHeadWhileItArrives();
    void capsTheBody_data();
    void capsTheBody();
    void closedConnectionFailsAnUnfinishedAnswer();
};

void TestHttpAnswerReader::readsWhateverTheSplit_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("step");
    for (int step : { 1, 2, 3, 7, 64, 100000 }) {
        QTest::addRow("content-length, %d-byte pieces", step) << fixedAnswer() << step;
        QTest::addRow("chunked, %d-byte pieces", step) << chunkedAnswer() << step;
    }
}

void TestHttpAnswerReader::readsWhateverTheSplit()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, step);
    const HttpAnswerReader reader = readInSteps(bytes, step);
    QVERIFY2(reader.isDone(), qPrintable(reader.error()));
    QCOMPARE(reader.status(), 200);
    QCOMPARE(reader.body(), Json);
    QVERIFY(reader.keepAlive());
    QCOMPARE(reader.excess(), 0);
}

void TestHttpAnswerReader::waitsForTheWholeBody()
{
    const QByteArray bytes = fixedAnswer();
    HttpAnswerReader reader;
    reader.feed(bytes.left(bytes.size() - 1));
    QVERIFY(!reader.isDone());
    QVERIFY(!reader.hasFailed());
    reader.feed(bytes.right(1));
    QVERIFY(reader.isDone());
}

void TestHttpAnswerReader::keepAliveFollowsVersionAndConnection_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("keepAlive");
    QTest::newRow("1.1") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") << true;
    QTest::newRow("1.1 close") << QByteArray(
        "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n")
                               << false;
    QTest::newRow("1.0") << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") << false;
    QTest::newRow("1.0 keep-alive")
        << QByteArray("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
        << true;
}

void TestHttpAnswerReader::keepAliveFollowsVersionAndConnection()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, keepAlive);
    HttpAnswerReader reader;
    reader.feed(head);
    QVERIFY2(reader.isDone(), qPrintable(reader.error()));
    QCOMPARE(reader.keepAlive(), keepAlive);
}

void TestHttpAnswerReader::noBodyFor204()
{
    HttpAnswerReader reader;
    reader.feed("HTTP/1.1 204 No Content\r\n\r\n");
    QVERIFY(reader.isDone());
    QCOMPARE(reader.status(), 204);
    QVERIFY(reader.body().isEmpty());
}

void TestHttpAnswerReader::excessBytesAreKept()
{
    HttpAnswerReader reader;
    reader.feed(fixedAnswer() + "HTTP/1.1 200");
    QVERIFY(reader.isDone());
    QCOMPARE(reader.body(), Json);
    QCOMPARE(reader.excess(), 12);
}

void TestHttpAnswerReader::refusesMalformed_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("error");
    QTest::newRow("garbage") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n") << "no valid status line";
    QTest::newRow("HTTP/2 status line")
        << QByteArray("HTTP/2 200 OK\r\n\r\n") << "no valid status line";
    QTest::newRow("two-digit status")
        << QByteArray("HTTP/1.1 20 OK\r\n\r\n") << "no valid status line";
    QTest::newRow("status glued to reason")
        << QByteArray("HTTP/1.1 200OK\r\n\r\n") << "no valid status line";
    QTest::newRow("interim") << QByteArray("HTTP/1.1 100 Continue\r\n\r\n") << "interim";
    QTest::newRow("bare LF") << QByteArray("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n")
                             << "bare CR or LF";
    QTest::newRow("header without colon")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n") << "malformed header";
    QTest::newRow("space before colon")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n") << "malformed header";
    QTest::newRow("no length") << QByteArray("HTTP/1.1 200 OK\r\n\r\n{}")
                               << "neither its Content-Length nor chunked";
    QTest::newRow("negative length")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") << "invalid Content-Length";
    QTest::newRow("two lengths") << QByteArray(
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                                 << "invalid Content-Length";
    QTest::newRow("length and chunked")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        << "both";
    QTest::newRow("gzip encoding")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")
        << "unsupported Transfer-Encoding";
    QTest::newRow("chunk size not hex")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        << "invalid chunk size";
    QTest::newRow("chunk size signed")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n")
        << "invalid chunk size";
    QTest::newRow("chunk without CRLF")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY")
        << "not ended by CRLF";
}

void TestHttpAnswerReader::refusesMalformed()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    // Whole, and byte by byte: the verdict must not depend on the split.
    for (int step : { int(bytes.size()), 1 }) {
        const HttpAnswerReader reader = readInSteps(bytes, step);
        QVERIFY2(
            reader.hasFailed(), qPrintable(QStringLiteral("accepted in %1-byte pieces").arg(step)));
        QVERIFY2(reader.error().contains(error), qPrintable(reader.error()));
        QVERIFY(!reader.keepAlive());
    }
}

void TestHttpAnswerReader::capsTheHeadWhileItArrives()
{
    // A head that never ends fails as soon as it passes the cap, not when the peer stops.
    HttpAnswerReader reader;
    reader.feed("HTTP/1.1 200 OK\r\n");
    const QByteArray header = "X-Filler: " + QByteArray(100, 'x') + "\r\n";
    int fed = 0;
    while (!reader.hasFailed() && fed < 2 * HttpAnswerReader::MaxHeadBytes) {
        reader.feed(header);
        fed += int(header.size());
    }
    QVERIFY(reader.hasFailed());
    QVERIFY2(reader.error().contains(QStringLiteral("head is over")), qPrintable(reader.error()));
    QVERIFY(fed <= HttpAnswerReader::MaxHeadBytes + header.size());
}

void TestHttpAnswerReader::capsTheBody_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QByteArray>("chunk");
    QTest::newRow("content-length") << "HTTP/1.1 200 OK\r\nContent-Length: "
            + QByteArray::number(HttpAnswerReader::DefaultMaxBodyBytes + 1)
            + "\r\n\r\n" << QByteArray();
    QTest::newRow("huge content-length")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n")
        << QByteArray();
    // Chunks that each fit but add up to more than the cap.
    const QByteArray chunk
        = QByteArray::number(64 * 1024, 16) + "\r\n" + QByteArray(64 * 1024, 'x') + "\r\n";
    QTest::newRow("chunks") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                            << chunk;
    QTest::newRow("one huge chunk")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n")
        << QByteArray();
}

void TestHttpAnswerReader::capsTheBody()
{
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, chunk);
    HttpAnswerReader reader;
    reader.feed(head);
    for (int i = 0; !chunk.isEmpty() && !reader.hasFailed() && i < 100; ++i)
        reader.feed(chunk);
    QVERIFY(reader.hasFailed());
    QVERIFY2(reader.error().contains(QStringLiteral("body is over")), qPrintable(reader.error()));
    QVERIFY(reader.body().isEmpty()); // nothing of it is kept
}

void TestHttpAnswerReader::closedConnectionFailsAnUnfinishedAnswer()
{
    HttpAnswerReader silent;
    silent.finishInput();
    QVERIFY(silent.hasFailed());
    QVERIFY2(
        silent.error().contains(QStringLiteral("without answering")), qPrintable(silent.error()));

    HttpAnswerReader cut;
    cut.feed(fixedAnswer().chopped(3));
    cut.finishInput();
    QVERIFY(cut.hasFailed());
    QVERIFY2(cut.error().contains(QStringLiteral("middle")), qPrintable(cut.error()));

    HttpAnswerReader whole;
    whole.feed(fixedAnswer());
    whole.finishInput();
    QVERIFY(whole.isDone());
}

QTEST_APPLESS_MAIN(TestHttpAnswerReader)
#include "tst_httpanswerreader.moc"
