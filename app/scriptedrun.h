#pragma once

// --run PATH [--screenshot FILE]: fires one request from the window as its buttons do, waits
// until the answer is in and its spans are on the timeline, fits the timeline to it, and then
// saves the window as a PNG and quits (exit 0), or stays open without --screenshot.
#include "fanoutspec.h"

#include <QObject>
#include <QPointer>

class MainWindow;

class ScriptedRun : public QObject
{
    Q_OBJECT
public:
    ScriptedRun(MainWindow *window, const QString &route, const FanOutSpec &spec, const QString &screenshotFile);
    void start();

Q_SIGNALS:
    // Exit code for the application when it should end (only with a screenshot, or on failure).
    void finished(int exitCode);

private:
    void onAnswered(const QString &route, int httpStatus, const QJsonObject &body);
    void captureWhenDrawn();

    QPointer<MainWindow> m_window;
    QString m_route;
    FanOutSpec m_spec;
    QString m_screenshotFile;
    quint64 m_requestId = 0;
};
