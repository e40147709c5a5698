#include "mainwindow.h"

#include "handover.h"
#include "loadpanel.h"
#include "requestpanel.h"
#include "selectiondetails.h"
#include "serverloadlabel.h"
#include "timelinelegend.h"
#include "timelinemodel.h"
#include "timelineview.h"
#include "timelinezoom.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolButton>
#include <QUrlQuery>
#include <QVBoxLayout>
#include <QtConcurrent>

MainWindow::MainWindow(TraceRecorder &recorder, const QUrl &serverUrl, const QStringList &routes,
    const QString &serverSummary, QWidget *parent)
    : QMainWindow(parent)
    , m_recorder(recorder)
    , m_serverUrl(serverUrl)
    , m_model(new TimelineModel(this))
{
    setWindowTitle(tr("Fanscope — %1").arg(serverUrl.toString()));
    m_model->setRecorder(&recorder);

    m_requestPanel = new RequestPanel(serverUrl, routes);
    m_loadPanel = new LoadPanel(serverUrl, routes, [this] { return m_requestPanel->spec(); }, m_model);
    auto *loadScroll = new QScrollArea;
    loadScroll->setWidget(m_loadPanel);
    loadScroll->setWidgetResizable(true);
    loadScroll->setFrameShape(QFrame::NoFrame);
    m_sideTabs = new QTabWidget;
    m_sideTabs->addTab(m_requestPanel, tr("&Request"));
    m_sideTabs->addTab(loadScroll, tr("L&oad"));
    m_sideTabs->setTabToolTip(0, tr("Send one request and read its answer"));
    m_sideTabs->setTabToolTip(1, tr("Send many requests at once and measure; compare the strategies"));
    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(m_sideTabs);
    splitter->addWidget(createTimelinePane());
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({ 420, 900 });
    setCentralWidget(splitter);

    createMenus();
    auto *url = new QLabel(tr("Server: <a href=\"%1\">%1</a>").arg(serverUrl.toString()));
    url->setTextInteractionFlags(Qt::TextBrowserInteraction);
    url->setOpenExternalLinks(true);
    url->setToolTip(tr("The embedded server: point curl, a browser or a load tool here"));
    statusBar()->addWidget(url);
    statusBar()->addPermanentWidget(new QLabel(serverSummary));
    addLiveStatus();
    resize(1320, 780);
}

MainWindow::~MainWindow()
{
    m_export.waitForFinished();
}

void MainWindow::showExposureWarning(const QString &warning)
{
    auto *label = new QLabel(tr("⚠ Reachable from other machines: %1").arg(m_serverUrl.host()));
    label->setObjectName(QStringLiteral("exposureWarning"));
    label->setToolTip(warning);
    // A red that reads on light and dark status bars alike.
    QPalette palette = label->palette();
    palette.setColor(QPalette::WindowText, QColor(0xd3, 0x2f, 0x2f));
    label->setPalette(palette);
    QFont font = label->font();
    font.setBold(true);
    label->setFont(font);
    statusBar()->addWidget(label); // beside the server URL it warns about
}

