// The server's connections at the protocol level, through raw sockets as curl, ab or wrk use
// them: HTTP/1.0 and Connection: close end the connection after the answer, keep-alive keeps
// it, pipelined requests are answered in order even when a later answer is ready first, and
// requests that are malformed or too big are refused (400, 411, 413, 414, 431, 505) without
// being read into memory, the server staying healthy.
#include "serverhost.h"
#include "testserver.h"
#include "tracerecorder.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QTcpSocket>
#include <QtTest>

#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Response
{
    QByteArray statusLine;
    int status = 0;
    QHash<QByteArray, QByteArray> headers; // names in lower case
    QByteArray body;
};

// One client connection that writes bytes as given and reads answers one by one.
class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        m_socket.waitForConnected(5000);
    }
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QTcpSocket &socket() { return m_socket; }
    void send(const QByteArray &bytes) { m_socket.write(bytes); }

    // The next answer, or none if it does not come within the time. HEAD answers have no body.
    std::optional<Response> read(bool head = false, int timeoutMs = 10000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (true) {
            m_in += m_socket.readAll();
            if (auto response = take(head))
                return response;
            if (deadline.hasExpired() || m_socket.state() == QAbstractSocket::UnconnectedState)
                return std::nullopt;
            QSignalSpy(&m_socket, &QIODevice::readyRead)
                .wait(int(std::max<qint64>(1, deadline.remainingTime())));
        }
    }

    // Whether the server closed the connection within the time, with nothing more to read.
    bool closedByServer(int timeoutMs = 5000)
    {
        if (m_socket.state() != QAbstractSocket::UnconnectedState)
            QSignalSpy(&m_socket, &QAbstractSocket::disconnected).wait(timeoutMs);
        m_in += m_socket.readAll();
        return m_socket.state() == QAbstractSocket::UnconnectedState && m_in.isEmpty();
    }

private:
    std::optional<Response> take(bool head)
    {
        const qsizetype end = m_in.indexOf("\r\n\r\n");
        if (end < 0)
            return std::nullopt;
        Response response;
        const QList<QByteArray> lines = m_in.left(end).split('\n');
        response.statusLine = lines.constFirst().trimmed();
        response.status = response.statusLine.split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            response.headers.insert(
                lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
        }
        const qsizetype length = head ? 0 : response.headers.value("content-length").toLongLong();
        if (m_in.size() < end + 4 + length)
            return std::nullopt;
        response.body = m_in.mid(end + 4, length);
        m_in.remove(0, end + 4 + length);
        return response;
    }

    QTcpSocket m_socket;
    QByteArray m_in;
};

QByteArray request(const QByteArray &target, const QByteArray &headers = {},
    const QByteArray &method = "GET", const QByteArray &version = "HTTP/1.1")
{
    return method + ' ' + target + ' ' + version + "\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

// fanscope_connections_held_back_total of the server on `port`, or -1.
int heldBackCount(quint16 port);

// A blocking POSIX socket connected to `port`, with 10 s send and receive timeouts and, if
// given, a small receive buffer (the kernel then holds little of the answers for us); -1 if
// it could not connect. Closed by the caller.
int connectBlocking(quint16 port, int receiveBuffer = 0)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (receiveBuffer > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    timeval timeout { 10, 0 };
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads `count` answers from a blocking socket (or until it closes or times out): how many of
// each status code.
QMap<int, int> readStatuses(int fd, int count)
{
    QMap<int, int> statuses;
    int answers = 0;
    QByteArray tail;
    char buffer[64 * 1024];
    while (answers < count) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            break;
        tail.append(buffer, n);
        for (qsizetype at = tail.indexOf("HTTP/1.1 "); at >= 0;
             at = tail.indexOf("HTTP/1.1 ", at + 1)) {
            if (at + 12 > tail.size())
                break; // its code comes in the next read
            ++statuses[tail.mid(at + 9, 3).toInt()];
            ++answers;
        }
        tail = tail.right(11); // a status line cut between two reads
    }
    return statuses;
}

qint64 residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').constFirst().toLongLong();
    }
    return -1;
}

} // namespace

class TestHttpConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void http10IsAnsweredThenClosed_data();
    void http10IsAnsweredThenClosed();
    void http10KeepAliveKeepsTheConnection();
    void connectionCloseIsHonoured_data();
    void connectionCloseIsHonoured();
    void keepAliveServesManyRequests();
    void pipelinedAnswersComeInOrder_data();
    void pipelinedAnswersComeInOrder();
    void pipelinedCloseEndsTheConnection();
    void pipelinedFloodIsAllAnswered();
    void smallBodyIsSkipped();
    void refused_data();
    void refused();
    void refusalWaitsForEarlierAnswers();
    void hugeBodyIsRefusedWithoutBuffering();
    void aClientThatDoesNotReadIsHeldBack();
    void aHeldBackRequestIsNotLate();
    void idleConnectionsAreClosed();
    void hostIsChecked_data();
    void hostIsChecked();
    void originIsChecked_data();
    void originIsChecked();
    void allowedHostsAndOriginsAreServed();
    void headMustArriveInTime();
    void expectContinueIsAnswered();

private:
    void verifyHealthy();

    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<ServerHost> m_server;
    quint16 m_port = 0;
};

namespace {

int heldBackCount(quint16 port)
{
    RawClient metrics(port);
    metrics.send(request("/metrics"));
    const auto response = metrics.read();
    const QRegularExpression line(
        QStringLiteral("\nfanscope_connections_held_back_total (\\d+)\n"));
    const auto match = line.match(response ? QString::fromUtf8(response->body) : QString());
    return match.hasMatch() ? match.captured(1).toInt() : -1;
}

} // namespace

void TestHttpConnection::initTestCase()
{
    m_recorder = std::make_unique<TraceRecorder>();
    m_server = startTestServer(*m_recorder);
    QVERIFY(m_server);
    m_port = quint16(m_server->url().port());
}

void TestHttpConnection::cleanupTestCase()
{
    m_server.reset();
}

void TestHttpConnection::verifyHealthy()
{
    RawClient client(m_port);
    client.send(request("/healthz"));
    const auto response = client.read();
    QVERIFY(response);
    QCOMPARE(response->status, 200);
    QCOMPARE(response->body, QByteArray("ok"));
}

void TestHttpConnection::http10IsAnsweredThenClosed_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addRow("answered at once") << QByteArray("/healthz") << 200;
    QTest::addRow("answered by a worker")
        << QByteArray("/async-worker?tasks=2&latency_ms=50") << 200;
    QTest::addRow("answered as a continuation")
        << QByteArray("/async-continuation?tasks=2&latency_ms=50") << 200;
    QTest::addRow("not found") << QByteArray("/nope") << 404;
    QTest::addRow("bad parameter") << QByteArray("/async-worker?tasks=x") << 400;
}

void TestHttpConnection::http10IsAnsweredThenClosed()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    RawClient client(m_port);
    client.send(request(target, {}, "GET", "HTTP/1.0"));
    const auto response = client.read();
    QVERIFY(response);
    QCOMPARE(response->status, status);
    QCOMPARE(response->headers.value("connection"), QByteArray("close"));
    QVERIFY(client.closedByServer());
}

void TestHttpConnection::http10KeepAliveKeepsTheConnection()
{
    // As ab -k does it.
    RawClient client(m_port);
    for (const QByteArray &target : { QByteArray("/healthz"),
             QByteArray("/async-worker?tasks=1&latency_ms=10"), QByteArray("/healthz") }) {
        client.send(request(target, "Connection: Keep-Alive\r\n", "GET", "HTTP/1.0"));
        const auto response = client.read();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QCOMPARE(response->headers.value("connection"), QByteArray("keep-alive"));
        QVERIFY(client.isConnected());
    }
}

void TestHttpConnection::connectionCloseIsHonoured_data()
{
    http10IsAnsweredThenClosed_data();
}

void TestHttpConnection::connectionCloseIsHonoured()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    RawClient client(m_port);
    client.send(request(target, "Connection: close\r\n"));
    const auto response = client.read();
    QVERIFY(response);
    QCOMPARE(response->status, status);
    QCOMPARE(response->headers.value("connection"), QByteArray("close"));
    QVERIFY(client.closedByServer());
}

