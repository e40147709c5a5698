#include "accesspolicy.h"

#include <QUrl>

#include <algorithm>

namespace {

bool isDigits(QByteArrayView text)
{
    return !text.isEmpty() && text.size() <= 5
        && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A DNS name or IPv4 address, or an IPv6 address in brackets: nothing else names a host.
bool isHostName(QByteArrayView text)
{
    const auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (text.size() > 2 && text.startsWith('[') && text.endsWith(']')) {
        const QByteArrayView inside = text.sliced(1, text.size() - 2);
        return std::all_of(
            inside.begin(), inside.end(), [&](char c) { return alnum(c) || c == ':' || c == '.'; });
    }
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), [&](char c) {
        return alnum(c) || c == '.' || c == '-' || c == '_';
    });
}

QByteArray bracketed(const QHostAddress &address)
{
    const QByteArray text = address.toString().toLatin1().toLower();
    return address.protocol() == QAbstractSocket::IPv6Protocol ? '[' + text + ']' : text;
}

} // namespace

AccessPolicy::AccessPolicy(const QHostAddress &bound, quint16 port, const QStringList &allowedHosts,
    const QStringList &allowedOrigins)
    : m_port(port)
{
    m_ownNames = { QByteArrayLiteral("localhost"), QByteArrayLiteral("127.0.0.1"),
        QByteArrayLiteral("[::1]") };
    // A wildcard is not a name anyone can ask for; the machine's own addresses are --allow-host's.
    if (!bound.isNull() && bound != QHostAddress::AnyIPv4 && bound != QHostAddress::AnyIPv6
        && bound != QHostAddress::Any)
        m_ownNames.push_back(bracketed(bound));
    for (const QString &host : allowedHosts) {
        if (const auto authority = parseAuthority(host.toLatin1()))
            m_extraHosts.push_back(*authority);
    }
    for (const QString &origin : allowedOrigins) {
        if (const auto normalised = normalisedOrigin(origin))
            m_extraOrigins.append(*normalised);
    }
}

std::optional<AccessPolicy::Authority> AccessPolicy::parseAuthority(QByteArrayView text)
{
    Authority authority;
    QByteArrayView name = text;
    QByteArrayView port;
    if (text.startsWith('[')) { // [v6] or [v6]:port
        const qsizetype close = text.indexOf(']');
        if (close < 0)
            return std::nullopt;
        name = text.first(close + 1);
        const QByteArrayView rest = text.sliced(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(':'))
            return std::nullopt;
        port = rest.isEmpty() ? rest : rest.sliced(1);
        if (rest.size() == 1)
            return std::nullopt;
    } else if (const qsizetype colon = text.indexOf(':'); colon >= 0) {
        name = text.first(colon);
        port = text.sliced(colon + 1);
        if (port.isEmpty())
            return std::nullopt;
    }
    if (!isHostName(name) || (!port.isEmpty() && !isDigits(port)))
        return std::nullopt;
    authority.name = name.toByteArray().toLower();
    if (!port.isEmpty())
        authority.port = port.toInt();
    return authority;
}

bool AccessPolicy::allowsAuthority(const Authority &authority, std::optional<int> portless) const
{
    const std::optional<int> port = authority.port ? authority.port : portless;
    const bool own
        = std::find(m_ownNames.begin(), m_ownNames.end(), authority.name) != m_ownNames.end();
    if (own && (!port || *port == m_port))
        return true;
    return std::any_of(m_extraHosts.begin(), m_extraHosts.end(), [&](const Authority &extra) {
        return extra.name == authority.name && (!extra.port || extra.port == port);
    });
}

bool AccessPolicy::allowsHost(QByteArrayView host) const
{
    const auto authority = parseAuthority(host);
    return authority && allowsAuthority(*authority, std::nullopt);
}

bool AccessPolicy::allowsOrigin(QByteArrayView origin) const
{
    // Our own origin: http, a name we serve, our port (written out unless it is 80).
    if (origin.startsWith("http://")) {
        const auto authority = parseAuthority(origin.sliced(7));
        if (authority && allowsAuthority(*authority, 80))
            return true;
    }
    // "null" (sandboxed frames, file: pages) never matches: it is not scheme://host.
    return m_extraOrigins.contains(QString::fromLatin1(origin).toLower());
}

