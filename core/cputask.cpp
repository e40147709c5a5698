#include "cputask.h"

#include "fanin.h"
#include "tracerecorder.h"

namespace {

// About 20 µs of arithmetic on this machine: short enough that a cancelled task stops promptly,
// long enough that the checks cost nothing.
quint64 computeSlice(quint64 state)
{
    for (int i = 0; i < 4096; ++i) {
        // xorshift64*: cheap, and its result depends on every step.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state *= 0x2545F4914F6CDD1DULL;
    }
    return state;
}

} // namespace

CpuTask::CpuTask(std::shared_ptr<FanIn> fanIn, int index, QObject *parent)
    : Task(std::move(fanIn), index, parent)
{
}

void CpuTask::start()
{
    TraceRecorder &recorder = fanIn().recorder();
    const qint64 until = recorder.now() + plan().latencyNs;
    quint64 state = quint64(index()) * 0x9E3779B97F4A7C15ULL + 1;
    while (recorder.now() < until) {
        // Stopping here still reports (TimedOut, which the fan-in ignores if it has given up
        // already), so that whoever waits for finished() is never left waiting.
        if (isStoppable() && (fanIn().isGivenUp(index()) || fanIn().deadline().hasExpired())) {
            complete(TaskStatus::TimedOut, QStringLiteral("stopped at the deadline"));
            return;
        }
        if (fanIn().isAborted()) {
            complete(TaskStatus::TimedOut, QStringLiteral("stopped: the server is stopping"));
            return;
        }
        state = computeSlice(state);
    }
    m_checksum = state;
    if (plan().fails)
        complete(TaskStatus::Failed, QStringLiteral("simulated failure"));
    else
        complete(TaskStatus::Ok);
}