QWidget *MainWindow::createTimelinePane()
{
    m_view = new TimelineView;
    m_view->setModel(m_model);
    m_view->setToolTip(tr("Wheel: zoom around the cursor · drag: pan · Shift+wheel: scroll lanes"));

    auto *follow = new QToolButton;
    follow->setText(tr("Follow live"));
    follow->setCheckable(true);
    follow->setChecked(m_view->zoom()->followsLive());
    follow->setToolTip(tr("Keep the timeline on the current time (F)"));
    connect(follow, &QToolButton::toggled, m_view->zoom(), &TimelineZoom::setFollowLive);
    connect(m_view->zoom(), &TimelineZoom::followLiveChanged, follow, &QToolButton::setChecked);

    auto *fit = new QToolButton;
    fit->setText(tr("Zoom to fit"));
    fit->setToolTip(tr("Show everything recorded (0)"));
    connect(fit, &QToolButton::clicked, m_view, &TimelineView::zoomToFit);

    auto *clear = new QToolButton;
    clear->setText(tr("Clear"));
    clear->setToolTip(tr("Forget the spans drawn so far"));
    connect(clear, &QToolButton::clicked, m_model, &TimelineModel::clear);

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("<b>Timeline</b> — one lane per thread")));
    bar->addStretch(1);
    bar->addWidget(follow);
    bar->addWidget(fit);
    bar->addWidget(clear);

    // Under the timeline, what is selected on it: a request's answer, a range's figures.
    m_details = new SelectionDetails;
    connect(m_view, &TimelineView::requestSelected, this, &MainWindow::showSelectedRequest);
    connect(m_view, &TimelineView::rangeSelected, this, [this](qint64 from, qint64 to) {
        if (to > from)
            m_details->showRange(*m_model, from, to);
        else if (m_view->selectedRequest() == 0)
            m_details->showHint();
    });
    connect(m_requestPanel, &RequestPanel::responseReceived, this,
        [this](const QString &, int, const QJsonObject &body, double) { rememberAnswer(body); });
    auto *split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("timelineSplitter"));
    split->addWidget(m_view);
    split->addWidget(m_details);
    split->setStretchFactor(0, 1);
    split->setSizes({ 600, 70 }); // the details grow when dragged: the timeline comes first

    auto *pane = new QWidget;
    auto *layout = new QVBoxLayout(pane);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    layout->addWidget(new TimelineLegend);
    return pane;
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *exportTrace = file->addAction(tr("Export &trace…"), this, [this] { askAndExport(TraceExport::Format::ChromeTrace); });
    exportTrace->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportTrace->setToolTip(tr("Save the timeline as Chrome Trace Event JSON, for ui.perfetto.dev or chrome://tracing"));
    QAction *exportCsv = file->addAction(tr("Export spans as &CSV…"), this, [this] { askAndExport(TraceExport::Format::Csv); });
    exportCsv->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    exportCsv->setToolTip(tr("Save one line per request and task span, for a spreadsheet"));
    addScreenshotAction(file);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    // Not QKeySequence::Quit: some platforms (Windows, offscreen) have no standard key for it.
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));

    createEditMenu();

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *follow = view->addAction(tr("&Follow live"));
    follow->setCheckable(true);
    follow->setChecked(m_view->zoom()->followsLive());
    follow->setShortcut(Qt::Key_F);
    connect(follow, &QAction::toggled, m_view->zoom(), &TimelineZoom::setFollowLive);
    connect(m_view->zoom(), &TimelineZoom::followLiveChanged, follow, &QAction::setChecked);
    view->addAction(tr("Zoom to &fit"), QKeySequence(Qt::Key_0), m_view, &TimelineView::zoomToFit);
    view->addAction(tr("Zoom &in"), QKeySequence::ZoomIn, m_view, &TimelineView::zoomIn);
    view->addAction(tr("Zoom &out"), QKeySequence::ZoomOut, m_view, &TimelineView::zoomOut);
    addPanActions(view);
    view->addSeparator();
    view->addAction(tr("&Clear timeline"), QKeySequence(Qt::CTRL | Qt::Key_L), m_model, &TimelineModel::clear);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Fanscope"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::rememberAnswer(const QJsonObject &body)
{
    constexpr int Kept = 500;
    const quint64 id = quint64(body.value(QStringLiteral("request_id")).toInteger());
    if (id == 0 || m_answers.contains(id))
        return;
    m_answers.insert(id, body);
    m_answerOrder.append(id);
    if (m_answerOrder.size() > Kept)
        m_answers.remove(m_answerOrder.takeFirst());
    if (m_view->selectedRequest() == id) // selected while it was still running
        showSelectedRequest(id);
}

