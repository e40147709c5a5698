#pragma once

// Writes a trace export a piece at a time, so that its size costs no memory: the server sends
// each piece as the client's socket drains, and File > Export writes each piece to the file.
//
// It works from one snapshot of the recorder (the spans, made once; about 40 bytes an event), not
// from the recorder itself, so it holds no lock while it writes and sees no event that came after
// the export began. Its pieces together are byte for byte TraceExport::bytes() of that snapshot.
#include "traceexport.h"

#include <QByteArray>
#include <QSet>

#include <memory>

class QIODevice;
class TraceRecorder;

class TraceExportWriter
{
public:
    // About this much per piece: a piece ends after the span that takes it past this.
    static constexpr qint64 DefaultPieceBytes = 64 * 1024;

    TraceExportWriter(std::shared_ptr<const TraceExport> trace, TraceExport::Format format);
    // A snapshot of everything the recorder holds now. Slow for a full history: not on a thread
    // that must stay responsive.
    static std::unique_ptr<TraceExportWriter> fromRecorder(
        TraceRecorder &recorder, TraceExport::Format format);

    // The next piece, at least one byte long; empty once everything has been written.
    QByteArray next(qint64 pieceBytes = DefaultPieceBytes);
    bool atEnd() const { return m_stage == Stage::Done; }
    int spanCount() const { return int(m_trace->spans().size()); }

    // Writes all of it to the device, a piece at a time. Returns false if a write failed.
    bool writeTo(QIODevice &device);

private:
    enum class Stage
    {
        Head,
        Spans,
        Tail,
        Done
    };

    std::shared_ptr<const TraceExport> m_trace;
    const TraceExport::Format m_format;
    QSet<QPair<int, bool>> m_overlapping; // Chrome trace only
    Stage m_stage = Stage::Head;
    qsizetype m_nextSpan = 0;
};
