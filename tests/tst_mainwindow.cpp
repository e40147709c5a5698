// The window as a user drives it: press a route button, wait for the answer, and find the
// request and its tasks in the timeline model with the right statuses and lanes; requests from
// other clients show up the same way; the timeline paints what the model holds.
#include "fanoutstrategy.h"
#include "loadpanel.h"
#include "mainwindow.h"
#include "requestpanel.h"
#include "selectiondetails.h"
#include "serverhost.h"
#include "servermetrics.h"
#include "task.h"
#include "timelinelegend.h"
#include "serverloadlabel.h"
#include "timelinemodel.h"
#include "timelinestyle.h"
#include "timelineview.h"
#include "timelinezoom.h"
#include "testserver.h"
#include "tracerecorder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSpinBox>
#include <QClipboard>
#include <QComboBox>
#include <QMenuBar>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTabBar>
#include <QTemporaryDir>
#include <QNetworkReply>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QToolButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTcpSocket>
#include <QtTest>

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void pressingARouteButtonShowsTheRequest_data();
    void pressingARouteButtonShowsTheRequest();
    void timedOutTasksShowAsTimedOut();
    void requestsFromOtherClientsAppearToo();
    void timelinePaintsTheSpans();
    void abandonedRequestIsDrawnApart();
    void legendWrapsWhenNarrow();
    void controlsMakeTheQuery();
    void loadPanelRunsALoad();
    void loadPanelComparesStrategies();
    void fileMenuExportsTheTrace_data();
    void fileMenuExportsTheTrace();
    void selectingShowsTheAnswerOrTheRange();
    void exposureWarningShowsInTheStatusBar();
    void menusShowEveryShortcut_data();
    void menusShowEveryShortcut();
    void saveScreenshotWritesTheWindow();
    void arrowKeysPanTheTimelineWhenItHasTheFocus();
    void statusBarShowsBusyWorkersLive();
    void statusBarShowsRequestsPerSecond();
    void statusBarSaysWhenTheBudgetBites();
    void statusBarCopiesTheServerUrl();
    void copyAsCurlGivesTheLastRouteSent_data();
    void copyAsCurlGivesTheLastRouteSent();
    void copyAsCurlBeforeAnyRequestAndPerButton();
    void settingsRoundTripThroughASecondWindow();
    void unreadableSettingsKeepTheDefaults();
    void everyControlHasATooltip();
    void followsADarkPalette();
    void closingTheWindowStopsAtOnce(); // last: it closes the window for good

private:
    QAction *menuAction(const QString &menu, const QString &text) const;
    quint64 press(const QString &route, int tasks, int latencyMs, int timeoutMs);

    std::unique_ptr<MainWindow> makeWindow() const;

    QTemporaryDir m_settingsDir; // the tests' settings, never the user's
    std::unique_ptr<TraceRecorder> m_recorder;
    std::unique_ptr<ServerHost> m_server;
    std::unique_ptr<MainWindow> m_window;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("FanscopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    m_recorder = std::make_unique<TraceRecorder>();
    ServerOptions options;
    options.workers = 3;
    m_server = startTestServer(*m_recorder, options);
    QVERIFY(m_server);
    QStringList routes;
    for (FanOutStrategy *strategy : m_server->strategies())
        routes.append(strategy->route());
    m_window = std::make_unique<MainWindow>(*m_recorder, m_server->url(), routes, QStringLiteral("3 workers"));
    m_window->setServerLoadProvider([server = m_server.get()] { return server->load(); });
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestMainWindow::cleanupTestCase()
{
    m_window.reset();
    m_server.reset();
}

quint64 TestMainWindow::press(const QString &route, int tasks, int latencyMs, int timeoutMs)
{
    RequestPanel *panel = m_window->requestPanel();
    FanOutSpec spec;
    spec.tasks = tasks;
    spec.latencyMs = latencyMs;
    spec.timeoutMs = timeoutMs;
    panel->setSpec(spec);
    QPushButton *button = panel->button(route);
    if (!button)
        return 0;
    QSignalSpy answered(panel, &RequestPanel::responseReceived);
    QTest::mouseClick(button, Qt::LeftButton);
    if (!answered.wait(10000))
        return 0;
    const QList<QVariant> args = answered.constFirst();
    if (args.at(0).toString() != route || args.at(1).toInt() != 200)
        return 0;
    return quint64(args.at(2).toJsonObject().value(QStringLiteral("request_id")).toInteger());
}

void TestMainWindow::pressingARouteButtonShowsTheRequest_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<int>("requestLaneKind");
    QTest::addColumn<int>("taskLaneKind");
    QTest::addColumn<int>("taskCount");
    const int worker = int(ThreadKind::Worker);
    QTest::addRow("sequential") << QStringLiteral("/sequential") << worker << worker << 3;
    QTest::addRow("async-scoped") << QStringLiteral("/async-scoped") << worker << worker << 3;
    QTest::addRow("async-worker") << QStringLiteral("/async-worker") << worker << int(ThreadKind::Loop) << 3;
    QTest::addRow("async-worker-simple") << QStringLiteral("/async-worker-simple") << worker << int(ThreadKind::Loop) << 3;
    QTest::addRow("await-one") << QStringLiteral("/await-one") << worker << int(ThreadKind::Loop) << 1;
    QTest::addRow("thread-pool") << QStringLiteral("/thread-pool") << worker << int(ThreadKind::Pool) << 3;
    QTest::addRow("async-continuation") << QStringLiteral("/async-continuation") << int(ThreadKind::NoThread) << int(ThreadKind::Loop) << 3;
}

