#include "loadcommand.h"

#include "loadgenerator.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <unistd.h>

namespace {

constexpr int UsageError = 2;

void print(FILE *stream, const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stream);
    std::fflush(stream);
}

int usageError(const QString &message)
{
    print(stderr, QStringLiteral("fanscope load: %1\nTry 'fanscope load --help'.\n").arg(message));
    return UsageError;
}

// A progress bar on stderr, redrawn in place: only on a terminal, and only once the run has
// taken a moment, so that quick runs and pipes stay clean.
class ProgressBar
{
public:
    explicit ProgressBar(int total)
        : m_total(total)
        , m_enabled(isatty(STDERR_FILENO))
    {
        m_clock.start();
    }
    void update(int done)
    {
        if (!m_enabled || m_clock.elapsed() < 1000)
            return;
        constexpr int Width = 40;
        const int filled = m_total > 0 ? Width * done / m_total : Width;
        std::fprintf(stderr, "\r  [%s%s] %d/%d requests", QByteArray(filled, '=').constData(),
            QByteArray(Width - filled, ' ').constData(), done, m_total);
        std::fflush(stderr);
        m_drawn = true;
    }
    void finish()
    {
        if (m_drawn)
            std::fputs("\r\033[K", stderr);
    }

private:
    int m_total;
    bool m_enabled;
    bool m_drawn = false;
    QElapsedTimer m_clock;
};

} // namespace

int LoadCommand::run(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Fires REQUESTS GET requests at URL keeping CONCURRENCY in flight, then prints a summary:\n"
        "total time, requests/s, latency percentiles and histogram, status codes, errors."));
    const QCommandLineOption help({ QStringLiteral("h"), QStringLiteral("help") }, QStringLiteral("Show this help and exit."));
    const QCommandLineOption requests(QStringLiteral("n"), QStringLiteral("Requests to send (default 1)."), QStringLiteral("REQUESTS"), QStringLiteral("1"));
    const QCommandLineOption concurrency(QStringLiteral("c"), QStringLiteral("Requests in flight at once (default: all of them)."), QStringLiteral("CONCURRENCY"));
    const QCommandLineOption timeout(QStringLiteral("timeout"), QStringLiteral("Give up on a request after MS milliseconds (default: never)."), QStringLiteral("MS"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("End with one line of JSON with the figures."));
    const QCommandLineOption printData(QStringLiteral("print"), QStringLiteral("Print each response's data entries, as the original load script did."));
    parser.addOptions({ help, requests, concurrency, timeout, json, printData });
    parser.addPositionalArgument(QStringLiteral("URL"), QStringLiteral("e.g. http://127.0.0.1:6543/async-worker"));

    QStringList args = arguments;
    args.removeAt(1); // "load"
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet(help)) {
        print(stdout, parser.helpText().replace(QStringLiteral("<executable_name>"), QStringLiteral("fanscope load")));
        return 0;
    }
    if (parser.positionalArguments().size() != 1)
        return usageError(parser.positionalArguments().isEmpty() ? QStringLiteral("a URL is needed") : QStringLiteral("only one URL, please"));

    LoadConfig config;
    config.url = QUrl(parser.positionalArguments().constFirst(), QUrl::StrictMode);
    if (const QString problem = LoadGenerator::checkUrl(config.url); !problem.isEmpty())
        return usageError(problem);
    bool ok = false;
    config.requests = parser.value(requests).toInt(&ok);
    if (!ok || config.requests < 1 || config.requests > 100000000)
        return usageError(QStringLiteral("-n: expected a number of requests from 1 up, got '%1'").arg(parser.value(requests)));
    config.concurrency = config.requests;
    if (parser.isSet(concurrency)) {
        config.concurrency = parser.value(concurrency).toInt(&ok);
        if (!ok || config.concurrency < 1)
            return usageError(QStringLiteral("-c: expected a concurrency from 1 up, got '%1'").arg(parser.value(concurrency)));
    }
    if (parser.isSet(timeout)) {
        config.timeoutMs = parser.value(timeout).toInt(&ok);
        if (!ok || config.timeoutMs < 1)
            return usageError(QStringLiteral("--timeout: expected milliseconds from 1 up, got '%1'").arg(parser.value(timeout)));
    }

    LoadGenerator generator(config);
    ProgressBar progress(config.requests);
    const bool wantData = parser.isSet(printData);
    const LoadReport report = generator.run(
        [wantData](int, const QByteArray &body) {
            if (!wantData)
                return;
            const QJsonValue data = QJsonDocument::fromJson(body).object().value(QStringLiteral("data"));
            const QByteArray line = data.isArray() ? QJsonDocument(data.toArray()).toJson(QJsonDocument::Compact) : body.left(200);
            std::printf("%s\n", line.constData());
        },
        [&progress](int done) { progress.update(done); });
    progress.finish();

    print(stdout, report.toText());
    if (parser.isSet(json))
        print(stdout, QString::fromUtf8(QJsonDocument(report.toJson()).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
    if (report.answered() == 0) {
        const QString why = report.errorCounts.isEmpty() ? QStringLiteral("no answer") : report.errorCounts.firstKey();
        print(stderr, QStringLiteral("fanscope load: no request was answered (%1): is the server at %2 running?\n").arg(why, config.url.toString(QUrl::RemovePath | QUrl::RemoveQuery)));
        return 1;
    }
    return 0;
}
