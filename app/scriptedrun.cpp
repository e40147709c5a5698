#include "scriptedrun.h"

#include "mainwindow.h"
#include "requestpanel.h"
#include "serverloadlabel.h"
#include "timelinemodel.h"
#include "timelineview.h"

#include <QCoreApplication>
#include <QJsonObject>

#include <cstdio>

ScriptedRun::ScriptedRun(MainWindow *window, const QString &route, const FanOutSpec &spec, const QString &screenshotFile)
    : QObject(window)
    , m_window(window)
    , m_route(route)
    , m_spec(spec)
    , m_screenshotFile(screenshotFile)
{
}

void ScriptedRun::start()
{
    RequestPanel *panel = m_window->requestPanel();
    panel->setSpec(m_spec);
    connect(panel, &RequestPanel::responseReceived, this,
        [this](const QString &route, int status, const QJsonObject &body) { onAnswered(route, status, body); });
    connect(panel, &RequestPanel::requestFailed, this, [this](const QString &, const QString &error) {
        std::fprintf(stderr, "fanscope: --run %s failed: %s\n", qPrintable(m_route), qPrintable(error));
        Q_EMIT finished(1);
    });
    panel->send(m_route);
}

void ScriptedRun::onAnswered(const QString &route, int httpStatus, const QJsonObject &body)
{
    if (route != m_route || m_requestId != 0)
        return;
    if (httpStatus != 200) {
        std::fprintf(stderr, "fanscope: --run %s answered %d\n", qPrintable(m_route), httpStatus);
        Q_EMIT finished(1);
        return;
    }
    m_requestId = quint64(body.value(QStringLiteral("request_id")).toInteger());
    // The answer can arrive a moment before the trace reaches the window.
    TimelineModel *model = m_window->timelineModel();
    connect(model, &TimelineModel::spansChanged, this, &ScriptedRun::captureWhenDrawn);
    captureWhenDrawn();
}

void ScriptedRun::captureWhenDrawn()
{
    TimelineModel *model = m_window->timelineModel();
    const auto request = model->request(m_requestId);
    if (!request || request->request.isOpen())
        return;
    disconnect(model, nullptr, this, nullptr);
    m_window->timelineView()->zoomToFit();
    if (m_screenshotFile.isEmpty())
        return;
    // Charts and other graphics views apply their changes from the event loop: let them, then
    // grab() paints the window now.
    QCoreApplication::processEvents();
    m_window->serverLoadLabel()->refresh(); // the figures as of the answer, not up to 250 ms before
    if (!m_window->saveScreenshot(m_screenshotFile)) {
        std::fprintf(stderr, "fanscope: cannot write the screenshot to %s\n", qPrintable(m_screenshotFile));
        Q_EMIT finished(1);
        return;
    }
    // The picture has the window's size in device pixels: twice as wide at a 2x scale.
    std::printf("screenshot saved to %s (%dx%d window at device pixel ratio %g)\n", qPrintable(m_screenshotFile),
        m_window->width(), m_window->height(), m_window->devicePixelRatioF());
    std::fflush(stdout);
    Q_EMIT finished(0);
}
