#pragma once

// Fanscope's window: the request panel on the left, the live timeline on the right.
#include "serverload.h"
#include "traceexport.h"

#include <QFuture>
#include <QHash>
#include <QJsonObject>
#include <QMainWindow>
#include <QUrl>

#include <functional>

class LoadPanel;
class QMenu;
class QSplitter;
class RequestPanel;
class SelectionDetails;
class ServerLoadLabel;
class QTabWidget;
class TimelineModel;
class TimelineView;
class TraceRecorder;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // routes: the fan-out routes to offer; serverSummary: shown in the status bar.
    MainWindow(TraceRecorder &recorder, const QUrl &serverUrl, const QStringList &routes,
        const QString &serverSummary, QWidget *parent = nullptr);
    ~MainWindow() override; // waits for an export in progress: it reads the recorder

    // File > Export: writes the recorded timeline to `path` off the GUI thread, then says in the
    // status bar how it went. The future gives the spans written, or -1.
    QFuture<int> exportTrace(const QString &path, TraceExport::Format format);
    // File > Save screenshot: the window as it is drawn now, at the screen's device pixel ratio.
    bool saveScreenshot(const QString &path);

    // Where the status bar reads busy workers and queue depth (any thread may serve the call,
    // it must not block); without one it shows requests/s only.
    void setServerLoadProvider(std::function<ServerLoad()> provider);

    // The request parameters, the window's geometry, its splitter and side tab, kept across runs
    // in QSettings. main() calls them rather than the constructor and the destructor, so that
    // a scripted run (--screenshot) draws a window of known size and leaves nothing behind.
    void restoreSettings();
    void saveSettings() const;

    // Shows, in the status bar, that the server can be reached from other machines.
    void showExposureWarning(const QString &warning);

    RequestPanel *requestPanel() const { return m_requestPanel; }
    LoadPanel *loadPanel() const { return m_loadPanel; }
    QTabWidget *sideTabs() const { return m_sideTabs; }
    TimelineModel *timelineModel() const { return m_model; }
    TimelineView *timelineView() const { return m_view; }
    SelectionDetails *selectionDetails() const { return m_details; }
    ServerLoadLabel *serverLoadLabel() const { return m_serverLoad; }

private:
    QWidget *createTimelinePane();
    void createMenus();
    void askAndExport(TraceExport::Format format);
    void rememberAnswer(const QJsonObject &body);
    void showSelectedRequest(quint64 requestId);
    void showAbout();
    void addScreenshotAction(QMenu *file);
    void askAndSaveScreenshot();
    void exportFinished(const QString &path, int spans, const QString &error); // on the GUI thread
    void addPanActions(QMenu *view);
    void addLiveStatus();
    void createEditMenu();
    QSplitter *splitter() const;
    void copyServerUrl();

    TraceRecorder &m_recorder;
    QUrl m_serverUrl;
    QFuture<int> m_export;
    // The answers this window's client received, by request id, so that selecting one of its
    // requests on the timeline shows the real answer. The newest few hundred only.
    QHash<quint64, QJsonObject> m_answers;
    QVector<quint64> m_answerOrder;
    SelectionDetails *m_details = nullptr;
    TimelineModel *m_model;
    TimelineView *m_view = nullptr;
    RequestPanel *m_requestPanel = nullptr;
    LoadPanel *m_loadPanel = nullptr;
    QTabWidget *m_sideTabs = nullptr;
    ServerLoadLabel *m_serverLoad = nullptr;
};
