// RequestScanner on its own, fed bytes as a socket would deliver them: where requests end, what
// each asks of the connection, and which it refuses, whole or a byte at a time.
#include "requestscanner.h"

#include <QtTest>

namespace {

// One line per request it let through: "1.1", "1.0 close", "1.0 keep-alive", "1.1 close upgrade".
QStringList describe(const std::deque<RequestScanner::Head> &heads)
{
    QStringList lines;
    for (const RequestScanner::Head &head : heads) {
        QString line = head.http10 ? QStringLiteral("1.0") : QStringLiteral("1.1");
        if (head.closeAfter)
            line += QStringLiteral(" close");
        if (head.keepAlive)
            line += QStringLiteral(" keep-alive");
        if (head.upgrade)
            line += QStringLiteral(" upgrade");
        lines.append(line);
    }
    return lines;
}

QByteArray get(const QByteArray &headers = {}, const QByteArray &version = "HTTP/1.1")
{
    return "GET /healthz " + version + "\r\nHost: x\r\n" + headers + "\r\n";
}

QStringList list(std::initializer_list<const char *> items)
{
    QStringList strings;
    for (const char *item : items)
        strings.append(QLatin1String(item));
    return strings;
}

struct Scanned
{
    QStringList heads;
    int refusal = 0;
    QString refusalParam; // what the refusal's {"error", "param"} answer names
    qint64 refusalStart = -1;
    qint64 taken = 0;
};

Scanned scanAll(const QByteArray &bytes, qint64 piece)
{
    RequestScanner scanner;
    std::deque<RequestScanner::Head> heads;
    Scanned result;
    for (qint64 at = 0; at < bytes.size(); at += piece) {
        result.taken
            += scanner.scan(QByteArrayView(bytes).sliced(at, std::min(piece, bytes.size() - at)));
        for (const auto &head : scanner.takeHeads())
            heads.push_back(head);
    }
    result.heads = describe(heads);
    if (scanner.refusal()) {
        result.refusal = scanner.refusal()->status;
        result.refusalStart = scanner.refusal()->start;
        result.refusalParam = scanner.refusal()->param.value_or(QString());
    }
    return result;
}

} // namespace

class TestRequestScanner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scan_data();
    void scan();
    void stopsWhereTheConnectionEnds_data();
    void stopsWhereTheConnectionEnds();
    void bodyIsCountedNotRead();
    void refusalStartsAtItsRequest();
    void expectContinueWithABody();
    void headDeadline();
    void accessPolicyRefuses();
};

