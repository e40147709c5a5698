// Who may talk to the server: the Host names it answers to (DNS rebinding), and the pages that
// may make it start work or follow the live feed (Origin, Sec-Fetch-Site).
#include "accesspolicy.h"

#include <QtTest>

namespace {

constexpr quint16 Port = 6543;

AccessPolicy::Request get(const QByteArray &target, const QByteArray &host = "127.0.0.1:6543")
{
    AccessPolicy::Request request;
    request.target = target;
    request.hostCount = host.isNull() ? 0 : 1;
    request.host = host;
    return request;
}

AccessPolicy::Request withOrigin(AccessPolicy::Request request, const QByteArray &origin)
{
    request.originCount = 1;
    request.origin = origin;
    return request;
}

} // namespace

class TestAccessPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hosts_data();
    void hosts();
    void extraHosts();
    void origins_data();
    void origins();
    void missingOrDuplicateHost();
    void absoluteTargetNamesTheHost();
    void foreignOriginMayReadButNotStartWork_data();
    void foreignOriginMayReadButNotStartWork();
    void fetchMetadata_data();
    void fetchMetadata();
    void allowedOriginMayStartWork();
    void normalisedOrigins_data();
    void normalisedOrigins();
};

void TestAccessPolicy::hosts_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("allowed");
    QTest::addRow("127.0.0.1") << QByteArray("127.0.0.1") << true;
    QTest::addRow("127.0.0.1 with the port") << QByteArray("127.0.0.1:6543") << true;
    QTest::addRow("localhost") << QByteArray("localhost") << true;
    QTest::addRow("LocalHost with the port") << QByteArray("LocalHost:6543") << true;
    QTest::addRow("[::1]") << QByteArray("[::1]") << true;
    QTest::addRow("[::1] with the port") << QByteArray("[::1]:6543") << true;
    QTest::addRow("bound address") << QByteArray("192.168.1.5:6543") << true;
    QTest::addRow("another port") << QByteArray("127.0.0.1:80") << false;
    QTest::addRow("foreign name") << QByteArray("evil.example") << false;
    QTest::addRow("foreign name with our port") << QByteArray("evil.example:6543") << false;
    QTest::addRow("localhost as a subdomain") << QByteArray("localhost.evil.example") << false;
    QTest::addRow("another loopback address") << QByteArray("127.0.0.2") << false;
    QTest::addRow("empty") << QByteArray("") << false;
    QTest::addRow("empty port") << QByteArray("127.0.0.1:") << false;
    QTest::addRow("port not a number") << QByteArray("127.0.0.1:x") << false;
    QTest::addRow("::1 without brackets") << QByteArray("::1") << false;
    QTest::addRow("unclosed bracket") << QByteArray("[::1") << false;
    QTest::addRow("with a path") << QByteArray("127.0.0.1/x") << false;
    QTest::addRow("with user info") << QByteArray("me@127.0.0.1") << false;
    QTest::addRow("with a space") << QByteArray("127.0.0.1 :6543") << false;
}

void TestAccessPolicy::hosts()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, allowed);
    const AccessPolicy policy(QHostAddress(QStringLiteral("192.168.1.5")), Port);
    QCOMPARE(policy.allowsHost(host), allowed);
    const auto denial = policy.check(get("/healthz", host));
    QCOMPARE(!denial, allowed);
    if (denial) {
        QCOMPARE(denial->status, 421);
        QCOMPARE(denial->param, QStringLiteral("Host"));
    }
}

void TestAccessPolicy::extraHosts()
{
    const AccessPolicy wildcard(QHostAddress::AnyIPv4, Port,
        { QStringLiteral("fanscope.lan"), QStringLiteral("proxy.example:8443") });
    QVERIFY(!wildcard.allowsHost("0.0.0.0:6543")); // a wildcard is no name
    QVERIFY(wildcard.allowsHost("fanscope.lan"));
    QVERIFY(wildcard.allowsHost("FANSCOPE.lan:6543"));
    QVERIFY(wildcard.allowsHost("fanscope.lan:80")); // a name given without a port: any port
    QVERIFY(wildcard.allowsHost("proxy.example:8443"));
    QVERIFY(!wildcard.allowsHost("proxy.example:6543"));
    QVERIFY(!wildcard.allowsHost("proxy.example"));
    QVERIFY(!wildcard.allowsHost("evil.example"));
}

void TestAccessPolicy::origins_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<bool>("allowed");
    QTest::addRow("our page") << QByteArray("http://127.0.0.1:6543") << true;
    QTest::addRow("our page by name") << QByteArray("http://localhost:6543") << true;
    QTest::addRow("our page over IPv6") << QByteArray("http://[::1]:6543") << true;
    QTest::addRow("another port of localhost") << QByteArray("http://localhost:3000") << false;
    QTest::addRow("no port: 80") << QByteArray("http://127.0.0.1") << false;
    QTest::addRow("https") << QByteArray("https://127.0.0.1:6543") << false;
    QTest::addRow("foreign") << QByteArray("http://evil.example") << false;
    QTest::addRow("foreign with our port") << QByteArray("http://evil.example:6543") << false;
    QTest::addRow("null") << QByteArray("null") << false;
    QTest::addRow("empty") << QByteArray("") << false;
    QTest::addRow("with a path") << QByteArray("http://127.0.0.1:6543/x") << false;
}

void TestAccessPolicy::origins()
{
    QFETCH(QByteArray, origin);
    QFETCH(bool, allowed);
    const AccessPolicy policy(QHostAddress::LocalHost, Port);
    QCOMPARE(policy.allowsOrigin(origin), allowed);
}

