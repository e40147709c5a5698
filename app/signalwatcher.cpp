#include "signalwatcher.h"

#include <QSocketNotifier>

#include <csignal>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {

sigset_t stopSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

} // namespace

SignalWatcher::SignalWatcher(QObject *parent)
    : QObject(parent)
{
    const sigset_t set = stopSignals();
    m_fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m_fd < 0)
        return;
    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SignalWatcher::takeSignal);
}

void SignalWatcher::blockStopSignals()
{
    const sigset_t set = stopSignals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void SignalWatcher::takeSignal()
{
    signalfd_siginfo info = {};
    if (::read(m_fd, &info, sizeof info) != ssize_t(sizeof info))
        return;
    // Once is a request to stop cleanly; should stopping ever hang, a second Ctrl+C or SIGTERM
    // ends the process the default way: no longer read here, it reaches this thread unblocked.
    m_notifier->setEnabled(false);
    const sigset_t set = stopSignals();
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    Q_EMIT terminationRequested(int(info.ssi_signo));
}

SignalWatcher::~SignalWatcher()
{
    delete m_notifier;
    if (m_fd >= 0)
        ::close(m_fd);
}