void TestHttpConnection::keepAliveServesManyRequests()
{
    RawClient client(m_port);
    const quint16 localPort = client.socket().localPort();
    for (int i = 0; i < 20; ++i) {
        const QByteArray target = i % 2
            ? QByteArray("/healthz")
            : "/async-worker?tasks=2&latency_ms=5&seed=" + QByteArray::number(i);
        client.send(request(target));
        const auto response = client.read();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QVERIFY(!response->headers.contains("connection")); // HTTP/1.1 stays open unsaid
    }
    // All of them on the one connection.
    QVERIFY(client.isConnected());
    QCOMPARE(client.socket().localPort(), localPort);
}

void TestHttpConnection::pipelinedAnswersComeInOrder_data()
{
    // Requests sent back to back, each with a marker that only its answer's body holds; a HEAD
    // answer has an empty body.
    QTest::addColumn<QList<QByteArray>>("requests");
    QTest::addColumn<QList<QByteArray>>("markers");
    const auto fanOut = [](const char *route, int latencyMs, int seed) -> QByteArray {
        return request(QByteArray(route) + "?tasks=2&latency_ms=" + QByteArray::number(latencyMs)
            + "&seed=" + QByteArray::number(seed));
    };
    const auto seed
        = [](int seed) -> QByteArray { return "\"seed\":\"" + QByteArray::number(seed) + '"'; };

    QTest::addRow("slow fan-out, then a fast answer")
        << QList<QByteArray> { fanOut("/async-continuation", 300, 1), request("/healthz") }
        << QList<QByteArray> { seed(1), "ok" };
    QTest::addRow("each later one ready sooner")
        << QList<QByteArray> { fanOut("/async-continuation", 300, 2),
               fanOut("/async-continuation", 150, 3), fanOut("/async-continuation", 0, 4) }
        << QList<QByteArray> { seed(2), seed(3), seed(4) };
    QTest::addRow("worker routes and an API answer") << QList<QByteArray> {
        fanOut("/async-worker", 200, 5), fanOut("/sequential", 0, 6), request("/api/info")
    } << QList<QByteArray> { seed(5), seed(6), "\"routes\"" };
    QTest::addRow("errors in between") << QList<QByteArray> { fanOut("/async-scoped", 200, 7),
        request("/async-worker?tasks=x"), request("/nope"), request("/healthz", {}, "POST") }
                                       << QList<QByteArray> { seed(7), "\"param\":\"tasks\"",
                                              "no route for /nope", "method not allowed" };
    QTest::addRow("HEAD in between") << QList<QByteArray> { fanOut("/async-worker", 200, 8),
        request("/healthz", {}, "HEAD"), request("/healthz") }
                                     << QList<QByteArray> { seed(8), QByteArray(), "ok" };
}

void TestHttpConnection::pipelinedAnswersComeInOrder()
{
    QFETCH(QList<QByteArray>, requests);
    QFETCH(QList<QByteArray>, markers);
    RawClient client(m_port);
    client.send(requests.join()); // one write: the server gets them together
    for (qsizetype i = 0; i < requests.size(); ++i) {
        const bool head = requests.at(i).startsWith("HEAD");
        const auto response = client.read(head);
        QVERIFY2(response, qPrintable(QStringLiteral("answer %1 missing").arg(i)));
        if (markers.at(i).isEmpty())
            QVERIFY(response->body.isEmpty());
        else
            QVERIFY2(response->body.contains(markers.at(i)), response->body.constData());
    }
    QVERIFY(client.isConnected());
}

void TestHttpConnection::pipelinedCloseEndsTheConnection()
{
    // RFC 9112 §9.6: nothing after the request that says close is answered.
    RawClient client(m_port);
    client.send(request("/async-worker?tasks=1&latency_ms=100")
        + request("/healthz", "Connection: close\r\n") + request("/api/info"));
    const auto first = client.read();
    QVERIFY(first);
    QCOMPARE(first->status, 200);
    QVERIFY(!first->headers.contains("connection"));
    const auto second = client.read();
    QVERIFY(second);
    QCOMPARE(second->body, QByteArray("ok"));
    QCOMPARE(second->headers.value("connection"), QByteArray("close"));
    QVERIFY(client.closedByServer());
}

