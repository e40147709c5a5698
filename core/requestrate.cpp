#include "requestrate.h"

#include "tracerecorder.h"

RequestRate::RequestRate(TraceRecorder &recorder)
    : m_recorder(recorder)
    , m_lastSeq(recorder.lastSeq())
{
}

double RequestRate::sample(qint64 nowNs)
{
    const QVector<TraceEvent> events = m_recorder.eventsSince(m_lastSeq);
    for (const TraceEvent &event : events) {
        if (event.type == TraceEvent::Type::RequestEnded)
            m_endsNs.push_back(event.timeNs);
    }
    if (!events.isEmpty())
        m_lastSeq = events.constLast().seq;
    while (!m_endsNs.empty() && m_endsNs.front() <= nowNs - WindowNs)
        m_endsNs.pop_front();
    return double(m_endsNs.size()) * 1e9 / double(WindowNs);
}