void TestMainWindow::pressingARouteButtonShowsTheRequest()
{
    QFETCH(QString, route);
    QFETCH(int, requestLaneKind);
    QFETCH(int, taskLaneKind);
    QFETCH(int, taskCount);
    const quint64 id = press(route, 3, 50, 2000);
    QVERIFY(id > 0);
    TimelineModel *model = m_window->timelineModel();
    // The answer may overtake the trace's publication by a moment.
    QTRY_VERIFY_WITH_TIMEOUT(model->request(id) && !model->request(id)->request.isOpen(), 2000);
    const TimelineModel::RequestView view = *model->request(id);
    QCOMPARE(view.route, route);
    QCOMPARE(view.tasks.size(), taskCount);
    for (const TimelineSpan &task : view.tasks) {
        QCOMPARE(task.status, TaskStatus::Ok);
        QVERIFY(task.endNs - task.startNs >= 50 * 1000000);
    }
    // The request sits on a worker lane, its tasks on the lane of the thread that ran them.
    auto kindOfLaneHolding = [model](quint64 requestId, TimelineSpan::Type type) {
        for (int row = 0; row < model->rowCount(); ++row) {
            for (const TimelineSpan &span : model->lane(row).spans) {
                if (span.requestId == requestId && span.type == type)
                    return model->index(row).data(TimelineModel::LaneKindRole).toInt();
            }
        }
        return -1;
    };
    QCOMPARE(kindOfLaneHolding(id, TimelineSpan::Type::Request), requestLaneKind);
    QCOMPARE(kindOfLaneHolding(id, TimelineSpan::Type::Task), taskLaneKind);
}

void TestMainWindow::timedOutTasksShowAsTimedOut()
{
    const quint64 id = press(QStringLiteral("/async-worker"), 4, 3000, 100);
    QVERIFY(id > 0);
    TimelineModel *model = m_window->timelineModel();
    QTRY_VERIFY_WITH_TIMEOUT(model->request(id) && !model->request(id)->request.isOpen(), 2000);
    const auto view = model->request(id);
    QCOMPARE(view->tasks.size() + view->neverStarted, 4);
    for (const TimelineSpan &task : view->tasks)
        QCOMPARE(task.status, TaskStatus::TimedOut);
    QCOMPARE(view->request.deadlineNs, view->request.startNs + 100 * 1000000);
}

void TestMainWindow::requestsFromOtherClientsAppearToo()
{
    QNetworkAccessManager curl;
    QUrl url = m_server->url();
    url.setPath(QStringLiteral("/async-scoped"));
    url.setQuery(QStringLiteral("tasks=2&latency_ms=20"));
    QNetworkReply *reply = curl.get(QNetworkRequest(url));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(5000));
    const quint64 id = quint64(QJsonDocument::fromJson(reply->readAll()).object().value(QStringLiteral("request_id")).toInteger());
    reply->deleteLater();
    QVERIFY(id > 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->timelineModel()->request(id).has_value(), 2000);
    QCOMPARE(m_window->timelineModel()->request(id)->route, QStringLiteral("/async-scoped"));
}

void TestMainWindow::timelinePaintsTheSpans()
{
    const quint64 id = press(QStringLiteral("/async-worker"), 5, 200, 2000);
    QVERIFY(id > 0);
    TimelineView *view = m_window->timelineView();
    QTRY_VERIFY_WITH_TIMEOUT(view->model()->request(id) && !view->model()->request(id)->request.isOpen(), 2000);
    view->zoomToFit();
    QVERIFY(!view->zoom()->followsLive());
    const QImage image = view->viewport()->grab().toImage();
    // Finished tasks are drawn in the "ok" colour, requests in the request colour.
    auto count = [&image](QColor color) {
        int n = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x)
                n += image.pixelColor(x, y).rgb() == color.rgb();
        }
        return n;
    };
    QVERIFY(count(TimelineStyle::taskColor(TaskStatus::Ok)) > 100);
    QVERIFY(count(TimelineStyle::requestColor(false)) > 100);
    QVERIFY(count(TimelineStyle::deadlineColor()) > 10);
}

void TestMainWindow::abandonedRequestIsDrawnApart()
{
    // A client asks over a raw socket and hangs up while the tasks run.
    TimelineModel *model = m_window->timelineModel();
    const int before = int(model->requestIds().size());
    QTcpSocket client;
    QSignalSpy connected(&client, &QTcpSocket::connected);
    client.connectToHost(m_server->url().host(), quint16(m_server->url().port()));
    QVERIFY(connected.wait(5000));
    client.write("GET /async-worker?tasks=3&latency_ms=5000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    auto started = [model, before]() -> quint64 {
        const QVector<quint64> ids = model->requestIds();
        for (int i = before; i < ids.size(); ++i) {
            const auto view = model->request(ids.at(i));
            if (view && view->route == QLatin1String("/async-worker") && !view->tasks.isEmpty())
                return ids.at(i);
        }
        return 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(started() > 0, 5000);
    const quint64 id = started();
    client.abort();
    QTRY_VERIFY_WITH_TIMEOUT(!model->request(id)->request.isOpen(), 3000);
    const TimelineModel::RequestView view = *model->request(id);
    QVERIFY(view.request.isAbandoned());
    for (const TimelineSpan &task : view.tasks)
        QCOMPARE(task.status, TaskStatus::Cancelled);

    // Zoomed on it: its bar and its tasks' bars are in their own colours.
    TimelineView *timeline = m_window->timelineView();
    timeline->zoom()->fit(view.request.startNs, view.request.endNs);
    const QImage image = timeline->viewport()->grab().toImage();
    auto count = [&image](QColor color) {
        int n = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x)
                n += image.pixelColor(x, y).rgb() == color.rgb();
        }
        return n;
    };
    QVERIFY(count(TimelineStyle::abandonedRequestColor()) > 1000);
    QVERIFY(count(TimelineStyle::taskColor(TaskStatus::Cancelled)) > 1000);
    timeline->zoom()->setFollowLive(true);
}