void TestRequestScanner::scan_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QStringList>("heads");
    QTest::addColumn<int>("refusal"); // status, 0 for none

    const QStringList none;
    const QByteArray kib(1024, 'a');

    QTest::addRow("HTTP/1.1 stays open") << get() << list({ "1.1" }) << 0;
    QTest::addRow("HTTP/1.0 closes") << get({}, "HTTP/1.0") << list({ "1.0 close" }) << 0;
    QTest::addRow("HTTP/1.0 asks for keep-alive")
        << get("Connection: keep-alive\r\n", "HTTP/1.0") << list({ "1.0 keep-alive" }) << 0;
    QTest::addRow("HTTP/1.0 Keep-Alive in any case")
        << get("Connection: Keep-Alive\r\n", "HTTP/1.0") << list({ "1.0 keep-alive" }) << 0;
    QTest::addRow("HTTP/1.0 close wins")
        << get("Connection: keep-alive, close\r\n", "HTTP/1.0") << list({ "1.0 close" }) << 0;
    QTest::addRow("HTTP/1.1 close") << get("Connection: close\r\n") << list({ "1.1 close" }) << 0;
    QTest::addRow("HTTP/1.1 close among tokens")
        << get("Connection: foo,  Close \r\n") << list({ "1.1 close" }) << 0;
    QTest::addRow("close in a second Connection header")
        << get("Connection: foo\r\nConnection: close\r\n") << list({ "1.1 close" }) << 0;
    QTest::addRow("closed is not close") << get("Connection: closed\r\n") << list({ "1.1" }) << 0;
    QTest::addRow("bare LF line ends")
        << QByteArray("GET / HTTP/1.1\nHost: x\n\n") << list({ "1.1" }) << 0;
    QTest::addRow("no headers at all")
        << QByteArray("GET / HTTP/1.0\r\n\r\n") << list({ "1.0 close" }) << 0;
    QTest::addRow("blank lines before a request")
        << QByteArray("\r\n\r\n" + get()) << list({ "1.1" }) << 0;
    QTest::addRow("three pipelined")
        << QByteArray(get() + get() + get()) << list({ "1.1", "1.1", "1.1" }) << 0;
    QTest::addRow("body counted to find the next request")
        << QByteArray("POST /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET /x" + get())
        << list({ "1.1", "1.1" }) << 0;
    QTest::addRow("Content-Length zero") << get("Content-Length: 0\r\n") << list({ "1.1" }) << 0;
    QTest::addRow("Content-Length at the limit")
        << get("Content-Length: " + QByteArray::number(HttpLimits().maxBodyBytes) + "\r\n")
        << list({ "1.1" }) << 0;
    QTest::addRow("WebSocket upgrade") << get("Connection: Upgrade\r\nUpgrade: websocket\r\n")
                                       << list({ "1.1 close upgrade" }) << 0;
    QTest::addRow("other upgrades are plain requests")
        << get("Connection: Upgrade\r\nUpgrade: h2c\r\n") << list({ "1.1" }) << 0;
    QTest::addRow("obs-text in a value") << get("X-Name: caf\xc3\xa9\r\n") << list({ "1.1" }) << 0;
    QTest::addRow("100 header fields")
        << get(QByteArray("X: 1\r\n").repeated(99)) << list({ "1.1" }) << 0;

    QTest::addRow("no version") << QByteArray("GET /\r\n\r\n") << none << 400;
    QTest::addRow("lower-case version") << get({}, "http/1.1") << none << 400;
    QTest::addRow("HTTP/2.0") << get({}, "HTTP/2.0") << none << 505;
    QTest::addRow("HTTP/0.9") << get({}, "HTTP/0.9") << none << 505;
    QTest::addRow("two spaces") << QByteArray("GET  / HTTP/1.1\r\n\r\n") << none << 400;
    QTest::addRow("space in the target") << QByteArray("GET /a b HTTP/1.1\r\n\r\n") << none << 400;
    QTest::addRow("control character in the target")
        << QByteArray("GET /a\x01 HTTP/1.1\r\n\r\n") << none << 400;
    QTest::addRow("raw UTF-8 in the target")
        << QByteArray("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n") << none << 400;
    QTest::addRow("leading space") << QByteArray(" GET / HTTP/1.1\r\n\r\n") << none << 400;
    QTest::addRow("method with a slash") << QByteArray("GE/T / HTTP/1.1\r\n\r\n") << none << 400;
    QTest::addRow("folded header") << get("X-A: a\r\n b\r\n") << none << 400;
    QTest::addRow("space before the colon") << get("Host : x\r\n") << none << 400;
    QTest::addRow("no colon") << get("Host\r\n") << none << 400;
    QTest::addRow("empty name") << get(": x\r\n") << none << 400;
    QTest::addRow("NUL in a value") << get(QByteArray("X-A: a\0b\r\n", 10)) << none << 400;
    QTest::addRow("CR in a value") << get("X-A: a\rb\r\n") << none << 400;
    QTest::addRow("two Content-Lengths")
        << get("Content-Length: 1\r\nContent-Length: 1\r\n") << none << 400;
    QTest::addRow("Content-Length not a number") << get("Content-Length: 5a\r\n") << none << 400;
    QTest::addRow("Content-Length negative") << get("Content-Length: -1\r\n") << none << 400;
    QTest::addRow("Content-Length empty") << get("Content-Length:\r\n") << none << 400;
    QTest::addRow("Content-Length list") << get("Content-Length: 5, 5\r\n") << none << 400;
    QTest::addRow("Transfer-Encoding") << get("Transfer-Encoding: chunked\r\n") << none << 411;
    QTest::addRow("Transfer-Encoding with Content-Length")
        << get("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n") << none << 411;
    QTest::addRow("body over the limit")
        << get("Content-Length: " + QByteArray::number(HttpLimits().maxBodyBytes + 1) + "\r\n")
        << none << 413;
    QTest::addRow("100 MiB body") << get("Content-Length: 104857600\r\n") << none << 413;
    QTest::addRow("overflowing Content-Length")
        << get("Content-Length: 99999999999999999999999\r\n") << none << 413;
    QTest::addRow("request line too long")
        << QByteArray("GET /" + QByteArray(17 * 1024, 'a') + " HTTP/1.1\r\n\r\n") << none << 414;
    QTest::addRow("header line too long")
        << get("X-Big: " + QByteArray(200 * 1024, 'a') + "\r\n") << none << 431;
    QTest::addRow("head too large")
        << get(QByteArray("X-A: " + kib + "\r\n").repeated(70)) << none << 431;
    QTest::addRow("101 header fields") << get(QByteArray("X: 1\r\n").repeated(100)) << none << 431;
    QTest::addRow("endless blank lines") << QByteArray("\r\n").repeated(40 * 1024) << none << 431;
    QTest::addRow("bad request after a good one")
        << QByteArray(get() + "BAD\r\n\r\n") << list({ "1.1" }) << 400;
    QTest::addRow("Expect with a body over the limit") << get("Content-Length: "
        + QByteArray::number(HttpLimits().maxBodyBytes + 1) + "\r\nExpect: 100-continue\r\n")
                                                       << none << 417;
    QTest::addRow("unknown expectation") << get("Expect: a-miracle\r\n") << none << 417;
    QTest::addRow("Expect: 100-continue")
        << get("Expect: 100-Continue\r\n") << list({ "1.1" }) << 0;
    QTest::addRow("HTTP/1.0 Expect is ignored")
        << get("Expect: a-miracle\r\n", "HTTP/1.0") << list({ "1.0 close" }) << 0;
}

