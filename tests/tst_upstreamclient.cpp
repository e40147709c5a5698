// UpstreamClient: kind=http calls over a fixed, small set of keep-alive connections per thread,
// against a scripted upstream in this test's event loop. No sleeps: QTRY_* spins the loop.
#include "upstreamclient.h"

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>
#include <QtTest>

#include <memory>

namespace {

constexpr int WaitMs = 10000; // generous: the machine may be loaded

// An upstream that answers by path: /ok at once, /slow?ms=N after N ms, /close by hanging up,
// /garbage with something that is not HTTP, /hangup-reused by hanging up if the connection
// carried a request before (as a server does that closes idle connections). Counts its
// connections.
class ScriptedUpstream : public QObject
{
public:
    ScriptedUpstream()
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection())
                accept(socket);
        });
    }

    QUrl url(const QString &pathAndQuery) const
    {
        return QUrl(
            QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(pathAndQuery));
    }

    int accepted = 0;
    int open = 0;
    int maxOpen = 0;
    QStringList received; // request targets, in order

private:
    void accept(QTcpSocket *socket)
    {
        ++accepted;
        maxOpen = std::max(maxOpen, ++open);
        auto buffer = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            --open;
            socket->deleteLater();
        });
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
            buffer->append(socket->readAll());
            qsizetype end;
            while ((end = buffer->indexOf("\r\n\r\n")) >= 0) {
                const QByteArray head = buffer->left(end);
                buffer->remove(0, end + 4);
                answer(socket, QString::fromLatin1(head.split(' ').value(1)));
            }
        });
    }

    void answer(QTcpSocket *socket, const QString &target)
    {
        received.append(target);
        const QUrl url(target);
        const int served = socket->property("served").toInt();
        socket->setProperty("served", served + 1);
        auto ok = [socket = QPointer<QTcpSocket>(socket)] {
            if (socket)
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: "
                              "application/json\r\nContent-Length: 15\r\n\r\n{\"balance\":1.5}");
        };
        if (url.path() == QLatin1String("/close")
            || (url.path() == QLatin1String("/hangup-reused") && served > 0))
            socket->disconnectFromHost();
        else if (url.path() == QLatin1String("/garbage"))
            socket->write("garbage\r\n\r\n");
        else if (url.path() == QLatin1String("/slow"))
            QTimer::singleShot(
                QUrlQuery(url).queryItemValue(QStringLiteral("ms")).toInt(), socket, ok);
        else
            ok();
    }

    QTcpServer m_server;
};

// What came back for one call.
struct Result
{
    bool done = false;
    UpstreamClient::Answer answer;
};

} // namespace

class TestUpstreamClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void callsShareKeepAliveConnections();
    void neverMoreThanMaxConnections();
    void cancelledQueuedCallLeavesTheQueue();
    void callGivenUpWhileQueuedIsNeverSent();
    void cancelInFlightClosesItsConnection();
    void failedConnectionFailsOnlyItsCall();
    void staleKeepAliveConnectionIsRetriedOnce();
    void refusedConnectionFailsTheCall();
    void idleConnectionsClose();
    void clientGoesWithItsThread();

private:
    UpstreamClient *client() const { return UpstreamClient::forCurrentThread(); }
    // Starts a call whose result lands in a Result kept by the test.
    std::shared_ptr<Result> get(const QUrl &url, std::function<bool()> stillWanted = {})
    {
        auto result = std::make_shared<Result>();
        m_ids.append(client()->get(
            url,
            [result](const UpstreamClient::Answer &a) {
                result->done = true;
                result->answer = a;
            },
            std::move(stillWanted)));
        return result;
    }
    QVector<UpstreamClient::Id> m_ids;
};

void TestUpstreamClient::init()
{
    UpstreamClient::setIdleTimeoutMs(UpstreamClient::DefaultIdleTimeoutMs);
}

void TestUpstreamClient::cleanup()
{
    for (UpstreamClient::Id id : std::as_const(m_ids))
        client()->cancel(id);
    m_ids.clear();
    client()->closeIdle();
    QCOMPARE(client()->connectionCount(), 0);
    QCOMPARE(client()->waitingCount(), 0);
}

