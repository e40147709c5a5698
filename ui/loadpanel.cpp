#include "loadpanel.h"

#include "loadgenerator.h"
#include "handover.h"
#include "timelinemodel.h"

#include <QApplication>
#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QClipboard>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace {

QChartView *makeChartView(QChart *chart, const QString &tip)
{
    chart->legend()->setVisible(false);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->setBackgroundRoundness(0);
    auto *view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(220);
    view->setToolTip(tip);
    return view;
}

// Empties a chart for a redraw. removeAllSeries() deletes the series, but removeAxis() only hands
// the axis back to the caller, so each removed axis is deleted here (LeakSanitizer found them).
void clearChart(QChart *chart)
{
    chart->removeAllSeries();
    const QList<QAbstractAxis *> axes = chart->axes();
    for (QAbstractAxis *axis : axes) {
        chart->removeAxis(axis);
        delete axis;
    }
}

enum Column { RouteColumn, TotalColumn, RpsColumn, P50Column, P99Column, ErrorsColumn, WorkerColumn, ColumnCount };

} // namespace

LoadPanel::LoadPanel(const QUrl &serverUrl, const QStringList &routes, std::function<FanOutSpec()> spec,
    TimelineModel *timeline, QWidget *parent)
    : QWidget(parent)
    , m_serverUrl(serverUrl)
    , m_routes(routes)
    , m_spec(std::move(spec))
    , m_timeline(timeline)
{
    m_route = new QComboBox;
    m_route->addItems(routes);
    m_route->setCurrentText(QStringLiteral("/async-worker"));
    m_route->setToolTip(tr("The route to load, with the parameters of the Request tab"));
    m_requests = new QSpinBox;
    m_requests->setRange(1, 1000000);
    m_requests->setValue(100);
    m_requests->setToolTip(tr("How many requests to send in all (-n)"));
    m_concurrency = new QSpinBox;
    m_concurrency->setRange(1, 10000);
    m_concurrency->setValue(100);
    m_concurrency->setToolTip(tr("How many requests to keep in flight at once (-c)"));

    m_start = new QPushButton(tr("Start"));
    m_start->setToolTip(tr("Send the load to the chosen route"));
    m_compare = new QPushButton(tr("Compare strategies"));
    m_compare->setToolTip(tr("Send the same load to every fan-out route in turn, then compare"));
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setToolTip(tr("Stop the load: requests in flight are dropped"));
    m_stop->setEnabled(false);
    connect(m_start, &QPushButton::clicked, this, &LoadPanel::start);
    connect(m_compare, &QPushButton::clicked, this, &LoadPanel::compareStrategies);
    connect(m_stop, &QPushButton::clicked, this, &LoadPanel::stop);

    auto *form = new QFormLayout;
    form->addRow(tr("Route"), m_route);
    form->addRow(tr("Requests (n)"), m_requests);
    form->addRow(tr("Concurrency (c)"), m_concurrency);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_compare);
    buttons->addWidget(m_stop);

    m_progress = new QProgressBar;
    m_progress->setToolTip(tr("Requests answered or failed"));
    m_figures = new QLabel(tr("Uses the parameters of the Request tab."));
    m_figures->setWordWrap(true);
    m_figures->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_histogram = new QChart;
    m_histogram->setTitle(tr("Latency histogram"));
    m_table = new QTableWidget(0, ColumnCount);
    m_table->setHorizontalHeaderLabels({ tr("route"), tr("total s"), tr("req/s"), tr("p50 ms"), tr("p99 ms"), tr("errors"), tr("worker s/req") });
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setMinimumHeight(120);
    m_table->setToolTip(tr("worker s/req: seconds of request-worker thread each request held on average"));
    m_comparisonChart = new QChart;
    m_comparisonChart->setTitle(tr("p50 and p99 by route (ms)"));

    auto *copy = new QPushButton(tr("Copy"));
    copy->setToolTip(tr("Copy the comparison as CSV"));
    connect(copy, &QPushButton::clicked, this, &LoadPanel::copyCsv);
    auto *save = new QPushButton(tr("Save CSV…"));
    save->setToolTip(tr("Save the comparison as a CSV file"));
    connect(save, &QPushButton::clicked, this, &LoadPanel::saveCsv);
    auto *csvButtons = new QHBoxLayout;
    csvButtons->addStretch(1);
    csvButtons->addWidget(copy);
    csvButtons->addWidget(save);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_progress);
    layout->addWidget(m_figures);
    layout->addWidget(makeChartView(m_histogram, tr("How many answers took how long")));
    layout->addWidget(m_table, 1);
    layout->addWidget(makeChartView(m_comparisonChart, tr("p50 (pale) and p99 (strong) latency of each route")));
    layout->addLayout(csvButtons);

    m_progressTimer.setInterval(100);
    connect(&m_progressTimer, &QTimer::timeout, this, [this] {
        if (m_generator)
            m_progress->setValue(m_generator->completed());
    });
    connect(&m_watcher, &QFutureWatcher<LoadReport>::finished, this, &LoadPanel::onFinished);
    followPalette();
}

void LoadPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        followPalette();
}

void LoadPanel::followPalette()
{
    // Charts draw with a theme of their own, white unless told: follow the widgets' palette,
    // light or dark, as the rest of the window does.
    const QPalette &pal = palette();
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    for (QChart *chart : { m_histogram, m_comparisonChart }) {
        chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        chart->setBackgroundBrush(pal.color(QPalette::Base));
        chart->setTitleBrush(pal.color(QPalette::Text));
        for (QAbstractAxis *axis : chart->axes()) {
            axis->setLabelsColor(pal.color(QPalette::Text));
            axis->setTitleBrush(pal.color(QPalette::Text));
        }
    }
    colourSeries(); // a theme recolours the series
}

void LoadPanel::colourSeries()
{
    const QPalette &pal = palette();
    const QColor strong = pal.color(QPalette::Highlight);
    const QColor base = pal.color(QPalette::Base);
    const QColor pale = QColor::fromRgbF((strong.redF() + base.redF()) / 2, (strong.greenF() + base.greenF()) / 2,
        (strong.blueF() + base.blueF()) / 2);
    for (QAbstractSeries *series : m_histogram->series()) {
        if (auto *area = qobject_cast<QAreaSeries *>(series)) {
            area->setColor(pale);
            area->setBorderColor(strong);
        }
    }
    for (QAbstractSeries *series : m_comparisonChart->series()) {
        if (auto *bars = qobject_cast<QBarSeries *>(series)) {
            const QList<QBarSet *> sets = bars->barSets();
            for (int i = 0; i < sets.size(); ++i)
                sets.at(i)->setColor(i == 0 ? pale : strong); // p50, then p99
        }
    }
}

LoadPanel::~LoadPanel()
{
    stop();
    m_watcher.waitForFinished();
}

void LoadPanel::setLoad(const QString &route, int requests, int concurrency)
{
    m_route->setCurrentText(route);
    m_requests->setValue(requests);
    m_concurrency->setValue(concurrency);
}

void LoadPanel::start()
{
    if (isRunning())
        return;
    m_comparing = false;
    m_queue = { m_route->currentText() };
    runNext();
}

void LoadPanel::compareStrategies()
{
    if (isRunning())
        return;
    m_comparing = true;
    m_queue = m_routes;
    m_rows.clear();
    m_table->setRowCount(0);
    m_comparisonChart->removeAllSeries();
    runNext();
}

void LoadPanel::stop()
{
    m_queue.clear();
    if (m_generator)
        m_generator->cancel();
}

void LoadPanel::runNext()
{
    if (m_queue.isEmpty()) {
        setRunning(false);
        if (m_comparing)
            Q_EMIT comparisonFinished();
        return;
    }
    launch(m_queue.takeFirst());
}

void LoadPanel::launch(const QString &route)
{
    QUrl url = m_serverUrl;
    url.setPath(route);
    url.setQuery(m_spec().toQuery());
    LoadConfig config;
    config.url = url;
    config.requests = m_requests->value();
    config.concurrency = m_concurrency->value();
    m_generator = std::make_unique<LoadGenerator>(config);
    m_runningRoute = route;
    m_runStartNs = m_timeline && m_timeline->recorder() ? m_timeline->recorder()->now() : 0;
    m_progress->setRange(0, config.requests);
    m_progress->setValue(0);
    m_progress->setFormat(route + QStringLiteral(": %v/%m"));
    setRunning(true);
    LoadGenerator *generator = m_generator.get();
    // The generator drives its sockets on a thread of its own; the GUI only polls its count.
    m_watcher.setFuture(QtConcurrent::run(handOver([generator] { return generator->run(); })));
}

