#pragma once

// A real HTTP call: GET {upstream}/upstream/balance/account-N?latency_ms=...&seed=... through the
// thread's UpstreamClient, where it may first wait for a free connection: that wait is part of
// the task. The upstream's answer is the result (a 500 is a failure). Deleting the task cancels
// the call: a queued one leaves the queue, one in flight closes its connection.
#include "task.h"
#include "upstreamclient.h"

class HttpTask : public Task
{
    Q_OBJECT
public:
    HttpTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent = nullptr);
    ~HttpTask() override;
    void start() override;

    QUrl url() const;

private:
    void onAnswer(const UpstreamClient::Answer &answer);

    UpstreamClient *m_client = nullptr;
    UpstreamClient::Id m_call = 0;
};
