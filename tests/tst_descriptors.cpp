// Out of file descriptors: a server started with a low RLIMIT_NOFILE is sent more connections
// than it can take. It must back off instead of spinning in its accept loop, go on serving the
// connections it has, and accept again by itself once descriptors are free.
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace {

// Enough for the server's threads and a few dozen connections, far below what the test opens.
constexpr rlim_t ServerDescriptors = 160;
constexpr int ExtraConnections = 300;

// The process' CPU time so far, user and system, in seconds.
double cpuSeconds(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    // Fields after the command name, which is in parentheses and may hold spaces.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    return double(fields.value(11).toLongLong() + fields.value(12).toLongLong())
        / double(sysconf(_SC_CLK_TCK));
}

// GET on a keep-alive connection; the status, or 0 if no whole answer came in time. Sets *body.
int get(
    QTcpSocket &socket, const QByteArray &path, QByteArray *body = nullptr, int timeoutMs = 5000)
{
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QElapsedTimer clock;
    clock.start();
    QByteArray in;
    while (clock.elapsed() < timeoutMs) {
        const qsizetype end = in.indexOf("\r\n\r\n");
        if (end >= 0) {
            const QRegularExpression length(QStringLiteral("(?i)\r\ncontent-length: *(\\d+)"));
            const auto match = length.match(QString::fromLatin1(in.left(end + 2)));
            const qsizetype size = match.hasMatch() ? match.captured(1).toLongLong() : 0;
            if (in.size() >= end + 4 + size) {
                if (body)
                    *body = in.mid(end + 4, size);
                return in.split(' ').value(1).toInt();
            }
        }
        if (socket.state() != QAbstractSocket::ConnectedState)
            return 0;
        socket.waitForReadyRead(int(std::max<qint64>(1, timeoutMs - clock.elapsed())));
        in += socket.readAll();
    }
    return 0;
}

double metric(QTcpSocket &socket, const QByteArray &name)
{
    QByteArray body;
    if (get(socket, "/metrics", &body) != 200)
        return -1;
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith(QByteArray(name + ' ')))
            return line.mid(name.size() + 1).toDouble();
    }
    return -1;
}

int connectRaw(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace

class TestDescriptors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listenerBacksOffAndRecovers();
};

void TestDescriptors::listenerBacksOffAndRecovers()
{
    QProcess server;
    server.setChildProcessModifier([] {
        const rlimit limit { ServerDescriptors, ServerDescriptors };
        ::setrlimit(RLIMIT_NOFILE, &limit);
    });
    server.start(QStringLiteral(FANSCOPE_BINARY),
        { QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0") });
    const auto stop = qScopeGuard([&server] {
        server.terminate();
        if (!server.waitForFinished(5000))
            server.kill();
    });
    QVERIFY(server.waitForReadyRead(10000));
    const QRegularExpression listening(
        QStringLiteral("^listening on http://127\\.0\\.0\\.1:(\\d+)"));
    const auto match = listening.match(QString::fromUtf8(server.readLine()));
    QVERIFY(match.hasMatch());
    const quint16 port = quint16(match.captured(1).toUInt());

    // A keep-alive connection made while descriptors are free.
    QTcpSocket kept;
    kept.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(kept.waitForConnected(5000));
    QCOMPARE(get(kept, "/healthz"), 200);

    // Far more connections than the server has descriptors for: the kernel completes them all
    // (the backlog is long), the server accepts until accept() fails with EMFILE.
    std::vector<int> extra;
    const auto closeExtra = qScopeGuard([&extra] {
        for (int fd : extra)
            ::close(fd);
    });
    for (int i = 0; i < ExtraConnections; ++i) {
        const int fd = connectRaw(port);
        QVERIFY2(fd >= 0, "the test itself ran out of descriptors");
        extra.push_back(fd);
    }
    QTRY_VERIFY_WITH_TIMEOUT(metric(kept, "fanscope_accept_errors_total") >= 1, 10000);

    // Out of descriptors, with connections waiting: not spinning. Qt's own loop took about
    // 70 % of a core here; backing off takes next to nothing.
    const double cpuBefore = cpuSeconds(server.processId());
    QElapsedTimer wall;
    wall.start();
    QTest::qWait(2000); // a window to measure CPU time over, not a synchronisation
    const double cpu = cpuSeconds(server.processId()) - cpuBefore;
    const double seconds = double(wall.elapsed()) / 1000;
    qInfo("out of descriptors: %.2f s of CPU in %.2f s", cpu, seconds);
    QVERIFY2(cpu >= 0 && cpu < 0.25 * seconds,
        qPrintable(
            QStringLiteral("%1 s of CPU in %2 s while out of descriptors").arg(cpu).arg(seconds)));
    QCOMPARE(metric(kept, "fanscope_accept_paused"), 1.0);

    // The open connection is still served, promptly.
    QElapsedTimer healthz;
    healthz.start();
    QCOMPARE(get(kept, "/healthz"), 200);
    QVERIFY2(healthz.elapsed() < 1000,
        qPrintable(QStringLiteral("/healthz took %1 ms").arg(healthz.elapsed())));

    // Descriptors free again: the server accepts by itself, and new connections are served.
    for (int fd : extra)
        ::close(fd);
    extra.clear();
    QTRY_VERIFY_WITH_TIMEOUT(metric(kept, "fanscope_accept_paused") == 0.0, 15000);
    QTcpSocket fresh;
    fresh.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(fresh.waitForConnected(5000));
    QCOMPARE(get(fresh, "/healthz", nullptr, 10000), 200);
}

QTEST_GUILESS_MAIN(TestDescriptors)
#include "tst_descriptors.moc"