void TestHttpConnection::pipelinedFloodIsAllAnswered()
{
    // More pipelined requests than a connection buffers (144 KiB): the server reads on as
    // it answers, and misses none.
    const int count = 5000;
    const QByteArray one = request("/healthz", "X-Padding: " + QByteArray(200, 'p') + "\r\n");
    RawClient client(m_port);
    client.send(one.repeated(count));
    for (int i = 0; i < count; ++i) {
        const auto response = client.read();
        QVERIFY2(response, qPrintable(QStringLiteral("answer %1 missing").arg(i)));
        QCOMPARE(response->body, QByteArray("ok"));
    }
    QVERIFY(client.isConnected());
}

void TestHttpConnection::smallBodyIsSkipped()
{
    // A body within the limit is read past, on the same connection: Qt and we agree where the
    // next request starts.
    RawClient client(m_port);
    client.send("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\nhello world"
        + request("/healthz"));
    const auto post = client.read();
    QVERIFY(post);
    QCOMPARE(post->status, 405);
    QCOMPARE(post->headers.value("allow"), QByteArray("GET, HEAD"));
    const auto get = client.read();
    QVERIFY(get);
    QCOMPARE(get->body, QByteArray("ok"));
}

void TestHttpConnection::refused_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addRow("one 200 KiB header line")
        << request("/healthz", "X-Big: " + QByteArray(200 * 1024, 'a') + "\r\n") << 431;
    QTest::addRow("200 KiB of headers in 1 KiB lines") << request(
        "/healthz", QByteArray("X-Line: " + QByteArray(1024, 'b') + "\r\n").repeated(200))
                                                       << 431;
    QTest::addRow("101 header fields")
        << request("/healthz", QByteArray("X: 1\r\n").repeated(101)) << 431;
    QTest::addRow("20 KiB request line")
        << request("/healthz?" + QByteArray(20 * 1024, 'c')) << 414;
    QTest::addRow("chunked body") << request("/healthz", "Transfer-Encoding: chunked\r\n", "POST")
            + "5\r\nhello\r\n0\r\n\r\n"
                                  << 411;
    QTest::addRow("2 MiB Content-Length")
        << request("/healthz", "Content-Length: 2097152\r\n", "POST") << 413;
    QTest::addRow("malformed request line") << QByteArray("GET /healthz\r\n\r\n") << 400;
    QTest::addRow("folded header") << request("/healthz", "X-A: a\r\n b\r\n") << 400;
    QTest::addRow("two Content-Lengths")
        << request("/healthz", "Content-Length: 0\r\nContent-Length: 5\r\n") << 400;
    QTest::addRow("HTTP/2.0") << request("/healthz", {}, "GET", "HTTP/2.0") << 505;
    // The client has not sent the body: it is told not to before it does (RFC 9110 §10.1.1).
    QTest::addRow("Expect with a body too large")
        << request("/healthz", "Content-Length: 2097152\r\nExpect: 100-continue\r\n", "POST")
        << 417;
    QTest::addRow("unknown expectation")
        << request("/healthz", "Content-Length: 5\r\nExpect: a-miracle\r\n", "POST") << 417;
}

void TestHttpConnection::refused()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    RawClient client(m_port);
    client.send(bytes);
    const auto response = client.read();
    QVERIFY(response);
    QCOMPARE(response->status, status);
    QCOMPARE(response->headers.value("connection"), QByteArray("close"));
    QVERIFY2(response->body.startsWith("{\"error\":"), response->body.constData());
    QVERIFY(client.closedByServer());
    verifyHealthy();
}