void TestMainWindow::legendWrapsWhenNarrow()
{
    TimelineLegend legend;
    const int wide = legend.sizeHint().width();
    const int oneRow = legend.heightForWidth(wide);
    QVERIFY(legend.heightForWidth(wide / 2) >= 2 * oneRow);
    // In the window, every entry shows: the legend is as tall as its width needs, narrow or wide.
    auto *shown = m_window->findChild<TimelineLegend *>();
    QVERIFY(shown);
    const QSize size = m_window->size();
    for (int width : { 900, 2 * wide + 600 }) {
        m_window->resize(width, size.height());
        QTRY_COMPARE(shown->height(), shown->heightForWidth(shown->width()));
    }
    QCOMPARE(shown->height(), oneRow);
    m_window->resize(size);
}

void TestMainWindow::controlsMakeTheQuery()
{
    RequestPanel *panel = m_window->requestPanel();
    FanOutSpec spec;
    spec.tasks = 7;
    spec.latencyMs = 250;
    spec.jitterMs = 40;
    spec.failRate = 0.25;
    spec.timeoutMs = 900;
    spec.kind = TaskKind::Http;
    panel->setSpec(spec);
    QCOMPARE(panel->spec(), spec);
    const QUrl url = panel->requestUrl(QStringLiteral("/thread-pool"));
    QCOMPARE(url.path(), QStringLiteral("/thread-pool"));
    const auto parsed = FanOutSpec::fromQuery(QUrlQuery(url));
    QVERIFY(std::holds_alternative<FanOutSpec>(parsed));
    QCOMPARE(std::get<FanOutSpec>(parsed), spec);
    // And every route has its button.
    for (FanOutStrategy *strategy : m_server->strategies())
        QVERIFY2(panel->button(strategy->route()), qPrintable(strategy->route()));
}

void TestMainWindow::loadPanelRunsALoad()
{
    FanOutSpec spec;
    spec.tasks = 2;
    spec.latencyMs = 100;
    m_window->requestPanel()->setSpec(spec);
    LoadPanel *load = m_window->loadPanel();
    load->setLoad(QStringLiteral("/async-continuation"), 20, 20);
    QSignalSpy finished(load, &LoadPanel::runFinished);
    const QVector<quint64> before = m_window->timelineModel()->requestIds();
    QVERIFY(QMetaObject::invokeMethod(load, &LoadPanel::start));
    QVERIFY(load->isRunning());
    QVERIFY(finished.wait(10000));
    const LoadReport report = finished.constFirst().at(1).value<LoadReport>();
    QCOMPARE(report.answered(), 20);
    QCOMPARE(report.statusCounts.value(200), 20);
    QCOMPARE(report.maxInFlight, 20);
    QVERIFY(!load->isRunning());
    // The run is on the timeline, live.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->timelineModel()->requestIds().size() >= before.size() + 20, 2000);
}

void TestMainWindow::loadPanelComparesStrategies()
{
    FanOutSpec spec;
    spec.tasks = 3;
    spec.latencyMs = 60;
    spec.timeoutMs = 1000;
    m_window->requestPanel()->setSpec(spec);
    LoadPanel *load = m_window->loadPanel();
    load->setLoad(QStringLiteral("/async-worker"), 6, 6);
    QSignalSpy done(load, &LoadPanel::comparisonFinished);
    load->compareStrategies();
    QVERIFY(done.wait(30000));
    const QVector<LoadPanel::Row> rows = load->comparison();
    QCOMPARE(rows.size(), int(m_server->strategies().size()));
    for (const LoadPanel::Row &row : rows) {
        QCOMPARE(row.report.answered(), 6);
        if (row.route == QLatin1String("/async-continuation"))
            QCOMPARE(row.workerSecondsPerRequest, 0.0); // holds no worker
        else
            QVERIFY2(row.workerSecondsPerRequest >= 0.055, qPrintable(row.route + QLatin1Char(' ') + QString::number(row.workerSecondsPerRequest)));
        if (row.route == QLatin1String("/sequential"))
            QVERIFY(row.workerSecondsPerRequest >= 0.175); // three 60 ms tasks one after another
    }
    const QStringList csv = load->comparisonCsv().trimmed().split(QLatin1Char('\n'));
    QCOMPARE(csv.size(), rows.size() + 1);
    QVERIFY(csv.constFirst().startsWith(QLatin1String("route,requests,concurrency,total_s,rps,p50_ms")));
    QVERIFY(csv.at(1).startsWith(rows.constFirst().route + QLatin1Char(',')));
}

void TestMainWindow::fileMenuExportsTheTrace_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QKeySequence>("shortcut");
    QTest::addRow("chrome trace") << int(TraceExport::Format::ChromeTrace) << QStringLiteral("Export &trace…") << QKeySequence(Qt::CTRL | Qt::Key_E);
    QTest::addRow("csv") << int(TraceExport::Format::Csv) << QStringLiteral("Export spans as &CSV…") << QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E);
}

