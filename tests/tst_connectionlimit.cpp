// At most --max-connections are open at once: the next client waits in the kernel's backlog,
// unanswered, and gets in when one closes; /metrics shows the connections open and how often
// the limit was reached.
#include "testserver.h"
#include "tracerecorder.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QtTest>

class TestConnectionLimit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void clientsPastTheLimitWaitForOneToClose();

private:
    // A connection with one /healthz asked on it (kept alive); null if it could not connect.
    static std::unique_ptr<QTcpSocket> ask(const ServerHost &server);
    static bool answered(QTcpSocket &socket, int ms);
};

std::unique_ptr<QTcpSocket> TestConnectionLimit::ask(const ServerHost &server)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(server.url().host(), quint16(server.url().port()));
    if (!socket->waitForConnected(5000))
        return nullptr;
    socket->write(
        "GET /healthz HTTP/1.1\r\nHost: " + server.url().authority().toLatin1() + "\r\n\r\n");
    return socket;
}

bool TestConnectionLimit::answered(QTcpSocket &socket, int ms)
{
    return (socket.bytesAvailable() > 0 || socket.waitForReadyRead(ms))
        && socket.readAll().startsWith("HTTP/1.1 200 ");
}

void TestConnectionLimit::clientsPastTheLimitWaitForOneToClose()
{
    TraceRecorder recorder;
    ServerOptions options;
    options.maxConnections = 3;
    auto server = startTestServer(recorder, options);
    QVERIFY(server);

    std::vector<std::unique_ptr<QTcpSocket>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(ask(*server));
        QVERIFY(open.back());
        QVERIFY(answered(*open.back(), 5000));
    }
    // The kernel completes the fourth's handshake (the backlog), but the server does not take it.
    const auto waiting = ask(*server);
    QVERIFY(waiting);
    QVERIFY2(!answered(*waiting, 1000), "a fourth connection was served while three were open");

    // One closes: the waiting one gets in and is answered.
    open.front()->disconnectFromHost();
    open.erase(open.begin());
    QVERIFY(answered(*waiting, 10000));

    // Room for a scrape once the other two go.
    open.clear();
    QNetworkAccessManager network;
    QNetworkReply *reply
        = network.get(QNetworkRequest(server->url().resolved(QUrl(QStringLiteral("/metrics")))));
    QVERIFY(QSignalSpy(reply, &QNetworkReply::finished).wait(10000));
    const QString metrics = QString::fromUtf8(reply->readAll());
    reply->deleteLater();
    auto sample = [&metrics](const char *name) {
        const auto match
            = QRegularExpression(QStringLiteral("^%1 (\\d+)$").arg(QLatin1String(name)),
                QRegularExpression::MultilineOption)
                  .match(metrics);
        return match.hasMatch() ? match.captured(1).toInt() : -1;
    };
    QVERIFY2(sample("fanscope_connection_limit_reached_total") >= 1, qPrintable(metrics));
    // The waiting one (kept alive) and the scrape's own, perhaps the closed ones not yet gone.
    const int openNow = sample("fanscope_connections_open");
    QVERIFY2(openNow >= 2 && openNow <= 3, qPrintable(QString::number(openNow)));
}

QTEST_GUILESS_MAIN(TestConnectionLimit)
#include "tst_connectionlimit.moc"
