#pragma once

// Who may talk to the server: which names it answers to (Host), and which pages may make it start
// work (Origin, Sec-Fetch-Site). Checked on each request's head before Qt reads the request.
//
// A server on 127.0.0.1 is not private: any web page the user opens can send it requests. A page
// elsewhere must not start fan-outs or follow the live feed (Origin, Fetch Metadata), and a DNS
// name an attacker rebinds to 127.0.0.1 must not make the page "same origin" with us (Host,
// RFC 9110 §7.2: 421 for a name we do not serve).
#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

class AccessPolicy
{
public:
    // What the head of one request says, as far as access goes.
    struct Request
    {
        bool http10 = false;
        QByteArray target; // as in the request line
        int hostCount = 0;
        QByteArray host; // the first Host value
        int originCount = 0;
        QByteArray origin; // the first Origin value
        QByteArray fetchSite; // Sec-Fetch-Site, lower case; empty when absent
    };
    struct Denial
    {
        int status = 403;
        QString message;
        QString param; // the header at fault
    };

    // Serves `bound` (unless it is a wildcard), localhost, 127.0.0.1 and [::1] on `port`, and the
    // extra names (NAME or NAME:PORT) and origins (scheme://host[:port]) given.
    AccessPolicy(const QHostAddress &bound, quint16 port, const QStringList &allowedHosts = {},
        const QStringList &allowedOrigins = {});

    std::optional<Denial> check(const Request &request) const;

    bool allowsHost(QByteArrayView host) const;
    bool allowsOrigin(QByteArrayView origin) const;
    // Whether a path only reads cheaply (the page, health, info, events, metrics): anything else,
    // known route or not, is treated as starting work and must come from our own pages.
    static bool isPureRead(QByteArrayView path);
    // An origin as --allow-origin takes it, normalised (lower case, no trailing slash); none if it
    // is not scheme://host[:port].
    static std::optional<QString> normalisedOrigin(const QString &text);
    // Whether --allow-host can take this: NAME, NAME:PORT, [V6] or [V6]:PORT.
    static bool isValidHost(const QString &text)
    {
        return parseAuthority(text.toLatin1()).has_value();
    }

private:
    struct Authority
    {
        QByteArray name; // lower case; IPv6 in brackets
        std::optional<int> port;
    };
    static std::optional<Authority> parseAuthority(QByteArrayView text);
    // `portless` is what an absent port means: any port (Host) or a scheme's default (Origin).
    bool allowsAuthority(const Authority &authority, std::optional<int> portless) const;

    std::vector<QByteArray> m_ownNames; // served on m_port
    std::vector<Authority> m_extraHosts; // --allow-host: any port unless one is given
    QStringList m_extraOrigins; // --allow-origin, normalised
    int m_port;
};
