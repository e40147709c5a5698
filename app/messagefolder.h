#pragma once

// Folds repeats of a log message: the first of each text goes out, the next ones within a window
// are counted and reported as one line when the window ends.
//
// Under attack Qt itself warns once per event (libQt6WebSockets prints "QIODevice::peek
// (QTcpSocket): device not open" for every upgraded connection a client resets: hundreds a
// minute under bench_abuse). Each line is a write to stderr from the server's thread, and a
// stderr pipe that no one reads would in the end block that thread. Installed once, as Qt's
// message handler, in front of the one that was there.
#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QString>

#include <functional>

class MessageFolder
{
public:
    using Sink = std::function<void(QtMsgType, const QMessageLogContext &, const QString &)>;

    // `sink` gets what goes out; by default, the message handler installed before.
    explicit MessageFolder(int windowMs = 10000, Sink sink = {});
    ~MessageFolder(); // puts the previous handler back
    MessageFolder(const MessageFolder &) = delete;
    MessageFolder &operator=(const MessageFolder &) = delete;

    // Becomes Qt's message handler (one folder at a time).
    void install();
    // Reports every count still open (the process is ending).
    void flush();

    // The distinct texts followed at once; past it the oldest window is closed early.
    static constexpr int MaxTexts = 256;

private:
    struct Window
    {
        qint64 startMs = 0;
        quint64 order = 0; // which came first, when several started in the same millisecond
        int folded = 0; // repeats not printed
        QtMsgType type = QtWarningMsg;
    };
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &text);
    void take(QtMsgType type, const QMessageLogContext &context, const QString &text);
    void report(const QString &text, const Window &window);
    void forward(QtMsgType type, const QMessageLogContext &context, const QString &text);

    const int m_windowMs;
    Sink m_sink;
    QtMessageHandler m_previous = nullptr;
    bool m_installed = false;
    QMutex m_mutex;
    QElapsedTimer m_clock;
    QHash<QString, Window> m_windows;
    quint64 m_started = 0;
};