void TestMainWindow::fileMenuExportsTheTrace()
{
    QFETCH(int, format);
    QFETCH(QString, action);
    QFETCH(QKeySequence, shortcut);
    // The menu offers it, with its shortcut.
    QMenu *file = m_window->menuBar()->findChildren<QMenu *>().value(0);
    QVERIFY(file);
    const QList<QAction *> actions = file->actions();
    const auto found = std::find_if(actions.cbegin(), actions.cend(), [&](QAction *a) { return a->text() == action; });
    QVERIFY2(found != actions.cend(), qPrintable(action));
    QCOMPARE((*found)->shortcut(), shortcut);

    QVERIFY(press(QStringLiteral("/async-worker"), 3, 10, 1000) != 0);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("export"));
    QFuture<int> done = m_window->exportTrace(path, TraceExport::Format(format));
    QTRY_VERIFY_WITH_TIMEOUT(done.isFinished(), 10000);
    QVERIFY(done.result() >= 4); // at least the request and its three tasks
    // The same file that /api/trace and /api/trace.csv serve: nothing ran meanwhile.
    QFile written(path);
    QVERIFY(written.open(QIODevice::ReadOnly));
    QCOMPARE(written.readAll(), TraceExport::fromRecorder(*m_recorder).bytes(TraceExport::Format(format)));
    QTRY_VERIFY(m_window->statusBar()->currentMessage().startsWith(QStringLiteral("Exported")));

    // A place that cannot be written to fails, and the future says so.
    QFuture<int> failed = m_window->exportTrace(dir.filePath(QStringLiteral("no/such/folder/x")), TraceExport::Format(format));
    QTRY_VERIFY(failed.isFinished());
    QCOMPARE(failed.result(), -1);
    QMessageBox *box = nullptr;
    QTRY_VERIFY((box = m_window->findChild<QMessageBox *>()) != nullptr);
    QVERIFY(box->text().contains(QStringLiteral("no/such/folder")));
    box->close();
}

void TestMainWindow::selectingShowsTheAnswerOrTheRange()
{
    SelectionDetails *details = m_window->selectionDetails();
    TimelineView *view = m_window->timelineView();
    // A request the window sent: its real answer.
    const quint64 own = press(QStringLiteral("/async-worker"), 3, 20, 1000);
    QVERIFY(own > 0);
    QTRY_VERIFY(m_window->timelineModel()->request(own) && !m_window->timelineModel()->request(own)->request.isOpen());
    view->selectRequest(own);
    QVERIFY2(details->title().contains(QStringLiteral("the answer this window received")), qPrintable(details->title()));
    const QJsonObject answer = QJsonDocument::fromJson(details->text().toUtf8()).object();
    QCOMPARE(quint64(answer.value(QStringLiteral("request_id")).toInteger()), own);
    QCOMPARE(answer.value(QStringLiteral("data")).toArray().size(), 3);

    // One another client sent: rebuilt from the trace, with the same tasks.
    QNetworkAccessManager curl;
    QUrl url = m_server->url();
    url.setPath(QStringLiteral("/async-scoped"));
    url.setQuery(QStringLiteral("tasks=2&latency_ms=20&fail_rate=1"));
    QNetworkReply *reply = curl.get(QNetworkRequest(url));
    QVERIFY(QSignalSpy(reply, &QNetworkReply::finished).wait(5000));
    const quint64 other = quint64(QJsonDocument::fromJson(reply->readAll()).object().value(QStringLiteral("request_id")).toInteger());
    reply->deleteLater();
    QTRY_VERIFY(m_window->timelineModel()->request(other) && !m_window->timelineModel()->request(other)->request.isOpen());
    view->selectRequest(other);
    QVERIFY2(details->title().contains(QStringLiteral("rebuilt from the trace")), qPrintable(details->title()));
    const QJsonObject rebuilt = QJsonDocument::fromJson(details->text().toUtf8()).object();
    QCOMPARE(rebuilt.value(QStringLiteral("http_status")).toInt(), 200);
    const QJsonArray tasks = rebuilt.value(QStringLiteral("tasks")).toArray();
    QCOMPARE(tasks.size(), 2);
    QCOMPARE(tasks.at(1).toObject().value(QStringLiteral("account")).toString(), QStringLiteral("account-1"));
    QCOMPARE(tasks.at(1).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("failed"));

    // A range around both: their requests and tasks.
    const TimelineSpan first = m_window->timelineModel()->request(own)->request;
    const TimelineSpan last = m_window->timelineModel()->request(other)->request;
    view->selectRange(first.startNs, last.endNs);
    QVERIFY2(details->text().contains(QStringLiteral("requests  2")), qPrintable(details->text()));
    QVERIFY2(details->text().contains(QStringLiteral("3 ok, 2 failed, 0 timed out")), qPrintable(details->text()));
    view->clearSelection();
    QCOMPARE(details->title(), QStringLiteral("Nothing selected"));
}

