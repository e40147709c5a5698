#pragma once

// The calling thread's HTTP client for kind=http tasks (QNetworkAccessManager is thread-affine).
//
// One QNetworkAccessManager opens at most six connections to a host and queues the rest, and Qt
// 6.4 has no setting for that (QHttp1Configuration arrives in 6.5). A fan-out of 10 must make 10
// calls at once, so this client keeps as many managers as it needs and gives each call one with
// fewer than six calls in flight: no call ever waits for a connection.
#include <QNetworkAccessManager>
#include <QObject>

#include <vector>

class QNetworkReply;
class QNetworkRequest;

class UpstreamClient : public QObject
{
    Q_OBJECT
public:
    static constexpr int CallsPerManager = 6; // Qt's fixed connections per host and manager

    // The client of the calling thread, made on first use and deleted when the thread ends.
    static UpstreamClient *forCurrentThread();

    // Starts a GET; the reply belongs to the caller (delete it, or abort() it to cancel).
    QNetworkReply *get(const QNetworkRequest &request);
    int managerCount() const { return int(m_managers.size()); }

private:
    UpstreamClient() = default;

    struct Manager {
        QNetworkAccessManager *manager;
        int inFlight = 0;
    };
    std::vector<Manager> m_managers;
};
