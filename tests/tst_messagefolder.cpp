// SPDX-License-Identifier: GPL-3.0-or-later
// MessageFolder lets the first of each message through and reports its repeats as one line.
#include "messagefolder.h"

#include <QtTest>

class TestMessageFolder : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void repeatsAreFoldedIntoOneLine();
    void differentTextsAllGoOut();
    void withNoWindowEveryRepeatGoesOut();
    void fatalIsNeverHeldBack();
    void theTextsFollowedAreBounded();

private:
    // A folder whose output is collected, installed as Qt's handler for the test.
    struct Collected
    {
        QStringList lines;
        MessageFolder::Sink sink()
        {
            return [this](QtMsgType, const QMessageLogContext &, const QString &text) {
                lines.append(text);
            };
        }
    };
};

void TestMessageFolder::repeatsAreFoldedIntoOneLine()
{
    Collected out;
    {
        MessageFolder folder(60000, out.sink());
        folder.install();
        for (int i = 0; i < 500; ++i)
            qWarning("QIODevice::peek (QTcpSocket): device not open");
        QCOMPARE(out.lines,
            QStringList { QStringLiteral("QIODevice::peek (QTcpSocket): device not open") });
    } // its end reports what it held back
    QCOMPARE(out.lines.size(), 2);
    QCOMPARE(out.lines.at(1),
        QStringLiteral(
            "QIODevice::peek (QTcpSocket): device not open (repeated 499 more times in 60 s)"));
}

void TestMessageFolder::differentTextsAllGoOut()
{
    Collected out;
    MessageFolder folder(60000, out.sink());
    folder.install();
    qWarning("one");
    qInfo("two");
    qWarning("one");
    qWarning("three");
    QCOMPARE(out.lines,
        (QStringList { QStringLiteral("one"), QStringLiteral("two"), QStringLiteral("three") }));
    folder.flush();
    QCOMPARE(out.lines.constLast(), QStringLiteral("one (repeated 1 more times in 60 s)"));
}

void TestMessageFolder::withNoWindowEveryRepeatGoesOut()
{
    Collected out;
    MessageFolder folder(0, out.sink()); // every window has ended by the next message
    folder.install();
    qWarning("again");
    qWarning("again");
    qWarning("again");
    QCOMPARE(out.lines,
        (QStringList {
            QStringLiteral("again"), QStringLiteral("again"), QStringLiteral("again") }));
}

void TestMessageFolder::fatalIsNeverHeldBack()
{
    Collected out;
    MessageFolder folder(60000, out.sink());
    folder.install();
    // Not through qFatal (it would end the test): the handler as Qt calls it.
    const QMessageLogContext context;
    QtMessageHandler handler = qInstallMessageHandler(nullptr);
    qInstallMessageHandler(handler);
    handler(QtFatalMsg, context, QStringLiteral("dying"));
    handler(QtFatalMsg, context, QStringLiteral("dying"));
    QCOMPARE(out.lines, (QStringList { QStringLiteral("dying"), QStringLiteral("dying") }));
}

void TestMessageFolder::theTextsFollowedAreBounded()
{
    Collected out;
    MessageFolder folder(60000, out.sink());
    folder.install();
    // Each text twice: past MaxTexts, the oldest is reported and forgotten to make room.
    for (int i = 0; i < MessageFolder::MaxTexts + 10; ++i) {
        qWarning("text %d", i);
        qWarning("text %d", i);
    }
    QCOMPARE(out.lines.count(QStringLiteral("text 0 (repeated 1 more times in 60 s)")), 1);
    QCOMPARE(out.lines.size(), MessageFolder::MaxTexts + 10 + 10);
}

QTEST_GUILESS_MAIN(TestMessageFolder)
#include "tst_messagefolder.moc"