void TestMainWindow::exposureWarningShowsInTheStatusBar()
{
    // Listening on loopback (as here): no warning.
    QVERIFY(!m_server->listensBeyondLoopback());
    QVERIFY(m_server->exposureWarning().isEmpty());
    QVERIFY(!m_window->statusBar()->findChild<QLabel *>(QStringLiteral("exposureWarning")));

    // As main() does for --bind 0.0.0.0.
    TraceRecorder recorder;
    ServerOptions options;
    options.port = 0;
    options.address = QHostAddress::AnyIPv4;
    ServerHost exposed(recorder, options);
    QVERIFY(exposed.listensBeyondLoopback());
    QVERIFY(exposed.exposureWarning().contains(QLatin1String("0.0.0.0")));
    MainWindow window(recorder, QUrl(QStringLiteral("http://0.0.0.0:6543")), {}, QString());
    window.showExposureWarning(exposed.exposureWarning());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const auto *label = window.statusBar()->findChild<QLabel *>(QStringLiteral("exposureWarning"));
    QVERIFY(label);
    QVERIFY(label->isVisible());
    QVERIFY(label->text().contains(QLatin1String("0.0.0.0")));
    QCOMPARE(label->toolTip(), exposed.exposureWarning());
}

void TestMainWindow::closingTheWindowStopsAtOnce()
{
    // Requests in flight from the window itself: a load of blocking /thread-pool requests and a
    // button's /async-continuation, all of ten-second tasks.
    FanOutSpec spec;
    spec.tasks = 3;
    spec.latencyMs = 10000;
    spec.timeoutMs = 20000;
    m_window->requestPanel()->setSpec(spec);
    LoadPanel *load = m_window->loadPanel();
    load->setLoad(QStringLiteral("/thread-pool"), 20, 20);
    QVERIFY(QMetaObject::invokeMethod(load, &LoadPanel::start));
    QTest::mouseClick(m_window->requestPanel()->button(QStringLiteral("/async-continuation")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->metrics()->busyWorkers.load(), 3, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(Task::liveCount() >= 3 * 3 + 3, 10000); // every worker's and the button's tasks run

    // What fanscope does when its window closes: the window goes (its clients with it), then
    // the server stops. Both at once, and nothing is left running.
    QVERIFY(m_window->close());
    QVERIFY(!m_window->isVisible());
    QElapsedTimer clock;
    clock.start();
    m_window.reset();
    m_server->stop();
    qInfo("window closed and server stopped in %lld ms", clock.elapsed());
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(Task::liveCount(), 0);
}

QAction *TestMainWindow::menuAction(const QString &menu, const QString &text) const
{
    for (QAction *top : m_window->menuBar()->actions()) {
        if (top->text() != menu || !top->menu())
            continue;
        for (QAction *action : top->menu()->actions()) {
            if (action->text() == text)
                return action;
        }
    }
    return nullptr;
}

void TestMainWindow::menusShowEveryShortcut_data()
{
    QTest::addColumn<QString>("menu");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QKeySequence>("shortcut");
    QTest::addRow("export trace") << QStringLiteral("&File") << QStringLiteral("Export &trace…") << QKeySequence(Qt::CTRL | Qt::Key_E);
    QTest::addRow("export csv") << QStringLiteral("&File") << QStringLiteral("Export spans as &CSV…") << QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E);
    QTest::addRow("screenshot") << QStringLiteral("&File") << QStringLiteral("Save &screenshot…") << QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S);
    QTest::addRow("quit") << QStringLiteral("&File") << QStringLiteral("&Quit") << QKeySequence(Qt::CTRL | Qt::Key_Q);
    QTest::addRow("follow") << QStringLiteral("&View") << QStringLiteral("&Follow live") << QKeySequence(Qt::Key_F);
    QTest::addRow("fit") << QStringLiteral("&View") << QStringLiteral("Zoom to &fit") << QKeySequence(Qt::Key_0);
    QTest::addRow("zoom in") << QStringLiteral("&View") << QStringLiteral("Zoom &in") << QKeySequence(QKeySequence::ZoomIn);
    QTest::addRow("zoom out") << QStringLiteral("&View") << QStringLiteral("Zoom &out") << QKeySequence(QKeySequence::ZoomOut);
    QTest::addRow("pan left") << QStringLiteral("&View") << QStringLiteral("Pan &left") << QKeySequence(Qt::Key_Left);
    QTest::addRow("pan right") << QStringLiteral("&View") << QStringLiteral("Pan &right") << QKeySequence(Qt::Key_Right);
    QTest::addRow("clear") << QStringLiteral("&View") << QStringLiteral("&Clear timeline") << QKeySequence(Qt::CTRL | Qt::Key_L);
}

void TestMainWindow::menusShowEveryShortcut()
{
    QFETCH(QString, menu);
    QFETCH(QString, action);
    QFETCH(QKeySequence, shortcut);
    QAction *found = menuAction(menu, action);
    QVERIFY2(found, qPrintable(menu + QLatin1String(" > ") + action));
    QCOMPARE(found->shortcut(), shortcut);
    QVERIFY(!shortcut.isEmpty());
    // A menu prints the shortcut beside the item unless told not to.
    QVERIFY(!QCoreApplication::testAttribute(Qt::AA_DontShowShortcutsInContextMenus) || found->isShortcutVisibleInContextMenu());
}

void TestMainWindow::saveScreenshotWritesTheWindow()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("window.png"));
    QVERIFY(m_window->saveScreenshot(path));
    const QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), m_window->size() * m_window->devicePixelRatio());
    QVERIFY(!m_window->saveScreenshot(dir.filePath(QStringLiteral("no/such/folder/x.png"))));
}