void TestRequestScanner::scan()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QStringList, heads);
    QFETCH(int, refusal);

    // However the bytes are cut up, the outcome is the same.
    for (const qint64 piece : { bytes.size(), qint64(1), qint64(7), qint64(4096) }) {
        const Scanned scanned = scanAll(bytes, piece);
        QCOMPARE(scanned.heads, heads);
        QCOMPARE(scanned.refusal, refusal);
        // Every refusal names the part of the request at fault, as every other 4xx does.
        QCOMPARE(scanned.refusalParam.isEmpty(), refusal == 0);
    }
}

void TestRequestScanner::stopsWhereTheConnectionEnds_data()
{
    QTest::addColumn<QByteArray>("last"); // the request after which nothing is read
    QTest::addRow("Connection: close") << get("Connection: close\r\n");
    QTest::addRow("HTTP/1.0") << get({}, "HTTP/1.0");
    QTest::addRow("close with a body")
        << QByteArray("POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc");
    QTest::addRow("WebSocket upgrade") << get("Connection: Upgrade\r\nUpgrade: websocket\r\n");
}

void TestRequestScanner::stopsWhereTheConnectionEnds()
{
    QFETCH(QByteArray, last);
    // What follows the last request is not scanned: it is no request of this connection.
    const QByteArray bytes = get() + last + get() + "garbage";
    const Scanned scanned = scanAll(bytes, bytes.size());
    QCOMPARE(scanned.heads.size(), 2);
    QCOMPARE(scanned.taken, get().size() + last.size());
    QCOMPARE(scanned.refusal, 0);
}

void TestRequestScanner::bodyIsCountedNotRead()
{
    RequestScanner scanner;
    const QByteArray head = "POST /healthz HTTP/1.1\r\nContent-Length: 1000\r\n\r\n";
    QCOMPARE(scanner.scan(head), head.size());
    QCOMPARE(scanner.bodyBytesLeft(), qint64(1000));
    scanner.skipBody(600);
    scanner.skipBody(400);
    QCOMPARE(scanner.bodyBytesLeft(), qint64(0));
    const auto heads = scanner.takeHeads();
    QCOMPARE(heads.size(), size_t(1));
    QCOMPARE(heads.front().end, head.size() + 1000);
    QCOMPARE(scanner.offset(), head.size() + 1000);
    QCOMPARE(scanner.scan(get()), get().size());
    QCOMPARE(scanner.takeHeads().front().end, head.size() + 1000 + get().size());
}

void TestRequestScanner::refusalStartsAtItsRequest()
{
    // The connection lets Qt read up to there, and no further.
    const QByteArray first = get();
    const QByteArray bytes = first + "\r\n" + get("Transfer-Encoding: chunked\r\n");
    const Scanned scanned = scanAll(bytes, 3);
    QCOMPARE(scanned.refusal, 411);
    QCOMPARE(scanned.refusalStart, first.size());
}

void TestRequestScanner::expectContinueWithABody()
{
    RequestScanner scanner;
    scanner.scan(get("Content-Length: 5\r\nExpect: 100-continue\r\n"));
    auto heads = scanner.takeHeads();
    QCOMPARE(heads.size(), size_t(1));
    QVERIFY(heads.front().expectContinue);
    QCOMPARE(scanner.bodyBytesLeft(), 5);
    scanner.scan("hello");
    scanner.scan(get("Expect: 100-continue\r\n")); // no body: nothing to wait for
    heads = scanner.takeHeads();
    QCOMPARE(heads.size(), size_t(1));
    QVERIFY(!heads.front().expectContinue);
}

void TestRequestScanner::headDeadline()
{
    RequestScanner scanner;
    QVERIFY(!scanner.isReadingHead());
    scanner.scan(get());
    QVERIFY(!scanner.isReadingHead()); // between requests: only idleness counts
    scanner.expireHead();
    QVERIFY(!scanner.refusal());
    scanner.scan("\r\n"); // blank lines before a request are part of its head
    QVERIFY(scanner.isReadingHead());
    scanner.scan("GET /healthz HTTP/1.1\r\nHost: x");
    QVERIFY(scanner.isReadingHead());
    const qint64 start = scanner.requestStart();
    scanner.expireHead();
    QVERIFY(scanner.refusal());
    QCOMPARE(scanner.refusal()->status, 408);
    QCOMPARE(scanner.refusal()->start, start);
    QVERIFY(scanner.hasStopped());
}

void TestRequestScanner::accessPolicyRefuses()
{
    // The policy is applied when a head ends; its refusal names the header at fault.
    HttpLimits limits;
    limits.access = std::make_shared<AccessPolicy>(QHostAddress::LocalHost, 6543);
    RequestScanner scanner(limits);
    scanner.scan("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:6543\r\n\r\n");
    QCOMPARE(scanner.takeHeads().size(), size_t(1));
    scanner.scan(
        "GET /async-worker HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n\r\n");
    QVERIFY(scanner.takeHeads().empty());
    QVERIFY(scanner.refusal());
    QCOMPARE(scanner.refusal()->status, 403);
    QCOMPARE(scanner.refusal()->param, QStringLiteral("Origin"));
}

QTEST_GUILESS_MAIN(TestRequestScanner)
#include "tst_requestscanner.moc"
