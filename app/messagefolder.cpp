#include "messagefolder.h"

#include <QMutexLocker>

#include <algorithm>

namespace {

MessageFolder *s_installed = nullptr;

} // namespace

MessageFolder::MessageFolder(int windowMs, Sink sink)
    : m_windowMs(windowMs)
    , m_sink(std::move(sink))
{
    m_clock.start();
}

MessageFolder::~MessageFolder()
{
    flush();
    if (m_installed) {
        qInstallMessageHandler(m_previous);
        s_installed = nullptr;
    }
}

void MessageFolder::install()
{
    s_installed = this;
    m_previous = qInstallMessageHandler(&MessageFolder::handle);
    m_installed = true;
}

void MessageFolder::handle(QtMsgType type, const QMessageLogContext &context, const QString &text)
{
    if (s_installed)
        s_installed->take(type, context, text);
}

void MessageFolder::take(QtMsgType type, const QMessageLogContext &context, const QString &text)
{
    // Fatal messages end the process: never held back.
    if (type == QtFatalMsg)
        return forward(type, context, text);
    QMutexLocker locker(&m_mutex);
    const qint64 now = m_clock.elapsed();
    // Windows that have ended are reported as the next message comes, whatever its text.
    for (auto it = m_windows.begin(); it != m_windows.end();) {
        if (now - it->startMs < m_windowMs) {
            ++it;
            continue;
        }
        report(it.key(), *it);
        it = m_windows.erase(it);
    }
    if (auto it = m_windows.find(text); it != m_windows.end()) {
        ++it->folded;
        return;
    }
    if (m_windows.size() >= MaxTexts) {
        const auto oldest = std::min_element(m_windows.begin(), m_windows.end(),
            [](const Window &a, const Window &b) { return a.order < b.order; });
        report(oldest.key(), *oldest);
        m_windows.erase(oldest);
    }
    m_windows.insert(text, { now, ++m_started, 0, type });
    forward(type, context, text);
}

void MessageFolder::flush()
{
    QMutexLocker locker(&m_mutex);
    for (auto it = m_windows.cbegin(); it != m_windows.cend(); ++it)
        report(it.key(), *it);
    m_windows.clear();
}

void MessageFolder::report(const QString &text, const Window &window)
{
    if (window.folded == 0)
        return;
    forward(window.type, QMessageLogContext(),
        QStringLiteral("%1 (repeated %2 more times in %3 s)")
            .arg(text)
            .arg(window.folded)
            .arg(double(m_windowMs) / 1000));
}

void MessageFolder::forward(QtMsgType type, const QMessageLogContext &context, const QString &text)
{
    if (m_sink)
        m_sink(type, context, text);
    else if (m_previous)
        m_previous(type, context, text);
}
