// TraceExportWriter: the trace exports written a piece at a time are, put together, exactly the
// documents TraceExport makes whole (Chrome trace and CSV), whatever the piece size; each piece is
// about the size asked; and the writer works from its snapshot, not from what the recorder
// records afterwards.
#include "traceexport.h"
#include "traceexportwriter.h"
#include "tracerecorder.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

class TestTraceExportWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void piecesMakeTheWholeDocument_data();
    void piecesMakeTheWholeDocument();
    void piecesAreAboutTheSizeAsked();
    void emptyTimelineIsAValidDocument();
    void writesItsSnapshotOnly();

private:
    // Requests on a worker lane, each with tasks on a loop lane that overlap (async events), some
    // still running, one given up on that ran on: every shape the exports know.
    static void record(TraceRecorder &recorder, int requests);
    static QByteArray writeAll(
        TraceExportWriter &writer, qint64 pieceBytes, QList<qsizetype> *sizes = nullptr);
};

void TestTraceExportWriter::record(TraceRecorder &recorder, int requests)
{
    const int route = recorder.routeId(QStringLiteral("/async-worker"));
    const int loop
        = recorder.virtualLane(ThreadKind::NoThread, QStringLiteral("waiting, \"no thread\""));
    recorder.registerCurrentThread(ThreadKind::Worker);
    for (int r = 0; r < requests; ++r) {
        const quint64 id = recorder.requestStarted(route, 1000, 3);
        const qint64 t = recorder.now();
        for (int task = 0; task < 3; ++task)
            recorder.taskStarted(id, task, TaskKind::Timer, t + task);
        recorder.taskEnded(id, 0, loop, TaskStatus::Ok, t + 10);
        recorder.taskEnded(id, 1, loop, TaskStatus::TimedOut, t + 20, true);
        recorder.taskReleased(id, 1, loop, t + 40);
        if (r % 7 != 0) { // every seventh stays open, task 2 with it
            recorder.taskEnded(id, 2, loop, TaskStatus::Failed, t + 30);
            recorder.requestEnded(id, r % 5 == 0 ? TraceEvent::AbandonedStatus : 200);
        }
    }
    recorder.flush();
}

QByteArray TestTraceExportWriter::writeAll(
    TraceExportWriter &writer, qint64 pieceBytes, QList<qsizetype> *sizes)
{
    QByteArray all;
    for (QByteArray piece = writer.next(pieceBytes); !piece.isEmpty();
         piece = writer.next(pieceBytes)) {
        all += piece;
        if (sizes)
            sizes->append(piece.size());
    }
    return all;
}

void TestTraceExportWriter::piecesMakeTheWholeDocument_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<qint64>("pieceBytes");
    QTest::newRow("chrome, 1 byte") << int(TraceExport::Format::ChromeTrace) << qint64(1);
    QTest::newRow("chrome, 1 KiB") << int(TraceExport::Format::ChromeTrace) << qint64(1024);
    QTest::newRow("chrome, default")
        << int(TraceExport::Format::ChromeTrace) << TraceExportWriter::DefaultPieceBytes;
    QTest::newRow("csv, 1 byte") << int(TraceExport::Format::Csv) << qint64(1);
    QTest::newRow("csv, 1 KiB") << int(TraceExport::Format::Csv) << qint64(1024);
    QTest::newRow("csv, default") << int(TraceExport::Format::Csv)
                                  << TraceExportWriter::DefaultPieceBytes;
}

void TestTraceExportWriter::piecesMakeTheWholeDocument()
{
    QFETCH(int, format);
    QFETCH(qint64, pieceBytes);
    TraceRecorder recorder;
    record(recorder, 300);
    const auto trace = std::make_shared<const TraceExport>(TraceExport::fromRecorder(recorder));
    TraceExportWriter writer(trace, TraceExport::Format(format));
    const QByteArray written = writeAll(writer, pieceBytes);
    QVERIFY(writer.atEnd());
    QVERIFY(writer.next().isEmpty());
    QCOMPARE(written, trace->bytes(TraceExport::Format(format)));
    if (TraceExport::Format(format) == TraceExport::Format::ChromeTrace) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(written, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(document.object().value(QStringLiteral("displayTimeUnit")).toString(),
            QStringLiteral("ms"));
        // 300 requests and 900 tasks, one task of each request ran on; async pairs on the loop
        // lane.
        int spans = 0;
        for (const QJsonValue &event :
            document.object().value(QStringLiteral("traceEvents")).toArray()) {
            const QString ph = event[QStringLiteral("ph")].toString();
            spans += ph == QLatin1String("X") || ph == QLatin1String("b");
        }
        QCOMPARE(spans, 300 + 900 + 300);
    } else {
        QCOMPARE(written.count('\n'), 1 + 300 + 900);
    }
}

void TestTraceExportWriter::piecesAreAboutTheSizeAsked()
{
    TraceRecorder recorder;
    record(recorder, 2000);
    for (const auto format : { TraceExport::Format::ChromeTrace, TraceExport::Format::Csv }) {
        const std::unique_ptr<TraceExportWriter> writer
            = TraceExportWriter::fromRecorder(recorder, format);
        QList<qsizetype> sizes;
        const QByteArray all = writeAll(*writer, 4096, &sizes);
        QVERIFY(sizes.size() > all.size() / 8192); // pieces, not the document at once
        for (qsizetype size : std::as_const(sizes))
            QVERIFY2(size > 0 && size < 4096 + 2048,
                qPrintable(QString::number(size))); // one span's events more at most
    }
}

void TestTraceExportWriter::emptyTimelineIsAValidDocument()
{
    TraceRecorder recorder;
    const std::unique_ptr<TraceExportWriter> chrome
        = TraceExportWriter::fromRecorder(recorder, TraceExport::Format::ChromeTrace);
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(writeAll(*chrome, 64), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(document.object().value(QStringLiteral("traceEvents")).isArray());
    const std::unique_ptr<TraceExportWriter> csv
        = TraceExportWriter::fromRecorder(recorder, TraceExport::Format::Csv);
    QCOMPARE(writeAll(*csv, 64), TraceExport::csvHead());
}

void TestTraceExportWriter::writesItsSnapshotOnly()
{
    TraceRecorder recorder;
    record(recorder, 100);
    const std::unique_ptr<TraceExportWriter> writer
        = TraceExportWriter::fromRecorder(recorder, TraceExport::Format::Csv);
    const QByteArray first = writer->next(1024);
    record(recorder, 100); // while it is being written
    const QByteArray all = first + writeAll(*writer, 1024);
    QCOMPARE(all.count('\n'), 1 + 100 * 4);
    QCOMPARE(writer->spanCount(), 100 * 4);
    // And through a device, as File > Export writes it.
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(TraceExportWriter::fromRecorder(recorder, TraceExport::Format::Csv)->writeTo(buffer));
    QCOMPARE(buffer.data().count('\n'), 1 + 200 * 4);
}

QTEST_GUILESS_MAIN(TestTraceExportWriter)
#include "tst_traceexportwriter.moc"
