#pragma once

// Turns SIGINT and SIGTERM into a Qt signal on the main thread, so that a headless fanscope
// stops as cleanly as a closed window does. Only the first: a second one ends the process at
// once.
//
// The signals are blocked in every thread and read from a signalfd: no handler runs, so nothing
// depends on which thread the kernel picks or on when ThreadSanitizer chooses to run a handler
// it has deferred (a server under TSan twice did not stop in 5 s, its main thread idle in
// poll(), a SIGTERM sent to it never handled).
#include <QObject>

class QSocketNotifier;

class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    // Blocks SIGINT and SIGTERM in this thread and in every thread started from it from now on;
    // a SignalWatcher made later reads them (one that arrives meanwhile waits for it). Call
    // first thing on the main thread, before any other thread starts.
    static void blockStopSignals();

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    void takeSignal();

    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
};