void TestMainWindow::arrowKeysPanTheTimelineWhenItHasTheFocus()
{
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    TimelineView *view = m_window->timelineView();
    TimelineZoom *zoom = view->zoom();
    const qint64 s = 1000000000;
    zoom->setFollowLive(false);
    zoom->setRange(10 * s, 20 * s);

    view->setFocus();
    QTRY_VERIFY(view->hasFocus());
    QTest::keyClick(view, Qt::Key_Left);
    QCOMPARE(zoom->startNs(), 9 * s); // a tenth of the visible width
    QCOMPARE(zoom->widthNs(), 10 * s);
    QTest::keyClick(view, Qt::Key_Right);
    QTest::keyClick(view, Qt::Key_Right);
    QCOMPARE(zoom->startNs(), 11 * s);

    // Elsewhere the arrows keep their usual jobs (moving between buttons, tabs, text).
    for (QWidget *other : std::initializer_list<QWidget *> { m_window->requestPanel()->button(QStringLiteral("/async-worker")),
             m_window->requestPanel()->findChild<QSpinBox *>() }) {
        QVERIFY(other);
        other->setFocus();
        QTRY_VERIFY(other->hasFocus());
        QTest::keyClick(other, Qt::Key_Left);
        QCOMPARE(zoom->startNs(), 11 * s);
    }
    // The menu item pans from anywhere, and panning stops following live time.
    zoom->setFollowLive(true);
    menuAction(QStringLiteral("&View"), QStringLiteral("Pan &left"))->trigger();
    QVERIFY(!zoom->followsLive());
}

void TestMainWindow::statusBarShowsBusyWorkersLive()
{
    ServerLoadLabel *label = m_window->serverLoadLabel();
    QVERIFY(label);
    QTRY_VERIFY(label->figures().load.has_value());
    QCOMPARE(label->figures().load->workers, 3);
    QTRY_COMPARE(label->figures().load->busyWorkers, 0);

    // A slow request holds a worker; the label sees it on its own timer, not when asked.
    QNetworkAccessManager client;
    QUrl url = m_server->url();
    url.setPath(QStringLiteral("/sequential"));
    url.setQuery(QStringLiteral("tasks=1&latency_ms=1500"));
    QNetworkReply *reply = client.get(QNetworkRequest(url));
    QTRY_VERIFY_WITH_TIMEOUT(label->figures().load->busyWorkers >= 1, 1400);
    QVERIFY(label->text().contains(QStringLiteral("1/3 workers busy")));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(5000));
    reply->deleteLater();
    QTRY_COMPARE(label->figures().load->busyWorkers, 0);
    QCOMPARE(label->figures().load->queueDepth, 0);
}

void TestMainWindow::statusBarSaysWhenTheBudgetBites()
{
    TraceRecorder recorder;
    ServerLoadLabel label(recorder);
    ServerLoad load;
    load.workers = 5;
    load.tasksInFlight = 1200;
    load.maxTasksInFlight = 50000;
    label.setProvider([&load] { return load; });
    QVERIFY2(label.text().contains(QStringLiteral("1200/50000 tasks in flight")), qPrintable(label.text()));
    QVERIFY(!label.text().contains(QStringLiteral("refused")));
    // Requests refused since the last look: the label says so, in red.
    load.refused = 3;
    label.refresh();
    QVERIFY2(label.text().contains(QStringLiteral("budget full: 3 refused")), qPrintable(label.text()));
    QVERIFY(label.styleSheet().contains(QStringLiteral("color")));
}

void TestMainWindow::statusBarShowsRequestsPerSecond()
{
    ServerLoadLabel *label = m_window->serverLoadLabel();
    // Quiet for a second: nothing answered in the window.
    QTRY_COMPARE_WITH_TIMEOUT(label->figures().requestsPerSecond, 0.0, 3000);
    QNetworkAccessManager client;
    QUrl url = m_server->url();
    url.setPath(QStringLiteral("/async-continuation"));
    url.setQuery(QStringLiteral("tasks=1&latency_ms=1"));
    QList<QNetworkReply *> replies;
    for (int i = 0; i < 10; ++i)
        replies.append(client.get(QNetworkRequest(url)));
    for (QNetworkReply *reply : std::as_const(replies)) {
        QTRY_VERIFY(reply->isFinished());
        reply->deleteLater();
    }
    QTRY_VERIFY(label->figures().requestsPerSecond >= 10);
    QVERIFY(label->text().contains(QStringLiteral(" req/s")));
}

void TestMainWindow::statusBarCopiesTheServerUrl()
{
    auto *copy = m_window->statusBar()->findChild<QToolButton *>(QStringLiteral("copyServerUrl"));
    QVERIFY(copy);
    QGuiApplication::clipboard()->clear();
    QTest::mouseClick(copy, Qt::LeftButton);
    QCOMPARE(QGuiApplication::clipboard()->text(), m_server->url().toString());
    QVERIFY(QGuiApplication::clipboard()->text().startsWith(QStringLiteral("http://127.0.0.1:")));
}

void TestMainWindow::copyAsCurlGivesTheLastRouteSent_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<int>("tasks");
    QTest::addColumn<int>("latencyMs");
    QTest::addColumn<int>("jitterMs");
    QTest::addColumn<double>("failRate");
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("query");
    QTest::addRow("defaults") << QStringLiteral("/async-worker") << 10 << 1000 << 0 << 0.0 << 3000 << int(TaskKind::Timer)
                              << QStringLiteral("tasks=10&latency_ms=1000&timeout_ms=3000");
    QTest::addRow("every parameter") << QStringLiteral("/thread-pool") << 7 << 250 << 40 << 0.25 << 900 << int(TaskKind::Http)
                                     << QStringLiteral("tasks=7&latency_ms=250&jitter_ms=40&fail_rate=0.25&timeout_ms=900&kind=http");
    QTest::addRow("cpu") << QStringLiteral("/sequential") << 2 << 5 << 0 << 0.0 << 100 << int(TaskKind::Cpu)
                         << QStringLiteral("tasks=2&latency_ms=5&timeout_ms=100&kind=cpu");
}