void TestUpstreamClient::callsShareKeepAliveConnections()
{
    ScriptedUpstream upstream;
    client()->setMaxConnections(2);
    const quint64 openedBefore = UpstreamClient::totals().connectionsOpened;
    QVector<std::shared_ptr<Result>> results;
    for (int i = 0; i < 20; ++i)
        results.append(get(upstream.url(QStringLiteral("/ok?i=%1").arg(i))));
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(results.begin(), results.end(), [](const auto &r) { return r->done; }), WaitMs);
    for (const auto &result : std::as_const(results)) {
        QCOMPARE(result->answer.status, 200);
        QCOMPARE(result->answer.body, QByteArray("{\"balance\":1.5}"));
        QVERIFY(result->answer.error.isEmpty());
    }
    QCOMPARE(upstream.received.size(), 20);
    QVERIFY2(upstream.accepted <= 2, qPrintable(QString::number(upstream.accepted)));
    QCOMPARE(UpstreamClient::totals().connectionsOpened - openedBefore, quint64(upstream.accepted));
}

void TestUpstreamClient::neverMoreThanMaxConnections()
{
    ScriptedUpstream upstream;
    client()->setMaxConnections(3);
    QVector<std::shared_ptr<Result>> results;
    for (int i = 0; i < 30; ++i)
        results.append(get(upstream.url(QStringLiteral("/slow?ms=20&i=%1").arg(i))));
    QCOMPARE(client()->waitingCount(), 30); // nothing goes out inside get()
    QTRY_COMPARE_WITH_TIMEOUT(client()->connectionCount(), 3, WaitMs);
    QCOMPARE(client()->waitingCount(), 27);
    QVERIFY(UpstreamClient::totals().waitingCalls >= 27);
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(results.begin(), results.end(), [](const auto &r) { return r->done; }), WaitMs);
    for (const auto &result : std::as_const(results))
        QCOMPARE(result->answer.status, 200);
    QCOMPARE(upstream.maxOpen, 3);
    QCOMPARE(upstream.accepted, 3);
    QCOMPARE(client()->waitingCount(), 0);
}

void TestUpstreamClient::cancelledQueuedCallLeavesTheQueue()
{
    ScriptedUpstream upstream;
    client()->setMaxConnections(1);
    const auto first = get(upstream.url(QStringLiteral("/slow?ms=60000")));
    const auto queued = get(upstream.url(QStringLiteral("/ok?queued")));
    QTRY_COMPARE_WITH_TIMEOUT(upstream.received.size(), 1, WaitMs);
    QCOMPARE(client()->waitingCount(), 1);
    const int waitingBefore = UpstreamClient::totals().waitingCalls;

    client()->cancel(m_ids.at(1));
    QCOMPARE(client()->waitingCount(), 0);
    QCOMPARE(UpstreamClient::totals().waitingCalls, waitingBefore - 1);
    // The connection is still the first call's: cancelling it frees the upstream at once.
    client()->cancel(m_ids.at(0));
    QTRY_COMPARE_WITH_TIMEOUT(upstream.open, 0, WaitMs);
    QVERIFY(!first->done);
    QVERIFY(!queued->done);
    QCOMPARE(upstream.received, QStringList { QStringLiteral("/slow?ms=60000") });
}

void TestUpstreamClient::callGivenUpWhileQueuedIsNeverSent()
{
    ScriptedUpstream upstream;
    client()->setMaxConnections(1);
    bool wanted = true;
    const auto first = get(upstream.url(QStringLiteral("/slow?ms=50")));
    const auto late = get(upstream.url(QStringLiteral("/ok?late")), [&wanted] { return wanted; });
    QTRY_COMPARE_WITH_TIMEOUT(upstream.received.size(), 1, WaitMs);
    wanted = false; // its deadline passed while it waited
    QTRY_VERIFY_WITH_TIMEOUT(late->done, WaitMs);
    QCOMPARE(late->answer.status, 0);
    QVERIFY2(
        late->answer.error.contains(QStringLiteral("given up")), qPrintable(late->answer.error));
    QVERIFY(first->done);
    QCOMPARE(first->answer.status, 200);
    QCOMPARE(upstream.received.size(), 1);
}