void LoadPanel::onFinished()
{
    const LoadReport report = m_watcher.result();
    const qint64 endNs = m_timeline && m_timeline->recorder() ? m_timeline->recorder()->now() : 0;
    m_generator.reset();
    m_progress->setValue(m_progress->maximum());
    showReport(m_runningRoute, report);
    if (m_comparing) {
        // The trace of the last answers may still be on its way to the model: pull it now.
        if (m_timeline && m_timeline->recorder())
            m_timeline->applyEvents(m_timeline->recorder()->eventsSince(m_timeline->lastSeq()));
        addComparisonRow({ m_runningRoute, report, workerSecondsPerRequest(m_runningRoute, m_runStartNs, endNs) });
    }
    Q_EMIT runFinished(m_runningRoute, report);
    runNext();
}

void LoadPanel::showReport(const QString &route, const LoadReport &report)
{
    m_figures->setText(tr("<b>%1</b>: %2 answered in %3 s · <b>%4 req/s</b><br>"
                          "p50 %5 ms · p90 %6 ms · p99 %7 ms · max %8 ms<br>%9 errors, %10 of them timeouts · %11 in flight at most")
                           .arg(route)
                           .arg(report.answered())
                           .arg(report.totalS, 0, 'f', 3)
                           .arg(report.rps(), 0, 'f', 1)
                           .arg(report.percentileMs(50), 0, 'f', 1)
                           .arg(report.percentileMs(90), 0, 'f', 1)
                           .arg(report.percentileMs(99), 0, 'f', 1)
                           .arg(report.slowestMs(), 0, 'f', 1)
                           .arg(report.errors())
                           .arg(report.timeouts())
                           .arg(report.maxInFlight));

    // A step outline over a numeric axis, rather than bars: bar charts label each bucket, and
    // there is no room in a side panel for ten latency labels.
    clearChart(m_histogram);
    const QVector<LoadReport::Bucket> buckets = report.histogram(20);
    if (buckets.isEmpty())
        return;
    // QAreaSeries does not own the line it spans: parent it, so that removeAllSeries() deleting
    // the area deletes the line too (LeakSanitizer found it).
    auto *area = new QAreaSeries;
    auto *upper = new QLineSeries(area);
    double lower = report.fastestMs();
    int most = 0;
    upper->append(lower, 0);
    for (const LoadReport::Bucket &bucket : buckets) {
        upper->append(lower, bucket.count);
        upper->append(bucket.upperMs, bucket.count);
        lower = bucket.upperMs;
        most = std::max(most, bucket.count);
    }
    upper->append(lower, 0);
    area->setUpperSeries(upper); // coloured from the palette by followPalette()
    m_histogram->addSeries(area);
    auto *x = new QValueAxis;
    x->setTitleText(tr("latency, ms"));
    x->setRange(report.fastestMs(), std::max(report.slowestMs(), report.fastestMs() + 1));
    x->setLabelFormat(QStringLiteral("%.0f"));
    x->setTickCount(5);
    auto *y = new QValueAxis;
    y->setRange(0, std::max(1, most));
    y->setLabelFormat(QStringLiteral("%d"));
    y->applyNiceNumbers();
    m_histogram->addAxis(x, Qt::AlignBottom);
    m_histogram->addAxis(y, Qt::AlignLeft);
    area->attachAxis(x);
    area->attachAxis(y);
    followPalette();
}

