#include "requestpanel.h"

#include <QAction>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <memory>

namespace {

// Big answers (thousands of tasks) are cut for display: a text widget with megabytes in it
// stalls the GUI thread, and nobody reads that far.
constexpr int MaxShownBytes = 256 * 1024;

QSpinBox *makeSpinBox(int min, int max, int value, const QString &suffix, const QString &tip)
{
    auto *box = new QSpinBox;
    box->setRange(min, max);
    box->setValue(value);
    box->setSuffix(suffix);
    box->setToolTip(tip);
    box->setAccelerated(true);
    return box;
}

} // namespace

RequestPanel::RequestPanel(const QUrl &serverUrl, const QStringList &routes, QWidget *parent)
    : QWidget(parent)
    , m_serverUrl(serverUrl)
{
    const FanOutSpec defaults;
    auto *buttons = new QGroupBox(tr("Send a request to"));
    auto *grid = new QGridLayout(buttons);
    for (int i = 0; i < routes.size(); ++i) {
        const QString &route = routes.at(i);
        auto *button = new QPushButton(route);
        button->setObjectName(QStringLiteral("route") + route);
        button->setToolTip(describe(route));
        connect(button, &QPushButton::clicked, this, [this, route] { send(route); });
        auto *copy = new QAction(tr("Copy as curl"), button);
        connect(copy, &QAction::triggered, this, [this, route] { QGuiApplication::clipboard()->setText(curlCommand(route)); });
        button->addAction(copy);
        button->setContextMenuPolicy(Qt::ActionsContextMenu);
        grid->addWidget(button, i / 2, i % 2);
        m_buttons.insert(route, button);
    }

    auto *params = new QGroupBox(tr("Parameters"));
    auto *form = new QFormLayout(params);
    m_tasks = makeSpinBox(0, FanOutSpec::MaxTasks, defaults.tasks, {},
        tr("How many tasks the request fans out to (account-0 ... account-N-1)"));
    m_latency = makeSpinBox(0, FanOutSpec::MaxLatencyMs, defaults.latencyMs, tr(" ms"),
        tr("How long one task (one balance lookup) takes"));
    m_latency->setSingleStep(100);
    m_timeout = makeSpinBox(FanOutSpec::MinTimeoutMs, FanOutSpec::MaxTimeoutMs, defaults.timeoutMs, tr(" ms"),
        tr("Deadline for the whole fan-out: unfinished tasks are cancelled and reported timed_out"));
    m_timeout->setSingleStep(100);
    m_jitter = makeSpinBox(0, FanOutSpec::MaxJitterMs, defaults.jitterMs, tr(" ms"),
        tr("Each task's latency is drawn uniformly from latency ± jitter"));
    m_jitter->setSingleStep(50);
    m_failRate = new QDoubleSpinBox;
    m_failRate->setRange(0.0, 1.0);
    m_failRate->setDecimals(2);
    m_failRate->setSingleStep(0.05);
    m_failRate->setValue(defaults.failRate);
    m_failRate->setToolTip(tr("Probability that a task fails (an upstream 500 for kind http)"));
    m_kind = new QComboBox;
    for (TaskKind kind : { TaskKind::Timer, TaskKind::Http, TaskKind::Cpu })
        m_kind->addItem(taskKindName(kind), int(kind));
    m_kind->setItemData(0, tr("A timer in the event loop of the thread that runs the task (simulated I/O)"), Qt::ToolTipRole);
    m_kind->setItemData(1, tr("A real HTTP call to the upstream, which answers after the latency"), Qt::ToolTipRole);
    m_kind->setItemData(2, tr("CPU work for the latency, holding the thread that runs it"), Qt::ToolTipRole);
    m_kind->setToolTip(tr("What a task does while it takes its latency"));
    form->addRow(tr("&kind"), m_kind);
    form->addRow(tr("&tasks"), m_tasks);
    form->addRow(tr("&latency_ms"), m_latency);
    form->addRow(tr("&jitter_ms"), m_jitter);
    form->addRow(tr("&fail_rate"), m_failRate);
    form->addRow(tr("time&out_ms"), m_timeout);

    m_inFlightLabel = new QLabel;
    m_summary = new QLabel(tr("Press a route button: the answer shows here."));
    m_summary->setWordWrap(true);
    // Two lines always: a label that grows when its text does would make the JSON below jump.
    m_summary->setMinimumHeight(2 * m_summary->fontMetrics().lineSpacing() + 4);
    m_summary->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_response = new QPlainTextEdit;
    m_response->setReadOnly(true);
    m_response->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_response->setPlaceholderText(tr("Response JSON"));
    m_response->setToolTip(tr("The last response's JSON"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buttons);
    layout->addWidget(params);
    layout->addWidget(createCurlRow());
    layout->addWidget(m_inFlightLabel);
    layout->addWidget(m_summary);
    layout->addWidget(m_response, 1);
    updateInFlight();
    setCurlRoute(routes.contains(QStringLiteral("/async-worker")) || routes.isEmpty() ? QStringLiteral("/async-worker") : routes.constFirst());
}

QWidget *RequestPanel::createCurlRow()
{
    m_copyCurl = new QPushButton;
    m_copyCurl->setObjectName(QStringLiteral("copyCurl"));
    connect(m_copyCurl, &QPushButton::clicked, this, &RequestPanel::copyCurl);
    auto *row = new QWidget;
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_copyCurl);
    layout->addStretch(1);
    return row;
}