bool AccessPolicy::isPureRead(QByteArrayView path)
{
    static constexpr QByteArrayView reads[]
        = { "/", "/healthz", "/api/info", "/api/events", "/metrics", "/favicon.ico" };
    if (std::find(std::begin(reads), std::end(reads), path) != std::end(reads))
        return true;
    // The page's files; anything odd in the name is answered 404 anyway.
    return path.startsWith("/static/") && !path.sliced(8).contains('/');
}

std::optional<QString> AccessPolicy::normalisedOrigin(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    const QString path = url.path();
    if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty()
        || !url.userInfo().isEmpty() || (!path.isEmpty() && path != QLatin1String("/"))
        || url.hasQuery() || url.hasFragment())
        return std::nullopt;
    QString origin
        = url.scheme().toLower() + QStringLiteral("://") + url.host(QUrl::FullyEncoded).toLower();
    if (url.host().contains(QLatin1Char(':'))) // IPv6: QUrl drops the brackets
        origin = url.scheme().toLower() + QStringLiteral("://[")
            + url.host(QUrl::FullyEncoded).toLower() + QLatin1Char(']');
    if (url.port() >= 0)
        origin += QLatin1Char(':') + QString::number(url.port());
    return origin;
}

std::optional<AccessPolicy::Denial> AccessPolicy::check(const Request &request) const
{
    const QString host = QString::fromLatin1(request.host);
    if (request.hostCount > 1)
        return Denial { 400, QStringLiteral("more than one Host header"), QStringLiteral("Host") };
    if (request.hostCount == 0 && !request.http10)
        return Denial { 400, QStringLiteral("an HTTP/1.1 request needs a Host header"),
            QStringLiteral("Host") };
    if (request.hostCount == 1 && !allowsHost(request.host))
        return Denial { 421,
            QStringLiteral("this server does not answer to the host '%1' (start it with "
                           "--allow-host to add a name)")
                .arg(host),
            QStringLiteral("Host") };
    // The absolute form (GET http://host/path) names the host that counts (RFC 9112 §3.2.2).
    QByteArrayView path = request.target;
    if (!path.startsWith('/')) {
        const qsizetype scheme = path.indexOf("://");
        if (scheme < 0)
            return Denial { 400, QStringLiteral("the request target must be a path"),
                QStringLiteral("target") };
        const QByteArrayView rest = path.sliced(scheme + 3);
        const qsizetype slash = rest.indexOf('/');
        const QByteArrayView authority = slash < 0 ? rest : rest.first(slash);
        if (!allowsHost(authority))
            return Denial { 421,
                QStringLiteral("this server does not answer to the host '%1'")
                    .arg(QString::fromLatin1(authority)),
                QStringLiteral("Host") };
        path = slash < 0 ? QByteArrayView("/") : rest.sliced(slash);
    }
    if (const qsizetype query = path.indexOf('?'); query >= 0)
        path = path.first(query);
    if (isPureRead(path))
        return std::nullopt;

    // Work, or the live feed: only from our own pages, tools that send no Origin (curl, wrk), or
    // origins let in with --allow-origin.
    if (request.originCount > 1 || (request.originCount == 1 && !allowsOrigin(request.origin)))
        return Denial { 403,
            QStringLiteral("requests from the origin '%1' may not start work here (start the "
                           "server with --allow-origin to let it)")
                .arg(QString::fromLatin1(request.origin)),
            QStringLiteral("Origin") };
    // A cross-site <img> or no-cors fetch carries no Origin, but browsers send Fetch Metadata.
    // same-site is refused too: another port of localhost is the same site and not us.
    const bool fromOurPage = request.fetchSite.isEmpty() || request.fetchSite == "same-origin"
        || request.fetchSite == "none";
    if (!fromOurPage && !(request.originCount == 1 && allowsOrigin(request.origin)))
        return Denial { 403,
            QStringLiteral("a page of another site may not start work here (Sec-Fetch-Site: %1)")
                .arg(QString::fromLatin1(request.fetchSite)),
            QStringLiteral("Sec-Fetch-Site") };
    return std::nullopt;
}
