#pragma once

// Turns SIGINT and SIGTERM into a Qt signal on the main thread, through a self-pipe, so that a
// headless fanscope stops as cleanly as a closed window does. Only the first: a second one
// ends the process at once.
#include <QObject>

class QSocketNotifier;

class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    // Blocks SIGINT and SIGTERM in this thread and in every thread started from it from now on;
    // a SignalWatcher made later on this thread takes them here (one that arrives meanwhile
    // waits for it). Call first thing on the main thread. Otherwise the kernel may hand the
    // signal to any thread, and ThreadSanitizer holds a signal for a thread blocked in a call
    // it does not intercept (epoll_pwait2) until that thread makes one it does: a server under
    // TSan once did not stop in 5 s, its main thread idle, the signal never handled.
    static void keepForMainThread();

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};