double LoadPanel::workerSecondsPerRequest(const QString &route, qint64 fromNs, qint64 toNs) const
{
    if (!m_timeline)
        return 0;
    // The worker-thread time a request held: its span if it ran on a worker lane, else none.
    double heldNs = 0;
    int count = 0;
    for (quint64 id : m_timeline->requestIds()) {
        const auto request = m_timeline->request(id);
        if (!request || request->route != route || request->request.startNs < fromNs || request->request.startNs > toNs)
            continue;
        ++count;
        for (int row = 0; row < m_timeline->rowCount(); ++row) {
            const TimelineLane &lane = m_timeline->lane(row);
            if (lane.thread.kind != ThreadKind::Worker)
                continue;
            for (const TimelineSpan &span : lane.spans) {
                if (span.type == TimelineSpan::Type::Request && span.requestId == id && !span.isOpen())
                    heldNs += double(span.endNs - span.startNs);
            }
        }
    }
    return count > 0 ? heldNs / 1e9 / count : 0;
}

void LoadPanel::addComparisonRow(const Row &row)
{
    m_rows.append(row);
    const int r = m_table->rowCount();
    m_table->insertRow(r);
    auto set = [this, r](int column, const QString &text) {
        auto *item = new QTableWidgetItem(text);
        if (column != RouteColumn)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(r, column, item);
    };
    set(RouteColumn, row.route);
    set(TotalColumn, QString::number(row.report.totalS, 'f', 3));
    set(RpsColumn, QString::number(row.report.rps(), 'f', 1));
    set(P50Column, QString::number(row.report.percentileMs(50), 'f', 1));
    set(P99Column, QString::number(row.report.percentileMs(99), 'f', 1));
    set(ErrorsColumn, QString::number(row.report.errors()));
    set(WorkerColumn, QString::number(row.workerSecondsPerRequest, 'f', 3));

    // Redraw the comparison chart from all rows so far.
    clearChart(m_comparisonChart);
    auto *p50 = new QBarSet(QStringLiteral("p50"));
    auto *p99 = new QBarSet(QStringLiteral("p99"));
    QStringList labels;
    double most = 1;
    for (const Row &each : std::as_const(m_rows)) {
        *p50 << each.report.percentileMs(50);
        *p99 << each.report.percentileMs(99);
        most = std::max(most, each.report.percentileMs(99));
        labels << QString(each.route).remove(0, 1).replace(QStringLiteral("async-"), QStringLiteral("a-"));
    }
    auto *series = new QBarSeries;
    series->append(p50);
    series->append(p99);
    m_comparisonChart->addSeries(series);
    auto *x = new QBarCategoryAxis;
    x->append(labels);
    x->setLabelsAngle(-45);
    auto *y = new QValueAxis;
    y->setRange(0, most * 1.05);
    y->setLabelFormat(QStringLiteral("%.0f"));
    y->applyNiceNumbers();
    m_comparisonChart->addAxis(x, Qt::AlignBottom);
    m_comparisonChart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    followPalette();
}

QString LoadPanel::comparisonCsv() const
{
    QString csv = QStringLiteral("route,requests,concurrency,total_s,rps,p50_ms,p90_ms,p99_ms,max_ms,errors,worker_s_per_request\n");
    for (const Row &row : m_rows) {
        const LoadReport &r = row.report;
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11\n")
                   .arg(row.route)
                   .arg(r.requests)
                   .arg(r.concurrency)
                   .arg(r.totalS, 0, 'f', 4)
                   .arg(r.rps(), 0, 'f', 2)
                   .arg(r.percentileMs(50), 0, 'f', 3)
                   .arg(r.percentileMs(90), 0, 'f', 3)
                   .arg(r.percentileMs(99), 0, 'f', 3)
                   .arg(r.slowestMs(), 0, 'f', 3)
                   .arg(r.errors())
                   .arg(row.workerSecondsPerRequest, 0, 'f', 4);
    }
    return csv;
}

void LoadPanel::copyCsv()
{
    QApplication::clipboard()->setText(comparisonCsv());
}

void LoadPanel::saveCsv()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Save comparison"), QStringLiteral("fanscope-comparison.csv"), tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Text) || out.write(comparisonCsv().toUtf8()) < 0 || !out.commit())
        QMessageBox::warning(this, tr("Save comparison"), tr("Could not write %1: %2").arg(file, out.errorString()));
}

void LoadPanel::setRunning(bool running)
{
    m_start->setEnabled(!running);
    m_compare->setEnabled(!running);
    m_stop->setEnabled(running);
    if (running)
        m_progressTimer.start();
    else
        m_progressTimer.stop();
}