void TestHttpConnection::refusalWaitsForEarlierAnswers()
{
    // The refusal is the answer to the request it refuses: it comes after the earlier answers.
    RawClient client(m_port);
    client.send(request("/async-worker?tasks=1&latency_ms=200&seed=11")
        + request("/healthz", "X-Big: " + QByteArray(100 * 1024, 'a') + "\r\n"));
    const auto first = client.read();
    QVERIFY(first);
    QCOMPARE(first->status, 200);
    QVERIFY(first->body.contains("\"seed\":\"11\""));
    const auto second = client.read();
    QVERIFY(second);
    QCOMPARE(second->status, 431);
    QVERIFY(client.closedByServer());
}

void TestHttpConnection::hugeBodyIsRefusedWithoutBuffering()
{
    // A blocking POSIX socket: it sends all it can without buffering anything in this process,
    // and reads only once it is done, as a naive uploader would.
    const int fd = connectBlocking(m_port);
    QVERIFY(fd >= 0);
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });

    const qint64 before = residentKiB();
    const QByteArray head = request("/healthz", "Content-Length: 104857600\r\n", "POST"); // 100 MiB
    QCOMPARE(::send(fd, head.constData(), size_t(head.size()), MSG_NOSIGNAL), ssize_t(head.size()));
    // Part of the body: 32 MiB, or less if the server stops reading first.
    const QByteArray chunk(64 * 1024, 'x');
    qint64 sent = 0;
    while (sent < 32 * 1024 * 1024) {
        const ssize_t n = ::send(fd, chunk.constData(), size_t(chunk.size()), MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += n;
    }
    ::shutdown(fd, SHUT_WR);
    QByteArray answer;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        answer.append(buffer, n);
    const qint64 grownKiB = residentKiB() - before;

    QVERIFY2(answer.startsWith("HTTP/1.1 413 "), answer.left(200).constData());
    QVERIFY(answer.contains("\r\nConnection: close\r\n"));
    // Qt alone keeps the body twice over (socket buffer and request body): 64 MiB for 32.
    QVERIFY2(sent >= 8 * 1024 * 1024,
        qPrintable(QStringLiteral("only %1 bytes of body sent").arg(sent)));
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed buffers in quarantine: the resident size says nothing here.
    Q_UNUSED(grownKiB)
#else
    QVERIFY2(grownKiB < 8 * 1024,
        qPrintable(QStringLiteral("memory grew by %1 KiB for %2 KiB of body")
                       .arg(grownKiB)
                       .arg(sent / 1024)));
#endif
    verifyHealthy();
}

void TestHttpConnection::aClientThatDoesNotReadIsHeldBack()
{
    // A client that pipelines 4000 requests for a 30 KiB file and reads none of the answers
    // (120 MiB if they were all made): once 256 KiB wait unsent, the server reads its requests
    // no further, so what it holds stays small; other clients are served meanwhile; and once the
    // client reads, every answer comes, whole and in order.
    const int fd = connectBlocking(m_port, 16 * 1024);
    QVERIFY(fd >= 0);
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });

    const auto heldBack = [this] { return heldBackCount(m_port); };
    const int heldBefore = heldBack();
    QVERIFY(heldBefore >= 0);
    const qint64 before = residentKiB();
    const int count = 4000;
    const QByteArray all = request("/static/app.js").repeated(count); // ~200 KiB: sent at once
    QCOMPARE(::send(fd, all.constData(), size_t(all.size()), MSG_NOSIGNAL), ssize_t(all.size()));

    QTRY_VERIFY_WITH_TIMEOUT(heldBack() > heldBefore, 10000);
    const qint64 grownKiB = residentKiB() - before;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    Q_UNUSED(grownKiB) // the sanitizers' quarantine and shadow memory grow with what is touched
#else
    QVERIFY2(
        grownKiB < 32 * 1024, qPrintable(QStringLiteral("memory grew by %1 KiB").arg(grownKiB)));
#endif
    verifyHealthy();

    // Now it reads: all of them come.
    QCOMPARE(readStatuses(fd, count), (QMap<int, int> { { 200, count } }));
}