void TestAccessPolicy::missingOrDuplicateHost()
{
    const AccessPolicy policy(QHostAddress::LocalHost, Port);
    auto missing = get("/healthz", QByteArray());
    auto denial = policy.check(missing);
    QVERIFY(denial);
    QCOMPARE(denial->status, 400);
    QCOMPARE(denial->param, QStringLiteral("Host"));
    missing.http10 = true; // HTTP/1.0 had no Host
    QVERIFY(!policy.check(missing));

    auto twice = get("/healthz");
    twice.hostCount = 2;
    denial = policy.check(twice);
    QVERIFY(denial);
    QCOMPARE(denial->status, 400);
    QCOMPARE(denial->param, QStringLiteral("Host"));
}

void TestAccessPolicy::absoluteTargetNamesTheHost()
{
    const AccessPolicy policy(QHostAddress::LocalHost, Port);
    QVERIFY(!policy.check(get("http://127.0.0.1:6543/healthz")));
    const auto denial = policy.check(get("http://evil.example/healthz"));
    QVERIFY(denial);
    QCOMPARE(denial->status, 421);
}

void TestAccessPolicy::foreignOriginMayReadButNotStartWork_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<bool>("refused");
    QTest::addRow("page") << QByteArray("/") << false;
    QTest::addRow("page file") << QByteArray("/static/app.js") << false;
    QTest::addRow("health") << QByteArray("/healthz") << false;
    QTest::addRow("events") << QByteArray("/api/events?since=3") << false;
    QTest::addRow("metrics") << QByteArray("/metrics") << false;
    QTest::addRow("fan-out") << QByteArray("/async-worker?tasks=3") << true;
    QTest::addRow("live feed") << QByteArray("/api/ws") << true;
    QTest::addRow("trace export") << QByteArray("/api/trace") << true;
    QTest::addRow("upstream") << QByteArray("/upstream/balance/acct-1?latency_ms=5") << true;
    QTest::addRow("encoded path") << QByteArray("/%68ealthz") << true; // unknown: work
    QTest::addRow("unknown") << QByteArray("/nope") << true;
}

void TestAccessPolicy::foreignOriginMayReadButNotStartWork()
{
    QFETCH(QByteArray, target);
    QFETCH(bool, refused);
    const AccessPolicy policy(QHostAddress::LocalHost, Port);
    for (const QByteArray &origin : { QByteArray("http://evil.example"), QByteArray("null") }) {
        const auto denial = policy.check(withOrigin(get(target), origin));
        QCOMPARE(bool(denial), refused);
        if (denial) {
            QCOMPARE(denial->status, 403);
            QCOMPARE(denial->param, QStringLiteral("Origin"));
        }
    }
    QVERIFY(!policy.check(withOrigin(get(target), "http://127.0.0.1:6543")));
    QVERIFY(!policy.check(get(target))); // curl, wrk: no Origin
}

void TestAccessPolicy::fetchMetadata_data()
{
    QTest::addColumn<QByteArray>("site");
    QTest::addColumn<bool>("refused");
    QTest::addRow("absent") << QByteArray() << false;
    QTest::addRow("same-origin") << QByteArray("same-origin") << false;
    QTest::addRow("none") << QByteArray("none") << false;
    QTest::addRow("same-site") << QByteArray("same-site") << true;
    QTest::addRow("cross-site") << QByteArray("cross-site") << true;
}

void TestAccessPolicy::fetchMetadata()
{
    QFETCH(QByteArray, site);
    QFETCH(bool, refused);
    const AccessPolicy policy(QHostAddress::LocalHost, Port);
    auto work = get("/thread-pool?tasks=2");
    work.fetchSite = site;
    const auto denial = policy.check(work);
    QCOMPARE(bool(denial), refused);
    if (denial) {
        QCOMPARE(denial->status, 403);
        QCOMPARE(denial->param, QStringLiteral("Sec-Fetch-Site"));
    }
    auto read = get("/healthz");
    read.fetchSite = site;
    QVERIFY(!policy.check(read));
}

void TestAccessPolicy::allowedOriginMayStartWork()
{
    const AccessPolicy policy(
        QHostAddress::LocalHost, Port, {}, { QStringLiteral("https://Dash.Example/") });
    auto request = withOrigin(get("/async-worker"), "https://dash.example");
    QVERIFY(!policy.check(request));
    request.fetchSite = "cross-site"; // its pages are cross-site, and let in all the same
    QVERIFY(!policy.check(request));
    QVERIFY(policy.check(withOrigin(get("/async-worker"), "https://dash.example:444")));
}

void TestAccessPolicy::normalisedOrigins_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("origin"); // empty: refused
    QTest::addRow("plain") << QStringLiteral("https://dash.example")
                           << QStringLiteral("https://dash.example");
    QTest::addRow("upper case, slash")
        << QStringLiteral("HTTPS://Dash.Example/") << QStringLiteral("https://dash.example");
    QTest::addRow("port") << QStringLiteral("http://10.0.0.2:8080")
                          << QStringLiteral("http://10.0.0.2:8080");
    QTest::addRow("IPv6") << QStringLiteral("http://[fd00::2]:8080")
                          << QStringLiteral("http://[fd00::2]:8080");
    QTest::addRow("path") << QStringLiteral("https://dash.example/app") << QString();
    QTest::addRow("no scheme") << QStringLiteral("dash.example") << QString();
    QTest::addRow("null") << QStringLiteral("null") << QString();
    QTest::addRow("user") << QStringLiteral("https://me@dash.example") << QString();
}

void TestAccessPolicy::normalisedOrigins()
{
    QFETCH(QString, text);
    QFETCH(QString, origin);
    QCOMPARE(AccessPolicy::normalisedOrigin(text).value_or(QString()), origin);
}

QTEST_GUILESS_MAIN(TestAccessPolicy)
#include "tst_accesspolicy.moc"