void TestMainWindow::copyAsCurlGivesTheLastRouteSent()
{
    QFETCH(QString, route);
    QFETCH(int, tasks);
    QFETCH(int, latencyMs);
    QFETCH(int, jitterMs);
    QFETCH(double, failRate);
    QFETCH(int, timeoutMs);
    QFETCH(int, kind);
    QFETCH(QString, query);
    QVERIFY(press(route, 1, 1, 1000) != 0);
    RequestPanel *panel = m_window->requestPanel();
    QCOMPARE(panel->curlRoute(), route);
    // The parameters as they are now, not as they were sent.
    FanOutSpec spec;
    spec.tasks = tasks;
    spec.latencyMs = latencyMs;
    spec.jitterMs = jitterMs;
    spec.failRate = failRate;
    spec.timeoutMs = timeoutMs;
    spec.kind = TaskKind(kind);
    panel->setSpec(spec);
    const QString expected = QStringLiteral("curl 'http://127.0.0.1:%1%2?%3'").arg(m_server->url().port()).arg(route, query);

    // Edit > Copy as curl, by its shortcut.
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QGuiApplication::clipboard()->clear();
    QTest::keyClick(m_window.get(), Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), expected);
    QAction *action = menuAction(QStringLiteral("&Edit"), QStringLiteral("Copy as &curl"));
    QVERIFY(action);
    QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    // The Request tab's button.
    auto *button = panel->findChild<QPushButton *>(QStringLiteral("copyCurl"));
    QVERIFY(button);
    QVERIFY(button->text().endsWith(route));
    QGuiApplication::clipboard()->clear();
    QTest::mouseClick(button, Qt::LeftButton);
    QCOMPARE(QGuiApplication::clipboard()->text(), expected);

    // And the command works: its URL is a request the server accepts.
    QNetworkAccessManager client;
    const QString url = expected.section(QLatin1Char('\''), 1, 1);
    QNetworkReply *reply = client.get(QNetworkRequest(QUrl(url)));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    reply->deleteLater();
}

void TestMainWindow::copyAsCurlBeforeAnyRequestAndPerButton()
{
    QStringList routes;
    for (FanOutStrategy *strategy : m_server->strategies())
        routes.append(strategy->route());
    RequestPanel panel(QUrl(QStringLiteral("http://127.0.0.1:6543")), routes);
    QCOMPARE(panel.curlRoute(), QStringLiteral("/async-worker"));
    QGuiApplication::clipboard()->clear();
    panel.copyCurl();
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("curl 'http://127.0.0.1:6543/async-worker?tasks=10&latency_ms=1000&timeout_ms=3000'"));
    // A route button's context menu copies that route, whichever was sent last.
    QPushButton *sequential = panel.button(QStringLiteral("/sequential"));
    QCOMPARE(sequential->contextMenuPolicy(), Qt::ActionsContextMenu);
    QCOMPARE(sequential->actions().size(), 1);
    sequential->actions().constFirst()->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("curl 'http://127.0.0.1:6543/sequential?tasks=10&latency_ms=1000&timeout_ms=3000'"));
    QCOMPARE(panel.curlRoute(), QStringLiteral("/async-worker"));
}

std::unique_ptr<MainWindow> TestMainWindow::makeWindow() const
{
    QStringList routes;
    for (FanOutStrategy *strategy : m_server->strategies())
        routes.append(strategy->route());
    return std::make_unique<MainWindow>(*m_recorder, m_server->url(), routes, QStringLiteral("3 workers"));
}

void TestMainWindow::settingsRoundTripThroughASecondWindow()
{
    QVERIFY2(QSettings().fileName().startsWith(m_settingsDir.path()), qPrintable(QSettings().fileName()));
    FanOutSpec spec;
    spec.tasks = 42;
    spec.latencyMs = 1234;
    spec.jitterMs = 56;
    spec.failRate = 0.1;
    spec.timeoutMs = 4321;
    spec.kind = TaskKind::Cpu;
    FanOutSpec seeded = spec;
    seeded.seed = 7;
    m_window->requestPanel()->setSpec(seeded);
    m_window->resize(1111, 705);
    QSplitter *splitter = m_window->findChild<QSplitter *>();
    QVERIFY(splitter);
    splitter->setSizes({ 377, 700 });
    QSplitter *timeline = m_window->findChild<QSplitter *>(QStringLiteral("timelineSplitter"));
    QVERIFY(timeline);
    timeline->setSizes({ 300, 250 });
    m_window->sideTabs()->setCurrentIndex(1);
    QTRY_COMPARE(m_window->size(), QSize(1111, 705));
    const QList<int> sizes = splitter->sizes();
    const QList<int> timelineSizes = timeline->sizes();
    m_window->saveSettings();
    m_window->sideTabs()->setCurrentIndex(0);

    const std::unique_ptr<MainWindow> second = makeWindow();
    QVERIFY(!(second->requestPanel()->spec() == spec)); // the defaults, before
    second->restoreSettings();
    second->show();
    QVERIFY(QTest::qWaitForWindowExposed(second.get()));
    QCOMPARE(second->requestPanel()->spec(), spec); // and no seed
    QCOMPARE(second->size(), QSize(1111, 705));
    QCOMPARE(second->findChild<QSplitter *>()->sizes(), sizes);
    QCOMPARE(second->findChild<QSplitter *>(QStringLiteral("timelineSplitter"))->sizes(), timelineSizes);
    QCOMPARE(second->sideTabs()->currentIndex(), 1);
}

