// fanscope: the window (or, headless, just the server) and its embedded HTTP server.
#include "commandline.h"
#include "fanoutstrategy.h"
#include "idletrimmer.h"
#include "loadcommand.h"
#include "mainwindow.h"
#include "messagefolder.h"
#include "scriptedrun.h"
#include "serverhost.h"
#include "signalwatcher.h"
#include "tracerecorder.h"

#include <QApplication>
#include <QIcon>
#include <QUrlQuery>

#include <cstdio>
#include <memory>
#include <sys/resource.h>

namespace {

bool hasDisplay()
{
    // An explicit platform (offscreen, xcb, wayland ...) is the user's call; otherwise a window
    // needs an X or Wayland display to open on.
    return qEnvironmentVariableIsSet("QT_QPA_PLATFORM") || !qEnvironmentVariableIsEmpty("DISPLAY")
        || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

QStringList argumentList(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    return arguments;
}

// Every upstream connection holds two sockets in this process (its own and the built-in
// upstream's side), up to --upstream-connections per thread, and load tools open hundreds more:
// the usual soft limit of 1024 descriptors is too low. Raise it to what the system allows.
void raiseFileLimit()
{
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

void print(FILE *stream, const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stream);
    std::fflush(stream);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication::setApplicationName(QStringLiteral("fanscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FANSCOPE_VERSION));
    QCoreApplication::setOrganizationName(QStringLiteral("Fanscope"));

    raiseFileLimit();
    IdleTrimmer::configureAllocator();
    // Before anything can warn: a warning Qt repeats per connection is printed once in 10 s.
    MessageFolder messages;
    messages.install();
    const QStringList arguments = argumentList(argc, argv);
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("load"))
        return LoadCommand::run(arguments);

    const CommandLine commandLine = CommandLine::parse(arguments);
    if (commandLine.exitCode) {
        print(*commandLine.exitCode == 0 ? stdout : stderr, commandLine.output);
        return *commandLine.exitCode;
    }
    AppOptions options = commandLine.options;
    if (!options.headless && !hasDisplay()) {
        if (!options.runPath.isEmpty()) {
            print(stderr,
                QStringLiteral("fanscope: --run needs a display (DISPLAY and WAYLAND_DISPLAY are "
                               "unset); try xvfb-run\n"));
            return 2;
        }
        print(stderr,
            QStringLiteral("fanscope: no display (DISPLAY and WAYLAND_DISPLAY are unset): starting "
                           "headless\n"));
        options.headless = true;
    }

    // Before any thread starts (Qt's, the server's), so that every thread inherits the block:
    // SIGINT and SIGTERM then wait for the SignalWatcher, whichever thread the kernel picks.
    SignalWatcher::blockStopSignals();
    std::unique_ptr<QCoreApplication> app;
    if (options.headless)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);

    TraceRecorder recorder(options.traceEvents);
    ServerHost server(recorder, options.server);
    QStringList routes;
    for (FanOutStrategy *strategy : server.strategies())
        routes.append(strategy->route());
    if (!options.runPath.isEmpty()) {
        // Checked before anything listens, so that a typo costs nothing.
        const QUrl run(options.runPath);
        if (!routes.contains(run.path())) {
            print(stderr,
                QStringLiteral("fanscope: --run: '%1' is not a fan-out route (%2)\n")
                    .arg(run.path(), routes.join(QStringLiteral(", "))));
            return 2;
        }
        const auto parsed = FanOutSpec::fromQuery(QUrlQuery(run));
        if (const auto *bad = std::get_if<SpecError>(&parsed)) {
            print(stderr, QStringLiteral("fanscope: --run: %1\n").arg(bad->message));
            return 2;
        }
    }
    QString error;
    if (!server.start(&error)) {
        print(stderr,
            QStringLiteral("fanscope: cannot listen on %1 port %2: %3\n")
                .arg(options.server.address.toString())
                .arg(options.server.port)
                .arg(error));
        return 1;
    }
    // Before "listening on": whoever waits for that line to start (or stop) us may send SIGTERM
    // at once, and must get an orderly stop, not the default death.
    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::terminationRequested, app.get(),
        [](int) { QCoreApplication::quit(); });
    print(stdout, QStringLiteral("listening on %1\n").arg(server.url().toString()));
    if (server.listensBeyondLoopback())
        print(stderr, QStringLiteral("fanscope: warning: %1\n").arg(server.exposureWarning()));

    std::unique_ptr<MainWindow> window;
    if (!options.headless) {
        QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/fanscope.svg")));
        // Ties the window to the installed fanscope.desktop (Wayland shells take the icon from it).
        QGuiApplication::setDesktopFileName(QStringLiteral("fanscope"));
        const QString summary = QObject::tr("%n worker(s)", nullptr, options.server.workers)
            + QStringLiteral(" · ")
            + QObject::tr("%n loop thread(s)", nullptr, options.server.loopThreads);
        window = std::make_unique<MainWindow>(recorder, server.url(), routes, summary);
        if (server.listensBeyondLoopback())
            window->showExposureWarning(server.exposureWarning());
        window->setServerLoadProvider([&server] { return server.load(); });
        if (options.screenshotFile.isEmpty())
            window->restoreSettings();
        window->show();
        if (!options.runPath.isEmpty()) {
            const QUrl run(options.runPath);
            const FanOutSpec spec = std::get<FanOutSpec>(FanOutSpec::fromQuery(QUrlQuery(run)));
            auto *scripted
                = new ScriptedRun(window.get(), run.path(), spec, options.screenshotFile);
            QObject::connect(scripted, &ScriptedRun::finished, app.get(),
                [](int code) { QCoreApplication::exit(code); });
            scripted->start();
        }
    }

    const int code = app->exec();
    if (window && options.screenshotFile.isEmpty())
        window->saveSettings();
    window.reset();
    server.stop();
    return code;
}