void TestHttpConnection::aHeldBackRequestIsNotLate()
{
    // Requests of 56 bytes: the socket's buffer (144 KiB) then ends within a request, whose head
    // waits behind the answers while the client does not read them. That is the server holding
    // it back, not the client being slow: no 408 however long the hold (here twice the head
    // timeout), and every answer comes once the client reads.
    TraceRecorder recorder;
    ServerOptions options;
    options.headTimeoutMs = 300;
    const auto server = startTestServer(recorder, options);
    QVERIFY(server);
    const quint16 port = quint16(server->url().port());
    const int fd = connectBlocking(port, 16 * 1024);
    QVERIFY(fd >= 0);
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });

    const int count = 4000;
    const QByteArray one = request("/static/app.js", "X-A: 1\r\n");
    QCOMPARE(one.size(), 56);
    const QByteArray all = one.repeated(count);
    QCOMPARE(::send(fd, all.constData(), size_t(all.size()), MSG_NOSIGNAL), ssize_t(all.size()));
    QTRY_VERIFY_WITH_TIMEOUT(heldBackCount(port) >= 1, 10000);
    QTest::qWait(2 * options.headTimeoutMs); // what must not happen would have by now

    QCOMPARE(readStatuses(fd, count), (QMap<int, int> { { 200, count } })); // no 408
}

void TestHttpConnection::idleConnectionsAreClosed()
{
    // A server of its own, whose connections may idle 300 ms.
    TraceRecorder recorder;
    ServerOptions options;
    options.idleTimeoutMs = 300;
    const auto server = startTestServer(recorder, options);
    QVERIFY(server);
    const quint16 port = quint16(server->url().port());

    // Connected, never a byte: closed.
    RawClient silent(port);
    QVERIFY(silent.isConnected());
    QVERIFY(silent.closedByServer(5000));

    // Kept alive after an answer, then quiet: closed.
    RawClient idle(port);
    idle.send(request("/healthz"));
    const auto answered = idle.read();
    QVERIFY(answered && answered->status == 200);
    QVERIFY(idle.closedByServer(5000));

    // Half a request, then nothing: 408, then closed.
    RawClient slow(port);
    slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const auto timedOut = slow.read(false, 5000);
    QVERIFY(timedOut);
    QCOMPARE(timedOut->status, 408);
    QCOMPARE(timedOut->headers.value("connection"), QByteArray("close"));
    QVERIFY(slow.closedByServer(5000));

    // A route that takes longer than the idle time is not the client's idleness.
    RawClient patient(port);
    patient.send(request("/async-worker?tasks=2&latency_ms=900"));
    const auto slowAnswer = patient.read(false, 5000);
    QVERIFY(slowAnswer);
    QCOMPARE(slowAnswer->status, 200);
}

void TestHttpConnection::hostIsChecked_data()
{
    // "PORT" is replaced with the server's port.
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                               "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    QTest::addRow("foreign Host") << QByteArray(
        "GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n")
                                  << 421;
    QTest::addRow("foreign Host with our port")
        << QByteArray("GET /api/info HTTP/1.1\r\nHost: evil.example:PORT\r\n\r\n") << 421;
    QTest::addRow("foreign Host on the page")
        << QByteArray("GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n") << 421;
    QTest::addRow("foreign Host on a fan-out")
        << QByteArray("GET /async-worker?tasks=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n") << 421;
    QTest::addRow("foreign Host on /metrics")
        << QByteArray("GET /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n") << 421;
    QTest::addRow("foreign Host on the live feed")
        << QByteArray("GET /api/ws HTTP/1.1\r\nHost: evil.example:PORT\r\n" + upgrade + "\r\n")
        << 421;
    QTest::addRow("foreign Host over HTTP/1.0")
        << QByteArray("GET /healthz HTTP/1.0\r\nHost: evil.example\r\n\r\n") << 421;
    QTest::addRow("no Host") << QByteArray("GET /healthz HTTP/1.1\r\n\r\n") << 400;
    QTest::addRow("two Hosts") << QByteArray(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n")
                               << 400;
    QTest::addRow("our address with the port")
        << QByteArray("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\r\n") << 200;
    QTest::addRow("localhost") << QByteArray("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                               << 200;
    QTest::addRow("localhost with the port")
        << QByteArray("GET /healthz HTTP/1.1\r\nHost: localhost:PORT\r\n\r\n") << 200;
    QTest::addRow("HTTP/1.0 without Host") << QByteArray("GET /healthz HTTP/1.0\r\n\r\n") << 200;
    QTest::addRow("live feed for localhost")
        << QByteArray("GET /api/ws HTTP/1.1\r\nHost: localhost:PORT\r\n" + upgrade + "\r\n") << 101;
}

void TestHttpConnection::hostIsChecked()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    RawClient client(m_port);
    client.send(bytes.replace("PORT", QByteArray::number(m_port)));
    const auto response = client.read();
    QVERIFY(response);
    QCOMPARE(response->status, status);
    if (status == 421) {
        QCOMPARE(response->statusLine, QByteArray("HTTP/1.1 421 Misdirected Request"));
        QVERIFY2(response->body.contains("\"param\":\"Host\""), response->body.constData());
        QVERIFY(client.closedByServer());
    } else if (status == 400) {
        QVERIFY2(response->body.contains("\"param\":\"Host\""), response->body.constData());
    }
    verifyHealthy();
}