void RequestPanel::setCurlRoute(const QString &route)
{
    // The last route sent: what someone copying a command wants is the request they just
    // watched, to repeat it from a terminal. A route selector of its own would duplicate the
    // buttons above; each button's context menu copies its own route instead.
    m_curlRoute = route;
    m_copyCurl->setText(tr("Copy as curl: %1").arg(route));
    m_copyCurl->setToolTip(tr("Copy a curl command for %1 with these parameters (Ctrl+Shift+C). "
                              "Right-click a route button for its own.")
                               .arg(route));
}

QString RequestPanel::curlCommand(const QString &route) const
{
    // Single quotes keep & and ? from the shell; an encoded URL holds no quote of its own.
    return QStringLiteral("curl '%1'").arg(requestUrl(route).toString(QUrl::FullyEncoded));
}

void RequestPanel::copyCurl()
{
    QGuiApplication::clipboard()->setText(curlCommand(m_curlRoute));
}

FanOutSpec RequestPanel::spec() const
{
    FanOutSpec spec = m_spec; // what the controls do not show (a seed) passes through
    spec.tasks = m_tasks->value();
    spec.latencyMs = m_latency->value();
    spec.timeoutMs = m_timeout->value();
    spec.jitterMs = m_jitter->value();
    spec.failRate = m_failRate->value();
    spec.kind = TaskKind(m_kind->currentData().toInt());
    return spec;
}

void RequestPanel::setSpec(const FanOutSpec &spec)
{
    m_spec = spec;
    m_tasks->setValue(spec.tasks);
    m_latency->setValue(spec.latencyMs);
    m_timeout->setValue(spec.timeoutMs);
    m_jitter->setValue(spec.jitterMs);
    m_failRate->setValue(spec.failRate);
    m_kind->setCurrentIndex(m_kind->findData(int(spec.kind)));
}

QUrl RequestPanel::requestUrl(const QString &route) const
{
    QUrl url = m_serverUrl;
    url.setPath(route);
    url.setQuery(spec().toQuery());
    return url;
}

QPushButton *RequestPanel::button(const QString &route) const
{
    return m_buttons.value(route);
}

