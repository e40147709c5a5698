// The live feed's bounds: past --max-live-clients an upgrade is answered 503 with the JSON error
// (and a page that leaves makes room again); a frame or a message bigger than the feed takes
// closes the page's socket with 1009; a page that never reads holds one message at most and is cut
// off once it has taken nothing for the stall time, while a page that reads keeps receiving;
// /metrics counts both.
#include "livefeed.h"
#include "serverhost.h"
#include "testserver.h"
#include "tracerecorder.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QWebSocket>
#include <QtTest>

class TestLiveBounds : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void upgradesPastTheLimitGet503();
    void oversizedFrameCloses1009();
    void oversizedMessageCloses1009();
    void pageThatDoesNotReadIsCutOff();

private:
    double metric(const ServerHost &server, const QString &name);
    static std::unique_ptr<QWebSocket> openPage(const ServerHost &server);
    // A WebSocket handshake by hand: the socket, and the head of the answer once it has come.
    static std::unique_ptr<QTcpSocket> upgradeByHand(const ServerHost &server, QByteArray *answer);

    QNetworkAccessManager m_network;
};

double TestLiveBounds::metric(const ServerHost &server, const QString &name)
{
    QNetworkReply *reply = m_network.get(QNetworkRequest(server.url().resolved(QUrl(QStringLiteral("/metrics")))));
    QSignalSpy(reply, &QNetworkReply::finished).wait(10000);
    const QString text = QString::fromUtf8(reply->readAll());
    reply->deleteLater();
    const QRegularExpression line(QStringLiteral("^%1 (\\S+)$").arg(QRegularExpression::escape(name)), QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match = line.match(text);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

std::unique_ptr<QWebSocket> TestLiveBounds::openPage(const ServerHost &server)
{
    auto socket = std::make_unique<QWebSocket>();
    QUrl url = server.url();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/api/ws"));
    socket->open(url);
    return socket;
}

std::unique_ptr<QTcpSocket> TestLiveBounds::upgradeByHand(const ServerHost &server, QByteArray *answer)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(server.url().host(), quint16(server.url().port()));
    if (!socket->waitForConnected(5000))
        return nullptr;
    socket->write("GET /api/ws HTTP/1.1\r\nHost: " + server.url().authority().toLatin1()
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          "Sec-WebSocket-Version: 13\r\n\r\n");
    QByteArray received;
    while (!received.contains("\r\n\r\n")) { // the head only, byte by byte
        if (socket->bytesAvailable() == 0 && !socket->waitForReadyRead(5000))
            break;
        received += socket->read(1);
    }
    *answer = received;
    return socket;
}

void TestLiveBounds::upgradesPastTheLimitGet503()
{
    TraceRecorder recorder;
    ServerOptions options;
    options.maxLiveClients = 3;
    auto server = startTestServer(recorder, options);
    QVERIFY(server);

    std::vector<std::unique_ptr<QWebSocket>> pages;
    for (int i = 0; i < 3; ++i) {
        pages.push_back(openPage(*server));
        QTRY_COMPARE(pages.back()->state(), QAbstractSocket::ConnectedState);
    }
    QTRY_COMPARE(server->liveClients(), 3);

    // The fourth: 503 with the usual JSON error, and the connection closes.
    QByteArray head;
    auto fourth = upgradeByHand(*server, &head);
    QVERIFY(fourth);
    QVERIFY2(head.startsWith("HTTP/1.1 503 "), head.constData());
    QVERIFY(head.toLower().contains("retry-after:"));
    QTRY_COMPARE(fourth->state(), QAbstractSocket::UnconnectedState);
    const QJsonObject error = QJsonDocument::fromJson(fourth->readAll()).object();
    QVERIFY(error.value(QStringLiteral("error")).toString().contains(QStringLiteral("/api/events")));
    // A WebSocket client sees the upgrade fail.
    const auto refused = openPage(*server);
    QSignalSpy refusedGone(refused.get(), &QWebSocket::disconnected);
    QVERIFY(refusedGone.wait(5000) || refused->state() == QAbstractSocket::UnconnectedState);
    QCOMPARE(server->liveClients(), 3);
    QCOMPARE(metric(*server, QStringLiteral("fanscope_live_clients_refused_total")), 2.0);
    QCOMPARE(metric(*server, QStringLiteral("fanscope_live_clients")), 3.0);

    // One leaves: room for another.
    pages.front()->close();
    QTRY_COMPARE(server->liveClients(), 2);
    pages.push_back(openPage(*server));
    QTRY_COMPARE(pages.back()->state(), QAbstractSocket::ConnectedState);
    QTRY_COMPARE(server->liveClients(), 3);
}

void TestLiveBounds::oversizedFrameCloses1009()
{
    TraceRecorder recorder;
    auto server = startTestServer(recorder);
    QVERIFY(server);
    const auto page = openPage(*server);
    QTRY_COMPARE(page->state(), QAbstractSocket::ConnectedState);
    QSignalSpy closed(page.get(), &QWebSocket::disconnected);
    // One frame of 64 KiB (the client sends up to 512 KiB in a frame).
    page->sendBinaryMessage(QByteArray(64 * 1024, 'x'));
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(page->closeCode()), 1009);
    QTRY_COMPARE(server->liveClients(), 0);
}