void TestHttpConnection::originIsChecked_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("headers"); // "PORT" is replaced with the server's port
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("param");
    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                               "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    const QByteArray fanOut = "/async-continuation?tasks=1&latency_ms=1";
    QTest::addRow("foreign Origin on the live feed")
        << QByteArray("/api/ws") << "Origin: http://evil.example\r\n" + upgrade << 403
        << QByteArray("Origin");
    QTest::addRow("null Origin on the live feed")
        << QByteArray("/api/ws") << "Origin: null\r\n" + upgrade << 403 << QByteArray("Origin");
    QTest::addRow("another port's Origin on the live feed")
        << QByteArray("/api/ws") << "Origin: http://localhost:1\r\n" + upgrade << 403
        << QByteArray("Origin");
    QTest::addRow("our Origin on the live feed")
        << QByteArray("/api/ws") << "Origin: http://127.0.0.1:PORT\r\n" + upgrade << 101
        << QByteArray();
    QTest::addRow("foreign Origin on a fan-out")
        << fanOut << QByteArray("Origin: http://evil.example\r\n") << 403 << QByteArray("Origin");
    QTest::addRow("foreign Origin on a worker fan-out")
        << QByteArray("/thread-pool?tasks=1") << QByteArray("Origin: http://evil.example\r\n")
        << 403 << QByteArray("Origin");
    QTest::addRow("cross-site fetch of a fan-out")
        << fanOut << QByteArray("Sec-Fetch-Site: cross-site\r\n") << 403
        << QByteArray("Sec-Fetch-Site");
    QTest::addRow("same-origin fetch of a fan-out")
        << fanOut << QByteArray("Sec-Fetch-Site: same-origin\r\nOrigin: http://localhost:PORT\r\n")
        << 200 << QByteArray();
    QTest::addRow("typed-in fan-out")
        << fanOut << QByteArray("Sec-Fetch-Site: none\r\n") << 200 << QByteArray();
    QTest::addRow("foreign Origin reading health")
        << QByteArray("/healthz")
        << QByteArray("Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n") << 200
        << QByteArray();
}

void TestHttpConnection::originIsChecked()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    QFETCH(QByteArray, param);
    RawClient client(m_port);
    client.send(request(target, headers.replace("PORT", QByteArray::number(m_port))));
    const auto response = client.read();
    QVERIFY(response);
    QCOMPARE(response->status, status);
    if (status == 403) {
        QCOMPARE(response->statusLine, QByteArray("HTTP/1.1 403 Forbidden"));
        QVERIFY2(response->body.contains(QByteArray("\"param\":\"" + param + '"')),
            response->body.constData());
        QVERIFY(!response->headers.contains("access-control-allow-origin"));
        QVERIFY(client.closedByServer());
    }
    verifyHealthy();
}