void TestUpstreamClient::cancelInFlightClosesItsConnection()
{
    ScriptedUpstream upstream;
    client()->setMaxConnections(1);
    const auto cancelled = get(upstream.url(QStringLiteral("/slow?ms=60000")));
    QTRY_COMPARE_WITH_TIMEOUT(upstream.received.size(), 1, WaitMs);
    client()->cancel(m_ids.at(0));
    QCOMPARE(client()->connectionCount(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(upstream.open, 0, WaitMs); // the upstream learns its caller left
    const auto next = get(upstream.url(QStringLiteral("/ok")));
    QTRY_VERIFY_WITH_TIMEOUT(next->done, WaitMs);
    QCOMPARE(next->answer.status, 200);
    QCOMPARE(upstream.accepted, 2); // a fresh connection
    QVERIFY(!cancelled->done);
}

void TestUpstreamClient::failedConnectionFailsOnlyItsCall()
{
    ScriptedUpstream upstream;
    client()->setMaxConnections(2);
    const auto closed = get(upstream.url(QStringLiteral("/close")));
    const auto garbage = get(upstream.url(QStringLiteral("/garbage")));
    QVector<std::shared_ptr<Result>> fine;
    for (int i = 0; i < 6; ++i)
        fine.append(get(upstream.url(QStringLiteral("/ok?i=%1").arg(i))));
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(fine.begin(), fine.end(), [](const auto &r) { return r->done; }), WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(closed->done && garbage->done, WaitMs);
    QCOMPARE(closed->answer.status, 0);
    QVERIFY2(closed->answer.error.contains(QStringLiteral("closed the connection")),
        qPrintable(closed->answer.error));
    QCOMPARE(garbage->answer.status, 0);
    QVERIFY2(garbage->answer.error.contains(QStringLiteral("no valid status line")),
        qPrintable(garbage->answer.error));
    for (const auto &result : std::as_const(fine))
        QCOMPARE(result->answer.status, 200);
    // The two broken connections were replaced by two fresh ones, which carried the rest.
    QCOMPARE(upstream.accepted, 4);
}

void TestUpstreamClient::staleKeepAliveConnectionIsRetriedOnce()
{
    ScriptedUpstream upstream;
    client()->setMaxConnections(1);
    const auto first = get(upstream.url(QStringLiteral("/ok")));
    QTRY_VERIFY_WITH_TIMEOUT(first->done, WaitMs);
    // The kept-alive connection is hung up on as the next call goes out: that call was not
    // processed, so it goes again on a fresh connection instead of failing.
    const auto next = get(upstream.url(QStringLiteral("/hangup-reused")));
    QTRY_VERIFY_WITH_TIMEOUT(next->done, WaitMs);
    QCOMPARE(next->answer.status, 200);
    QVERIFY(next->answer.error.isEmpty());
    QCOMPARE(upstream.accepted, 2);
    QCOMPARE(upstream.received.count(QStringLiteral("/hangup-reused")), 2);
}

void TestUpstreamClient::refusedConnectionFailsTheCall()
{
    quint16 port = 0;
    {
        QTcpServer gone;
        QVERIFY(gone.listen(QHostAddress::LocalHost));
        port = gone.serverPort();
    }
    const auto refused = get(QUrl(QStringLiteral("http://127.0.0.1:%1/ok").arg(port)));
    QTRY_VERIFY_WITH_TIMEOUT(refused->done, WaitMs);
    QCOMPARE(refused->answer.status, 0);
    QVERIFY2(refused->answer.error.contains(QStringLiteral("refused")),
        qPrintable(refused->answer.error));
    QCOMPARE(client()->connectionCount(), 0);
}

void TestUpstreamClient::idleConnectionsClose()
{
    UpstreamClient::setIdleTimeoutMs(100);
    ScriptedUpstream upstream;
    client()->setMaxConnections(4);
    QVector<std::shared_ptr<Result>> results;
    for (int i = 0; i < 4; ++i)
        results.append(get(upstream.url(QStringLiteral("/slow?ms=10&i=%1").arg(i))));
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(results.begin(), results.end(), [](const auto &r) { return r->done; }), WaitMs);
    QCOMPARE(upstream.accepted, 4);
    QTRY_COMPARE_WITH_TIMEOUT(client()->connectionCount(), 0, WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(upstream.open, 0, WaitMs);
}

void TestUpstreamClient::clientGoesWithItsThread()
{
    ScriptedUpstream upstream;
    const int openBefore = UpstreamClient::totals().openConnections;
    QThread thread;
    QObject *context = new QObject;
    context->moveToThread(&thread);
    connect(&thread, &QThread::finished, context, &QObject::deleteLater);
    thread.start();
    // Calls in flight and queued when the thread ends: its client closes them all.
    QMetaObject::invokeMethod(context, [url = upstream.url(QStringLiteral("/slow?ms=60000"))] {
        UpstreamClient *client = UpstreamClient::forCurrentThread();
        client->setMaxConnections(2);
        for (int i = 0; i < 5; ++i)
            client->get(url, [](const UpstreamClient::Answer &) {
                QFAIL("a call completed after its thread ended");
            });
    });
    QTRY_COMPARE_WITH_TIMEOUT(upstream.received.size(), 2, WaitMs);
    QCOMPARE(UpstreamClient::totals().openConnections, openBefore + 2);
    thread.quit();
    QVERIFY(thread.wait(WaitMs));
    QCOMPARE(UpstreamClient::totals().openConnections, openBefore);
    QTRY_COMPARE_WITH_TIMEOUT(upstream.open, 0, WaitMs);
}

QTEST_GUILESS_MAIN(TestUpstreamClient)
#include "tst_upstreamclient.moc"