void MainWindow::showSelectedRequest(quint64 requestId)
{
    if (requestId == 0) {
        if (!m_view->selectedRange())
            m_details->showHint();
        return;
    }
    const auto it = m_answers.constFind(requestId);
    m_details->showRequest(*m_model, requestId, it == m_answers.cend() ? std::nullopt : std::optional<QJsonObject>(*it));
}

void MainWindow::askAndExport(TraceExport::Format format)
{
    const bool csv = format == TraceExport::Format::Csv;
    const QString suggested = QDir::home().filePath(csv ? QStringLiteral("fanscope-spans.csv") : QStringLiteral("fanscope-trace.json"));
    const QString path = QFileDialog::getSaveFileName(this, csv ? tr("Export spans as CSV") : tr("Export trace"), suggested,
        csv ? tr("CSV files (*.csv)") : tr("Chrome Trace Event JSON (*.json)"));
    if (!path.isEmpty())
        exportTrace(path, format);
}

QFuture<int> MainWindow::exportTrace(const QString &path, TraceExport::Format format)
{
    // One at a time: a second export waits for the first rather than racing it to the disk.
    m_export.waitForFinished();
    statusBar()->showMessage(tr("Exporting to %1…").arg(QDir::toNativeSeparators(path)));
    // The job tells the window itself, with a queued call, rather than through a QFuture
    // continuation: Qt 6.4's cross-thread .then() crashed the server under load (issue 12), and
    // the window waits for the job in its destructor, so it is alive when the job posts.
    m_export = QtConcurrent::run(handOver([this, path, format] {
        QString error;
        const int spans = TraceExport::save(m_recorder, path, format, &error);
        QMetaObject::invokeMethod(this, handOver([this, path, spans, error] { exportFinished(path, spans, error); }),
            Qt::QueuedConnection);
        return spans;
    }));
    return m_export;
}

void MainWindow::exportFinished(const QString &path, int spans, const QString &error)
{
    if (spans < 0) {
        statusBar()->clearMessage();
        // open(), not exec(): the window (and its live timeline) keeps running behind it.
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Export failed"),
            tr("Could not write %1:\n%2").arg(QDir::toNativeSeparators(path), error), QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
        return;
    }
    statusBar()->showMessage(tr("Exported %n span(s) to %1", nullptr, spans).arg(QDir::toNativeSeparators(path)), 10000);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Fanscope"),
        tr("<h3>Fanscope %1</h3>"
           "<p>Fan-out/fan-in patterns of synchronous request handlers, made visible.</p>"
           "<p>Server: %2<br>Built with Qt %3, running on Qt %4.</p>")
            .arg(QStringLiteral(FANSCOPE_VERSION), m_serverUrl.toString(), QStringLiteral(QT_VERSION_STR),
                QString::fromLatin1(qVersion())));
}

void MainWindow::addScreenshotAction(QMenu *file)
{
    QAction *screenshot = file->addAction(tr("Save &screenshot…"), this, &MainWindow::askAndSaveScreenshot);
    screenshot->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    screenshot->setToolTip(tr("Save a picture of this window as PNG"));
}

