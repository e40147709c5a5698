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

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};
