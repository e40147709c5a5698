#pragma once

// Fanscope's window: the request panel on the left, the live timeline on the right.
#include <QMainWindow>
#include <QUrl>

class LoadPanel;
class RequestPanel;
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

    // Shows, in the status bar, that the server can be reached from other machines.
    void showExposureWarning(const QString &warning);

    RequestPanel *requestPanel() const { return m_requestPanel; }
    LoadPanel *loadPanel() const { return m_loadPanel; }
    QTabWidget *sideTabs() const { return m_sideTabs; }
    TimelineModel *timelineModel() const { return m_model; }
    TimelineView *timelineView() const { return m_view; }

private:
    QWidget *createTimelinePane();
    void createMenus();
    void showAbout();

    QUrl m_serverUrl;
    TimelineModel *m_model;
    TimelineView *m_view = nullptr;
    RequestPanel *m_requestPanel = nullptr;
    LoadPanel *m_loadPanel = nullptr;
    QTabWidget *m_sideTabs = nullptr;
};
