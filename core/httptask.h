#pragma once

// A real HTTP call: GET {upstream}/upstream/balance/account-N?latency_ms=...&seed=... through the
// thread's UpstreamClient. The upstream's answer is the result (a 500 is a failure). Deleting
// the task aborts the call, which closes its connection.
#include "task.h"

#include <QPointer>

class QNetworkReply;

class HttpTask : public Task
{
    Q_OBJECT
public:
    HttpTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent = nullptr);
    ~HttpTask() override;
    void start() override;

    QUrl url() const;

private:
    void onFinished();

    QNetworkReply *m_reply = nullptr;
};
