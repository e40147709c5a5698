#pragma once

// Requests answered per second, counted from a TraceRecorder's RequestEnded events over the last
// second. It reads only what was published since its last look, with its own cursor, so the
// writers never wait for it and nothing else is slowed down.
#include <QtGlobal>

#include <deque>

class TraceRecorder;

class RequestRate
{
public:
    static constexpr qint64 WindowNs = 1000000000;

    // Counts from what the recorder publishes from now on.
    explicit RequestRate(TraceRecorder &recorder);

    // Takes in what was published since the last call; returns the requests that ended in the
    // second up to nowNs (on the recorder's clock), per second.
    double sample(qint64 nowNs);

private:
    TraceRecorder &m_recorder;
    quint64 m_lastSeq = 0;
    std::deque<qint64> m_endsNs; // ends within the window, oldest first
};