void RequestPanel::send(const QString &route)
{
    setCurlRoute(route);
    QNetworkRequest request(requestUrl(route));
    // The server answers by the deadline; past it plus a margin something is wrong.
    request.setTransferTimeout(spec().timeoutMs + 30000);
    QNetworkReply *reply = m_network.get(request);
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    ++m_inFlight;
    updateInFlight();
    connect(reply, &QNetworkReply::finished, this, [this, reply, route, clock] {
        reply->deleteLater();
        --m_inFlight;
        updateInFlight();
        const double clientMs = double(clock->nsecsElapsed()) / 1e6;
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!status.isValid()) {
            m_summary->setText(tr("%1 failed: %2").arg(route, reply->errorString()));
            Q_EMIT requestFailed(route, reply->errorString());
            return;
        }
        const QByteArray raw = reply->readAll();
        const QJsonObject body = QJsonDocument::fromJson(raw).object();
        showAnswer(route, status.toInt(), body, raw, clientMs);
        Q_EMIT responseReceived(route, status.toInt(), body, clientMs);
    });
}

void RequestPanel::showAnswer(const QString &route, int httpStatus, const QJsonObject &body, const QByteArray &raw, double clientMs)
{
    QString summary;
    if (httpStatus == 200) {
        int ok = 0, failed = 0, timedOut = 0;
        const QJsonArray tasks = body.value(QStringLiteral("tasks")).toArray();
        for (const QJsonValue &task : tasks) {
            const QString status = task.toObject().value(QStringLiteral("status")).toString();
            ok += status == QLatin1String("ok");
            failed += status == QLatin1String("failed");
            timedOut += status == QLatin1String("timed_out");
        }
        summary = tr("<b>%1 %2</b> → 200 in <b>%3 ms</b><br>server %4 ms · %5 ok, %6 failed, %7 timed out")
                      .arg(route, QStringLiteral("#") + QString::number(body.value(QStringLiteral("request_id")).toInteger()))
                      .arg(clientMs, 0, 'f', 1)
                      .arg(body.value(QStringLiteral("elapsed_ms")).toDouble(), 0, 'f', 1)
                      .arg(ok)
                      .arg(failed)
                      .arg(timedOut);
    } else {
        summary = tr("<b>%1</b> → %2 in %3 ms: %4")
                      .arg(route)
                      .arg(httpStatus)
                      .arg(clientMs, 0, 'f', 1)
                      .arg(body.value(QStringLiteral("error")).toString().toHtmlEscaped());
    }
    m_summary->setText(summary);
    QByteArray pretty = body.isEmpty() ? raw : QJsonDocument(body).toJson(QJsonDocument::Indented);
    if (pretty.size() > MaxShownBytes) {
        pretty.truncate(MaxShownBytes);
        pretty += "\n… (cut here: the whole answer is " + QByteArray::number(raw.size()) + " bytes)";
    }
    m_response->setPlainText(QString::fromUtf8(pretty));
}

void RequestPanel::updateInFlight()
{
    m_inFlightLabel->setText(m_inFlight == 0 ? tr("No request in flight.") : tr("%n request(s) in flight…", nullptr, m_inFlight));
}

QString RequestPanel::describe(const QString &route)
{
    if (route == QLatin1String("/sequential"))
        return tr("Tasks one after another on the worker thread: tasks × latency, cut at the deadline");
    if (route == QLatin1String("/async-scoped"))
        return tr("A QEventLoop made for this request on its worker thread, closed at the end");
    if (route == QLatin1String("/async-worker"))
        return tr("Tasks scheduled on the shared event-loop thread(s); the worker waits with the deadline");
    if (route == QLatin1String("/async-worker-simple"))
        return tr("As /async-worker, through the waitResults helper: only successful results");
    if (route == QLatin1String("/await-one"))
        return tr("One task through the awaitOne helper: 200 with its result, 504 at the deadline");
    if (route == QLatin1String("/thread-pool"))
        return tr("Each task blocks a thread of a QThreadPool; blocked tasks run on past the deadline");
    if (route == QLatin1String("/async-continuation"))
        return tr("No thread is held while waiting: the answer is a continuation of the tasks' future");
    return route;
}
