#include "upstreamclient.h"

#include <QNetworkProxy>
#include <QNetworkReply>
#include <QThreadStorage>

namespace {

QThreadStorage<UpstreamClient *> s_clients;

} // namespace

UpstreamClient *UpstreamClient::forCurrentThread()
{
    if (!s_clients.hasLocalData())
        s_clients.setLocalData(new UpstreamClient);
    return s_clients.localData();
}

QNetworkReply *UpstreamClient::get(const QNetworkRequest &request)
{
    auto it = std::find_if(m_managers.begin(), m_managers.end(),
        [](const Manager &m) { return m.inFlight < CallsPerManager; });
    if (it == m_managers.end()) {
        auto *manager = new QNetworkAccessManager(this);
        // Calls to a local upstream must not go through a system proxy.
        manager->setProxy(QNetworkProxy::NoProxy);
        m_managers.push_back({ manager, 0 });
        it = m_managers.end() - 1;
    }
    ++it->inFlight;
    QNetworkAccessManager *manager = it->manager;
    QNetworkReply *reply = manager->get(request);
    // finished() comes for aborted calls too; destroyed() covers replies deleted unfinished.
    auto release = [this, manager, done = std::make_shared<bool>(false)] {
        if (*done)
            return;
        *done = true;
        for (Manager &m : m_managers) {
            if (m.manager == manager)
                --m.inFlight;
        }
    };
    connect(reply, &QNetworkReply::finished, this, release);
    connect(reply, &QObject::destroyed, this, release);
    return reply;
}