void TestMainWindow::unreadableSettingsKeepTheDefaults()
{
    {
        QSettings settings;
        settings.setValue(QStringLiteral("request/query"), QStringLiteral("tasks=-5&latency_ms=7"));
        settings.setValue(QStringLiteral("window/geometry"), QByteArray("garbage"));
        settings.setValue(QStringLiteral("window/splitter"), QByteArray("garbage"));
    }
    const std::unique_ptr<MainWindow> window = makeWindow();
    const QSize size = window->size();
    window->restoreSettings();
    QCOMPARE(window->requestPanel()->spec(), FanOutSpec());
    QCOMPARE(window->size(), size);
}

void TestMainWindow::everyControlHasATooltip()
{
    QStringList missing;
    int controls = 0;
    const QList<QWidget *> widgets = m_window->findChildren<QWidget *>();
    for (QWidget *widget : widgets) {
        if (!qobject_cast<QAbstractButton *>(widget) && !qobject_cast<QAbstractSpinBox *>(widget) && !qobject_cast<QComboBox *>(widget))
            continue;
        // Qt's own parts: the scroll arrows of a tab bar or menu bar that runs out of room, a
        // table's corner button.
        QObject *parent = widget->parent();
        if (qobject_cast<QTabBar *>(parent) || qobject_cast<QMenuBar *>(parent) || qobject_cast<QAbstractItemView *>(parent))
            continue;
        ++controls;
        if (widget->toolTip().isEmpty())
            missing << QStringLiteral("%1 '%2'").arg(QString::fromLatin1(widget->metaObject()->className()), widget->property("text").toString());
    }
    QVERIFY(controls >= 20);
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral(", "))));
    const QTabWidget *tabs = m_window->sideTabs();
    for (int i = 0; i < tabs->count(); ++i)
        QVERIFY2(!tabs->tabToolTip(i).isEmpty(), qPrintable(tabs->tabText(i)));
}

void TestMainWindow::followsADarkPalette()
{
    // Fusion with a dark palette, as a dark desktop gives it: no part of the window may stay
    // light. The Load tab, whose charts have a theme of their own, shows a comparison's charts.
    FanOutSpec spec;
    spec.tasks = 1;
    spec.latencyMs = 5;
    m_window->requestPanel()->setSpec(spec);
    LoadPanel *load = m_window->loadPanel();
    load->setLoad(QStringLiteral("/async-worker"), 2, 2);
    QSignalSpy compared(load, &LoadPanel::comparisonFinished);
    load->compareStrategies();
    QVERIFY(compared.wait(20000));

    QStyle *fusion = QStyleFactory::create(QStringLiteral("Fusion"));
    QVERIFY(fusion);
    QApplication::setStyle(fusion);
    QPalette dark = fusion->standardPalette();
    dark.setColor(QPalette::Window, QColor(0x35, 0x35, 0x35));
    dark.setColor(QPalette::WindowText, Qt::white);
    dark.setColor(QPalette::Base, QColor(0x2a, 0x2a, 0x2a));
    dark.setColor(QPalette::AlternateBase, QColor(0x42, 0x42, 0x42));
    dark.setColor(QPalette::Text, Qt::white);
    dark.setColor(QPalette::Button, QColor(0x35, 0x35, 0x35));
    dark.setColor(QPalette::ButtonText, Qt::white);
    dark.setColor(QPalette::ToolTipBase, QColor(0x2a, 0x2a, 0x2a));
    dark.setColor(QPalette::ToolTipText, Qt::white);
    dark.setColor(QPalette::Highlight, QColor(0x2a, 0x82, 0xda));
    dark.setColor(QPalette::HighlightedText, Qt::black);
    dark.setColor(QPalette::Link, QColor(0x2a, 0x82, 0xda));
    for (QPalette::ColorRole role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText })
        dark.setColor(QPalette::Disabled, role, QColor(0x80, 0x80, 0x80));
    // On the window rather than the application: QApplication::setPalette reaches existing
    // widgets only from a running event loop, which Qt Test does not start.
    m_window->setPalette(dark);
    m_window->sideTabs()->setCurrentIndex(1);
    QCOMPARE(load->palette().color(QPalette::Window), QColor(0x35, 0x35, 0x35));
    // Charts lay out their new theme from the event loop.
    QCoreApplication::processEvents();

    const QImage image = m_window->grab().toImage();
    // Kept next to the build, as the browser tests keep theirs, for a person to look at.
    image.save(QStringLiteral("tst_mainwindow-dark.png"));
    qint64 light = 0;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x)
            light += image.pixelColor(x, y).lightness() > 200;
    }
    const double share = double(light) / (double(image.width()) * image.height());
    m_window->sideTabs()->setCurrentIndex(0);
    m_window->setPalette(QPalette());
    // Text and a few pale bars are light; a white chart or panel would be a tenth of the window.
    QVERIFY2(share < 0.03, qPrintable(QString::number(share)));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
