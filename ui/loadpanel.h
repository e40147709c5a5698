#pragma once

// The window's load lab: N requests, C at a time, to one route with the request panel's
// parameters, over real sockets (the same LoadGenerator as `fanscope load`), while the timeline
// fills live. Shows requests/s, percentiles and a latency histogram; "Compare strategies" runs
// the same load on every fan-out route in turn and tabulates total time, p50/p99 and the worker
// thread time each request held. Results can be copied or saved as CSV.
#include "fanoutspec.h"
#include "loadreport.h"

#include <QFutureWatcher>
#include <QTimer>
#include <QUrl>
#include <QWidget>

#include <functional>
#include <memory>

class LoadGenerator;
class QChart;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class TimelineModel;

class LoadPanel : public QWidget
{
    Q_OBJECT
public:
    // spec: the parameters to load with, asked for at each start (the request panel's).
    LoadPanel(const QUrl &serverUrl, const QStringList &routes, std::function<FanOutSpec()> spec,
        TimelineModel *timeline, QWidget *parent = nullptr);
    ~LoadPanel() override;

    struct Row { // one line of the comparison
        QString route;
        LoadReport report;
        double workerSecondsPerRequest = 0;
    };
    const QVector<Row> &comparison() const { return m_rows; }
    bool isRunning() const { return m_generator != nullptr; }
    void setLoad(const QString &route, int requests, int concurrency);
    QString comparisonCsv() const;

public Q_SLOTS:
    void start(); // the chosen route
    void compareStrategies(); // every route in turn
    void stop();

Q_SIGNALS:
    void runFinished(const QString &route, const LoadReport &report);
    void comparisonFinished();

protected:
    void changeEvent(QEvent *event) override;

private:
    void followPalette();
    void colourSeries();
    void runNext();
    void launch(const QString &route);
    void onFinished();
    void showReport(const QString &route, const LoadReport &report);
    void addComparisonRow(const Row &row);
    double workerSecondsPerRequest(const QString &route, qint64 fromNs, qint64 toNs) const;
    void setRunning(bool running);
    void copyCsv();
    void saveCsv();

    QUrl m_serverUrl;
    QStringList m_routes;
    std::function<FanOutSpec()> m_spec;
    TimelineModel *m_timeline;

    QComboBox *m_route = nullptr;
    QSpinBox *m_requests = nullptr;
    QSpinBox *m_concurrency = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_compare = nullptr;
    QPushButton *m_stop = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_figures = nullptr;
    QChart *m_histogram = nullptr;
    QTableWidget *m_table = nullptr;
    QChart *m_comparisonChart = nullptr;

    std::unique_ptr<LoadGenerator> m_generator;
    QFutureWatcher<LoadReport> m_watcher;
    QTimer m_progressTimer;
    QString m_runningRoute;
    qint64 m_runStartNs = 0;
    QStringList m_queue; // routes still to run in a comparison
    QVector<Row> m_rows;
    bool m_comparing = false;
};
