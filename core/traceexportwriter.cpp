#include "traceexportwriter.h"

#include <QIODevice>

TraceExportWriter::TraceExportWriter(
    std::shared_ptr<const TraceExport> trace, TraceExport::Format format)
    : m_trace(std::move(trace))
    , m_format(format)
{
    if (m_format == TraceExport::Format::ChromeTrace)
        m_overlapping = m_trace->overlappingGroups();
}

std::unique_ptr<TraceExportWriter> TraceExportWriter::fromRecorder(
    TraceRecorder &recorder, TraceExport::Format format)
{
    return std::make_unique<TraceExportWriter>(
        std::make_shared<const TraceExport>(TraceExport::fromRecorder(recorder)), format);
}

QByteArray TraceExportWriter::next(qint64 pieceBytes)
{
    const bool chrome = m_format == TraceExport::Format::ChromeTrace;
    QByteArray piece;
    switch (m_stage) {
    case Stage::Head:
        m_stage = Stage::Spans;
        piece = chrome ? m_trace->chromeTraceHead() : TraceExport::csvHead();
        break;
    case Stage::Spans: {
        const QVector<TraceExport::Span> &spans = m_trace->spans();
        piece.reserve(pieceBytes + 1024);
        while (m_nextSpan < spans.size() && piece.size() < pieceBytes) {
            const TraceExport::Span &span = spans.at(m_nextSpan++);
            if (chrome)
                m_trace->appendChromeEvents(span, m_overlapping, &piece);
            else
                piece += m_trace->csvLine(span);
        }
        if (m_nextSpan < spans.size())
            break;
        m_stage = Stage::Tail;
        if (!piece.isEmpty())
            break;
        [[fallthrough]]; // no span had anything to write: never hand out an empty piece early
    }
    case Stage::Tail:
        m_stage = Stage::Done;
        if (chrome)
            piece = TraceExport::chromeTraceTail();
        else if (piece.isEmpty())
            return next(pieceBytes);
        break;
    case Stage::Done:
        break;
    }
    return piece;
}

bool TraceExportWriter::writeTo(QIODevice &device)
{
    while (!atEnd()) {
        const QByteArray piece = next();
        if (!piece.isEmpty() && device.write(piece) != piece.size())
            return false;
    }
    return true;
}
