// A streamed body made on a thread pool (the trace exports): its pieces are made off the server's
// thread, one at a time, come back in order on that thread, and what the maker holds is let go
// once nobody reads; and a server writing such a body goes on answering other requests while a
// piece is being made.
#include "backgroundbody.h"
#include "httplistener.h"
#include "pendingreply.h"

#include <QHttpServer>
#include <QSemaphore>
#include <QTcpSocket>
#include <QThreadPool>
#include <QtTest>

#include <atomic>
#include <memory>

namespace {

// Asks for pieces until the end, as a connection does, collecting them.
struct Reader
{
    HttpReply::BodySource source;
    QList<QByteArray> pieces;
    QList<QThread *> takenOn;
    bool ended = false;

    void askNext()
    {
        source([this](const QByteArray &piece) {
            takenOn.append(QThread::currentThread());
            if (piece.isEmpty()) {
                ended = true;
                return;
            }
            pieces.append(piece);
            askNext();
        });
    }
};

} // namespace

class TestBackgroundBody : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void piecesAreMadeOnThePoolAndComeBackInOrder();
    void whatTheMakerHoldsGoesWithTheLastPiece();
    void aGonePoolEndsTheBody();
    void theServerAnswersWhileAPieceIsBeingMade();
};

void TestBackgroundBody::piecesAreMadeOnThePoolAndComeBackInOrder()
{
    QThreadPool pool;
    pool.setMaxThreadCount(3);
    auto madeOn = std::make_shared<QList<QThread *>>(); // one piece at a time: no lock needed
    int next = 0;
    Reader reader;
    reader.source = BackgroundBody::create(pool, [&next, madeOn] {
        madeOn->append(QThread::currentThread());
        return next < 20 ? QByteArray("piece-") + QByteArray::number(next++) : QByteArray();
    });
    reader.askNext();
    QVERIFY(reader.pieces.isEmpty()); // made elsewhere: never within the call
    QTRY_VERIFY(reader.ended);

    QCOMPARE(reader.pieces.size(), 20);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(reader.pieces.at(i), QByteArray("piece-") + QByteArray::number(i));
    QCOMPARE(madeOn->size(), 21); // twenty pieces and the end
    QVERIFY(!madeOn->contains(QThread::currentThread()));
    for (QThread *thread : std::as_const(reader.takenOn))
        QCOMPARE(thread, QThread::currentThread());
}

void TestBackgroundBody::whatTheMakerHoldsGoesWithTheLastPiece()
{
    // The reader goes away while a piece is being made (a client that hung up): the piece is
    // dropped when it comes back, and what the maker held (a snapshot of the trace) goes too.
    QSemaphore entered, gate;
    QThreadPool pool; // after what its task uses: it waits for the task when it goes
    auto held = std::make_shared<int>(42);
    std::weak_ptr<int> watch = held;
    auto source = std::make_unique<HttpReply::BodySource>(
        BackgroundBody::create(pool, [held = std::move(held), &entered, &gate] {
            entered.release();
            gate.tryAcquire(1, 10000); // not for ever, should the maker run on this thread
            return QByteArray("late");
        }));
    bool taken = false;
    (*source)([&taken](const QByteArray &) { taken = true; });
    QVERIFY(entered.tryAcquire(1, 5000));
    source.reset();
    QVERIFY(!watch.expired()); // the piece under way holds it
    gate.release();
    QTRY_VERIFY(watch.expired());
    QVERIFY(taken); // the taker decides what a late piece is worth (a connection drops it)
}

void TestBackgroundBody::aGonePoolEndsTheBody()
{
    auto pool = std::make_unique<QThreadPool>();
    bool called = false;
    const HttpReply::BodySource source = BackgroundBody::create(*pool, [&called] {
        called = true;
        return QByteArray("x");
    });
    pool.reset();
    QByteArray piece("not yet");
    source([&piece](const QByteArray &taken) { piece = taken; });
    QVERIFY(piece.isEmpty());
    QVERIFY(!called);
}

void TestBackgroundBody::theServerAnswersWhileAPieceIsBeingMade()
{
    // A body whose second piece takes as long as the test says, written by a real server on
    // this thread: while that piece is being made, another client is answered.
    QSemaphore entered, gate;
    std::atomic<int> next { 0 };
    std::atomic<bool> making { false };
    QThreadPool pool; // after what its tasks use: it waits for them when it goes
    QHttpServer server;
    server.route(QStringLiteral("/stream"),
        [&](const QHttpServerRequest &, QHttpServerResponder &&responder) {
            PendingReply reply(std::move(responder));
            reply.sendStream(HttpReply::text(200, {}), BackgroundBody::create(pool, [&] {
                const int index = next++;
                if (index == 1) {
                    making = true;
                    entered.release();
                    gate.tryAcquire(1, 10000); // not for ever: a server held up here still ends
                    making = false;
                }
                return index < 3 ? QByteArray("piece-") + QByteArray::number(index) : QByteArray();
            }));
        });
    server.route(
        QStringLiteral("/ping"), [](const QHttpServerRequest &, QHttpServerResponder &&responder) {
            PendingReply(std::move(responder)).send(HttpReply::text(200, "pong"));
        });
    auto *listener = new HttpListener;
    QVERIFY(listener->listenOn(QHostAddress::LocalHost, 0));
    server.bind(listener);

    QTcpSocket streamed;
    streamed.connectToHost(QHostAddress::LocalHost, listener->serverPort());
    QVERIFY(streamed.waitForConnected(5000));
    streamed.write("GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n");
    // The server's thread is this one: wait for the second piece to be under way while it runs.
    QDeadlineTimer deadline(10000);
    while (!entered.tryAcquire() && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    QVERIFY2(!deadline.hasExpired(), "the second piece was never asked for");

    QTcpSocket other;
    other.connectToHost(QHostAddress::LocalHost, listener->serverPort());
    QVERIFY(other.waitForConnected(5000));
    other.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QElapsedTimer waited;
    waited.start();
    QByteArray pong;
    while (!pong.endsWith("pong") && waited.elapsed() < 10000) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        pong += other.readAll();
    }
    QVERIFY2(pong.startsWith("HTTP/1.1 200"), pong.constData());
    QVERIFY(pong.endsWith("pong"));
    QVERIFY2(making, "the other client was answered only after the piece was made");

    gate.release();
    QByteArray body;
    deadline.setRemainingTime(10000);
    while (!body.endsWith("0\r\n\r\n") && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        body += streamed.readAll();
    }
    QVERIFY2(body.startsWith("HTTP/1.1 200"), body.constData());
    const qsizetype start = body.indexOf("\r\n\r\n") + 4;
    QCOMPARE(
        body.mid(start), QByteArray("7\r\npiece-0\r\n7\r\npiece-1\r\n7\r\npiece-2\r\n0\r\n\r\n"));
    pool.waitForDone();
}

QTEST_GUILESS_MAIN(TestBackgroundBody)
#include "tst_backgroundbody.moc"