void MainWindow::askAndSaveScreenshot()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save screenshot"),
        QDir::home().filePath(QStringLiteral("fanscope.png")), tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    if (saveScreenshot(path)) {
        statusBar()->showMessage(tr("Saved the window to %1").arg(QDir::toNativeSeparators(path)), 10000);
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Screenshot failed"),
        tr("Could not write %1.").arg(QDir::toNativeSeparators(path)), QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

bool MainWindow::saveScreenshot(const QString &path)
{
    // grab() renders the widgets themselves, not the screen: no dialog or other window in the way.
    return grab().save(path, "PNG");
}

void MainWindow::addPanActions(QMenu *view)
{
    // A tenth of the visible width per press, the way a scroll bar's arrow steps.
    auto pan = [this](int direction) {
        TimelineZoom *zoom = m_view->zoom();
        zoom->panBy(direction * zoom->widthNs() / 10);
    };
    QAction *left = view->addAction(tr("Pan &left"), this, [pan] { pan(-1); });
    left->setShortcut(Qt::Key_Left);
    QAction *right = view->addAction(tr("Pan &right"), this, [pan] { pan(+1); });
    right->setShortcut(Qt::Key_Right);
    for (QAction *action : { left, right }) {
        // Bare arrow keys move the cursor in spin boxes, switch tabs and walk buttons: they pan
        // only while the timeline has the focus. The menu items work from anywhere.
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_view->addAction(action);
    }
}

void MainWindow::addLiveStatus()
{
    // Beside the server's URL: the label's own context menu has "Copy Link Location", but a
    // button is what people find.
    auto *copy = new QToolButton;
    copy->setObjectName(QStringLiteral("copyServerUrl"));
    copy->setText(tr("Copy"));
    copy->setAutoRaise(true);
    copy->setToolTip(tr("Copy the server URL to the clipboard"));
    connect(copy, &QToolButton::clicked, this, &MainWindow::copyServerUrl);
    statusBar()->insertWidget(1, copy);

    m_serverLoad = new ServerLoadLabel(m_recorder);
    statusBar()->addPermanentWidget(m_serverLoad);
}

void MainWindow::setServerLoadProvider(std::function<ServerLoad()> provider)
{
    m_serverLoad->setProvider(std::move(provider));
}

void MainWindow::copyServerUrl()
{
    QGuiApplication::clipboard()->setText(m_serverUrl.toString());
    statusBar()->showMessage(tr("Copied %1").arg(m_serverUrl.toString()), 3000);
}

void MainWindow::createEditMenu()
{
    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *curl = edit->addAction(tr("Copy as &curl"), m_requestPanel, &RequestPanel::copyCurl);
    curl->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    curl->setToolTip(tr("Copy a curl command for the last route sent, with the Request tab's parameters"));
    edit->addAction(tr("Copy server &URL"), this, &MainWindow::copyServerUrl);
}

namespace {
const QString RequestQueryKey = QStringLiteral("request/query");
const QString GeometryKey = QStringLiteral("window/geometry");
const QString SplitterKey = QStringLiteral("window/splitter");
const QString SideTabKey = QStringLiteral("window/sideTab");
const QString TimelineSplitterKey = QStringLiteral("window/timelineSplitter");
} // namespace

QSplitter *MainWindow::splitter() const
{
    return qobject_cast<QSplitter *>(centralWidget());
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    FanOutSpec spec = m_requestPanel->spec();
    // A seed comes only from --run and no control shows it: it must not linger unseen.
    spec.seed.reset();
    // As a query, so that reading it back goes through the same validation as a request.
    settings.setValue(RequestQueryKey, spec.toQuery().toString(QUrl::FullyEncoded));
    settings.setValue(GeometryKey, saveGeometry());
    settings.setValue(SplitterKey, splitter()->saveState());
    settings.setValue(SideTabKey, m_sideTabs->currentIndex());
    if (const auto *timeline = findChild<QSplitter *>(QStringLiteral("timelineSplitter")))
        settings.setValue(TimelineSplitterKey, timeline->saveState());
}

void MainWindow::restoreSettings()
{
    const QSettings settings;
    if (settings.contains(RequestQueryKey)) {
        const auto parsed = FanOutSpec::fromQuery(QUrlQuery(settings.value(RequestQueryKey).toString()));
        if (const auto *spec = std::get_if<FanOutSpec>(&parsed))
            m_requestPanel->setSpec(*spec);
    }
    // Each restore ignores what it cannot read, keeping the defaults.
    restoreGeometry(settings.value(GeometryKey).toByteArray());
    splitter()->restoreState(settings.value(SplitterKey).toByteArray());
    m_sideTabs->setCurrentIndex(settings.value(SideTabKey, 0).toInt());
    if (auto *timeline = findChild<QSplitter *>(QStringLiteral("timelineSplitter")))
        timeline->restoreState(settings.value(TimelineSplitterKey).toByteArray());
}
