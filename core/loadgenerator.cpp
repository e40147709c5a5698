#include "loadgenerator.h"

#include <QElapsedTimer>

#include <curl/curl.h>

#include <algorithm>

#include <memory>
#include <mutex>
#include <vector>

namespace {

void initCurlOnce()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One request in flight: an easy handle, reused for the next request when this one is done so
// that its connection is reused too.
struct Slot {
    CURL *easy = nullptr;
    QByteArray body;
    qint64 startNs = 0;
    bool busy = false;
};

size_t appendBody(char *data, size_t size, size_t count, void *userData)
{
    static_cast<Slot *>(userData)->body.append(data, qsizetype(size * count));
    return size * count;
}

} // namespace

LoadGenerator::LoadGenerator(const LoadConfig &config)
    : m_config(config)
{
    if (m_config.concurrency <= 0 || m_config.concurrency > m_config.requests)
        m_config.concurrency = std::max(1, m_config.requests);
}

QString LoadGenerator::checkUrl(const QUrl &url)
{
    if (!url.isValid())
        return QStringLiteral("'%1' is not a valid URL").arg(url.toString());
    if (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        return QStringLiteral("'%1' is not an http:// or https:// URL").arg(url.toString());
    if (url.host().isEmpty())
        return QStringLiteral("'%1' has no host").arg(url.toString());
    return {};
}

LoadReport LoadGenerator::run(const std::function<void(int, const QByteArray &)> &onBody,
    const std::function<void(int)> &onProgress)
{
    initCurlOnce();
    LoadReport report;
    report.url = m_config.url.toString();
    report.requests = m_config.requests;
    report.concurrency = m_config.concurrency;
    report.latenciesMs.reserve(m_config.requests);
    report.connectMs.reserve(m_config.requests);

    const QByteArray url = m_config.url.toEncoded();
    std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), &curl_multi_cleanup);
    // Never more connections than requests in flight, and keep them all for reuse.
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, long(m_config.concurrency));
    curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, long(m_config.concurrency));

    std::vector<Slot> slots(size_t(m_config.concurrency));
    for (Slot &slot : slots) {
        slot.easy = curl_easy_init();
        curl_easy_setopt(slot.easy, CURLOPT_URL, url.constData());
        curl_easy_setopt(slot.easy, CURLOPT_WRITEFUNCTION, appendBody);
        curl_easy_setopt(slot.easy, CURLOPT_WRITEDATA, &slot);
        curl_easy_setopt(slot.easy, CURLOPT_PRIVATE, &slot);
        curl_easy_setopt(slot.easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(slot.easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(slot.easy, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_1_1));
        curl_easy_setopt(slot.easy, CURLOPT_USERAGENT, "fanscope-load/" FANSCOPE_VERSION);
        curl_easy_setopt(slot.easy, CURLOPT_PROXY, ""); // a local server is never behind a proxy
        if (m_config.timeoutMs > 0)
            curl_easy_setopt(slot.easy, CURLOPT_TIMEOUT_MS, long(m_config.timeoutMs));
    }

    QElapsedTimer clock;
    clock.start();
    int launched = 0;
    int inFlight = 0;
    auto launch = [&](Slot &slot) {
        slot.body.clear();
        slot.busy = true;
        slot.startNs = clock.nsecsElapsed();
        curl_multi_add_handle(multi.get(), slot.easy);
        ++launched;
        report.maxInFlight = std::max(report.maxInFlight, ++inFlight);
    };
    for (Slot &slot : slots)
        launch(slot);

    int done = 0;
    qint64 lastProgressNs = 0;
    while (done < m_config.requests && !m_cancelled.load(std::memory_order_relaxed)) {
        int running = 0;
        curl_multi_perform(multi.get(), &running);
        int queued = 0;
        while (CURLMsg *message = curl_multi_info_read(multi.get(), &queued)) {
            if (message->msg != CURLMSG_DONE)
                continue;
            Slot *slot = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &slot);
            const double latencyMs = double(clock.nsecsElapsed() - slot->startNs) / 1e6;
            const CURLcode result = message->data.result;
            curl_multi_remove_handle(multi.get(), slot->easy);
            slot->busy = false;
            --inFlight;
            long status = 0;
            if (result == CURLE_OK)
                curl_easy_getinfo(slot->easy, CURLINFO_RESPONSE_CODE, &status);
            if (result == CURLE_OK && status > 0) {
                curl_off_t connectUs = 0; // from curl's start of the transfer; 0 when reused
                curl_easy_getinfo(slot->easy, CURLINFO_CONNECT_TIME_T, &connectUs);
                report.latenciesMs.append(latencyMs);
                report.connectMs.append(std::min(latencyMs, double(connectUs) / 1000.0));
                report.statusCounts[int(status)]++;
                if (onBody)
                    onBody(int(status), slot->body);
            } else {
                report.errorCounts[QString::fromUtf8(curl_easy_strerror(result))]++;
            }
            m_completed.store(++done, std::memory_order_relaxed);
            if (launched < m_config.requests)
                launch(*slot);
        }
        if (onProgress && clock.nsecsElapsed() - lastProgressNs > 100000000) {
            lastProgressNs = clock.nsecsElapsed();
            onProgress(done);
        }
        if (done < m_config.requests)
            curl_multi_poll(multi.get(), nullptr, 0, 50, nullptr);
    }
    report.totalS = double(clock.nsecsElapsed()) / 1e9;
    if (onProgress)
        onProgress(done);

    for (Slot &slot : slots) {
        if (slot.busy)
            curl_multi_remove_handle(multi.get(), slot.easy);
        curl_easy_cleanup(slot.easy);
    }
    return report;
}