void TestHttpConnection::allowedHostsAndOriginsAreServed()
{
    TraceRecorder recorder;
    ServerOptions options;
    options.allowHosts = { QStringLiteral("fanscope.lan") };
    options.allowOrigins = { QStringLiteral("https://dash.example") };
    const auto server = startTestServer(recorder, options);
    QVERIFY(server);
    const quint16 port = quint16(server->url().port());

    RawClient lan(port);
    lan.send(
        "GET /healthz HTTP/1.1\r\nHost: fanscope.lan:" + QByteArray::number(port) + "\r\n\r\n");
    auto response = lan.read();
    QVERIFY(response);
    QCOMPARE(response->status, 200);

    RawClient dashboard(port);
    dashboard.send(request("/async-continuation?tasks=1&latency_ms=1",
        "Origin: https://dash.example\r\nSec-Fetch-Site: cross-site\r\n"));
    response = dashboard.read();
    QVERIFY(response);
    QCOMPARE(response->status, 200);

    // Others are still refused.
    RawClient other(port);
    other.send(
        request("/async-continuation?tasks=1&latency_ms=1", "Origin: https://evil.example\r\n"));
    response = other.read();
    QVERIFY(response);
    QCOMPARE(response->status, 403);
}

void TestHttpConnection::headMustArriveInTime()
{
    // A server whose heads must arrive within 500 ms, and whose idle time is long.
    TraceRecorder recorder;
    ServerOptions options;
    options.headTimeoutMs = 500;
    const auto server = startTestServer(recorder, options);
    QVERIFY(server);
    const quint16 port = quint16(server->url().port());

    // One byte every 50 ms: each byte would restart an idle timer, but not the head's deadline.
    const QByteArray head = request("/healthz", "X-Padding: " + QByteArray(200, 'p') + "\r\n");
    RawClient slow(port);
    QVERIFY(slow.isConnected());
    qsizetype sent = 0;
    QTimer dribble;
    dribble.setInterval(50);
    QObject::connect(&dribble, &QTimer::timeout, [&] {
        if (sent < head.size() && slow.isConnected())
            slow.send(head.mid(sent++, 1));
    });
    QElapsedTimer clock;
    clock.start();
    dribble.start();
    const auto response = slow.read(false, 10000);
    dribble.stop();
    QVERIFY(response);
    QCOMPARE(response->statusLine, QByteArray("HTTP/1.1 408 Request Timeout"));
    QCOMPARE(response->headers.value("connection"), QByteArray("close"));
    QVERIFY2(response->body.contains("\"error\""), response->body.constData());
    // Well before the whole head (about 12 s at this pace) and not before the deadline.
    QVERIFY2(sent < head.size() / 2,
        qPrintable(QStringLiteral("%1 of %2 bytes sent").arg(sent).arg(head.size())));
    QVERIFY(clock.elapsed() >= 500);
    QVERIFY(slow.closedByServer());

    // A head that comes whole in time is served, also after a quiet keep-alive pause.
    RawClient prompt(port);
    prompt.send(request("/healthz"));
    auto answered = prompt.read();
    QVERIFY(answered && answered->status == 200);
    QTest::qWait(700); // between requests the head deadline does not run: only idleness counts
    prompt.send(request("/healthz"));
    answered = prompt.read();
    QVERIFY(answered);
    QCOMPARE(answered->status, 200);
}

void TestHttpConnection::expectContinueIsAnswered()
{
    // curl sends Expect: 100-continue with a body and waits for the 100 before sending it.
    RawClient client(m_port);
    client.send(request("/healthz", "Content-Length: 5\r\nExpect: 100-continue\r\n", "POST"));
    const auto interim = client.read(false, 5000);
    QVERIFY(interim);
    QCOMPARE(interim->statusLine, QByteArray("HTTP/1.1 100 Continue"));
    client.send("hello");
    const auto final = client.read();
    QVERIFY(final);
    QCOMPARE(final->status, 405);
    // The connection goes on.
    client.send(request("/healthz"));
    const auto next = client.read();
    QVERIFY(next);
    QCOMPARE(next->body, QByteArray("ok"));
}

QTEST_GUILESS_MAIN(TestHttpConnection)
#include "tst_httpconnection.moc"