void TestLiveBounds::oversizedMessageCloses1009()
{
    TraceRecorder recorder;
    auto server = startTestServer(recorder);
    QVERIFY(server);
    const auto page = openPage(*server);
    QTRY_COMPARE(page->state(), QAbstractSocket::ConnectedState);
    QSignalSpy closed(page.get(), &QWebSocket::disconnected);
    // Frames each within the limit, a message beyond it.
    page->setOutgoingFrameSize(1024);
    page->sendTextMessage(QString(LiveFeed::MaxIncomingMessageBytes * 2, QLatin1Char('x')));
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(page->closeCode()), 1009);
}

void TestLiveBounds::pageThatDoesNotReadIsCutOff()
{
    TraceRecorder recorder;
    ServerOptions options;
    options.liveStallMs = 3000;
    auto server = startTestServer(recorder, options);
    QVERIFY(server);

    // One page reads everything; the other upgrades by hand and then reads nothing.
    const auto reader = openPage(*server);
    quint64 readerLast = 0;
    connect(reader.get(), &QWebSocket::textMessageReceived, this, [&](const QString &text) {
        readerLast = quint64(QJsonDocument::fromJson(text.toUtf8()).object().value(QStringLiteral("last")).toInteger());
    });
    QTRY_COMPARE(reader->state(), QAbstractSocket::ConnectedState);
    QByteArray head;
    auto stuck = upgradeByHand(*server, &head);
    QVERIFY(stuck);
    QVERIFY2(head.startsWith("HTTP/1.1 101 "), head.constData());
    stuck->setReadBufferSize(4096);
    QTRY_COMPARE(server->liveClients(), 2);

    // Far more than the kernel's buffers: about 40 MB of feed.
    const int route = recorder.routeId(QStringLiteral("/async-worker"));
    recorder.registerCurrentThread(ThreadKind::Worker);
    for (int batch = 0; batch < 40; ++batch) {
        for (int r = 0; r < 100; ++r) {
            const quint64 id = recorder.requestStarted(route, 1000, 98);
            for (int task = 0; task < 98; ++task)
                recorder.taskStarted(id, task, TaskKind::Timer, recorder.now());
            recorder.requestEnded(id, 200);
        }
        recorder.flush();
        // The page that reads keeps up all along, and the one that does not holds at most
        // one message (of at most MaxEventsPerMessage events, well under 1 MiB) unsent.
        QTRY_COMPARE_WITH_TIMEOUT(readerLast, recorder.lastSeq(), 10000);
        const double waiting = metric(*server, QStringLiteral("fanscope_live_bytes_waiting"));
        QVERIFY2(waiting >= 0 && waiting < 1024 * 1024, qPrintable(QString::number(waiting)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(metric(*server, QStringLiteral("fanscope_live_clients_dropped_total")), 1.0, 30000);
    QTRY_COMPARE(server->liveClients(), 1);
    QCOMPARE(reader->state(), QAbstractSocket::ConnectedState);
    QTRY_COMPARE_WITH_TIMEOUT(readerLast, recorder.lastSeq(), 30000);
    // The one cut off is closed (a close frame behind what it never read, then an abort): it sees
    // so once it reads again.
    stuck->setReadBufferSize(0);
    connect(stuck.get(), &QIODevice::readyRead, stuck.get(), [socket = stuck.get()] { socket->readAll(); });
    stuck->readAll();
    QTRY_COMPARE_WITH_TIMEOUT(stuck->state(), QAbstractSocket::UnconnectedState, 10000);
}

QTEST_GUILESS_MAIN(TestLiveBounds)
#include "tst_livebounds.moc"
