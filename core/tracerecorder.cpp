#include "tracerecorder.h"

#include <QMutexLocker>
#include <QThread>

namespace {

std::atomic<quint64> s_nextSerial { 1 };

// The current thread's lane in each recorder it has recorded into. Thread-local rather than keyed
// by thread id, because ids are reused: a new thread must not inherit a finished one's lane.
// The last one used is looked at first, since a thread records into one recorder almost always.
struct LaneEntry
{
    quint64 recorderSerial = 0;
    int lane = -1;
};
thread_local LaneEntry t_lastLane;
thread_local std::vector<LaneEntry> t_lanes;

int cachedLane(quint64 serial)
{
    if (t_lastLane.recorderSerial == serial)
        return t_lastLane.lane;
    for (const LaneEntry &entry : t_lanes) {
        if (entry.recorderSerial == serial) {
            t_lastLane = entry;
            return entry.lane;
        }
    }
    return -1;
}

} // namespace

struct TraceRecorder::Slot
{
    qint64 timeNs;
    quint64 requestId;
    // What the type says: the route (RequestStarted), the HTTP status (RequestEnded), the task
    // index (task events). Each event sets only its type's fields; the others keep TraceEvent's
    // defaults, so nothing is lost in sharing them.
    qint32 subject;
    qint32 timeoutMs;
    qint32 taskCount;
    qint32 lane : 20;
    quint32 type : 3;
    quint32 status : 4;
    quint32 kind : 4;
    quint32 outlives : 1;

    static Slot from(const TraceEvent &event)
    {
        static_assert(sizeof(Slot) == 32, "a ring slot is 32 bytes");
        Q_ASSERT(event.lane >= -(1 << 19) && event.lane < (1 << 19));
        Slot slot;
        slot.timeNs = event.timeNs;
        slot.requestId = event.requestId;
        switch (event.type) {
        case TraceEvent::Type::RequestStarted:
            slot.subject = event.route;
            break;
        case TraceEvent::Type::RequestEnded:
            slot.subject = event.httpStatus;
            break;
        default:
            slot.subject = event.task;
        }
        slot.timeoutMs = event.timeoutMs;
        slot.taskCount = event.taskCount;
        slot.lane = event.lane;
        slot.type = quint32(event.type);
        slot.status = quint32(event.status);
        slot.kind = quint32(event.kind);
        slot.outlives = event.outlives ? 1 : 0;
        return slot;
    }

    TraceEvent event(quint64 seq) const
    {
        TraceEvent event;
        event.seq = seq;
        event.timeNs = timeNs;
        event.requestId = requestId;
        event.type = TraceEvent::Type(type);
        switch (event.type) {
        case TraceEvent::Type::RequestStarted:
            event.route = subject;
            break;
        case TraceEvent::Type::RequestEnded:
            event.httpStatus = qint16(subject);
            break;
        default:
            event.task = subject;
        }
        event.timeoutMs = timeoutMs;
        event.taskCount = taskCount;
        event.lane = lane;
        event.status = TaskStatus(status);
        event.kind = TaskKind(kind);
        event.outlives = outlives != 0;
        return event;
    }
};

TraceRecorder::TraceRecorder(int capacity, QObject *parent)
    : QObject(parent)
    , m_capacity(std::max(1, capacity))
    , m_serial(s_nextSerial.fetch_add(1))
{
    m_clock.start();
    m_inbox.reserve(1024);
    m_spare.reserve(1024);
    m_flushPeriod.setSingleShot(true);
    m_flushPeriod.setInterval(FlushPeriodMs);
    connect(&m_flushPeriod, &QTimer::timeout, this, &TraceRecorder::flushPeriodEnded);
}

TraceRecorder::~TraceRecorder() = default;

int TraceRecorder::registerCurrentThread(ThreadKind kind)
{
    if (const int cached = cachedLane(m_serial); cached >= 0)
        return cached;

    ThreadLane lane;
    {
        QMutexLocker locker(&m_namesMutex);
        lane.id = int(m_lanes.size());
        lane.kind = kind;
        lane.ordinal = 1
            + int(std::count_if(m_lanes.cbegin(), m_lanes.cend(),
                [kind](const ThreadLane &l) { return l.kind == kind; }));
        lane.name = threadKindName(kind) + QLatin1Char('-') + QString::number(lane.ordinal);
        m_lanes.append(lane);
    }
    // Name the QThread too (debuggers, Qt's own warnings) unless someone already did.
    if (QThread *current = QThread::currentThread(); current->objectName().isEmpty())
        current->setObjectName(lane.name);
    t_lastLane = { m_serial, lane.id };
    t_lanes.push_back(t_lastLane);
    return lane.id;
}

int TraceRecorder::currentLane()
{
    if (const int cached = cachedLane(m_serial); cached >= 0)
        return cached;
    return registerCurrentThread(ThreadKind::Other);
}

int TraceRecorder::virtualLane(ThreadKind kind, const QString &name)
{
    QMutexLocker locker(&m_namesMutex);
    for (const ThreadLane &lane : std::as_const(m_lanes)) {
        if (lane.name == name)
            return lane.id;
    }
    ThreadLane lane;
    lane.id = int(m_lanes.size());
    lane.kind = kind;
    lane.ordinal = 1;
    lane.name = name;
    m_lanes.append(lane);
    return lane.id;
}

QVector<ThreadLane> TraceRecorder::lanes() const
{
    QMutexLocker locker(&m_namesMutex);
    // A list of its own, not one sharing our buffer: Qt's implicit sharing tells "shared" from
    // "ours alone" with a relaxed load, so a reader detaching its copy on one thread while a
    // writer grows ours on another is a data race (ThreadSanitizer saw it in the shutdown test).
    return QVector<ThreadLane>(m_lanes.cbegin(), m_lanes.cend());
}

ThreadLane TraceRecorder::lane(int id) const
{
    QMutexLocker locker(&m_namesMutex);
    return id >= 0 && id < m_lanes.size() ? m_lanes.at(id) : ThreadLane {};
}

int TraceRecorder::routeId(const QString &route)
{
    QMutexLocker locker(&m_namesMutex);
    int id = int(m_routes.indexOf(route));
    if (id < 0) {
        id = int(m_routes.size());
        m_routes.append(route);
    }
    return id;
}

QString TraceRecorder::routeName(int id) const
{
    QMutexLocker locker(&m_namesMutex);
    return m_routes.value(id);
}

QStringList TraceRecorder::routes() const
{
    QMutexLocker locker(&m_namesMutex);
    return QStringList(m_routes.cbegin(), m_routes.cend()); // not shared: see lanes()
}

quint64 TraceRecorder::requestStarted(int route, int timeoutMs, int taskCount, int lane)
{
    TraceEvent event;
    event.type = TraceEvent::Type::RequestStarted;
    event.timeNs = now();
    event.requestId = m_nextRequestId.fetch_add(1, std::memory_order_relaxed);
    event.lane = lane >= 0 ? lane : currentLane();
    event.route = route;
    event.timeoutMs = timeoutMs;
    event.taskCount = taskCount;
    record(event);
    return event.requestId;
}

void TraceRecorder::requestEnded(quint64 requestId, int httpStatus)
{
    TraceEvent event;
    event.type = TraceEvent::Type::RequestEnded;
    event.timeNs = now();
    event.requestId = requestId;
    // Where the answer was made, if that thread has a lane. A request is drawn on its start's
    // lane; a thread that only ends requests (the deadline timers) gets no empty lane of its own.
    event.lane = cachedLane(m_serial);
    event.httpStatus = qint16(httpStatus);
    record(event);
}

void TraceRecorder::taskStarted(quint64 requestId, int task, TaskKind kind, qint64 timeNs)
{
    TraceEvent event;
    event.type = TraceEvent::Type::TaskStarted;
    event.timeNs = timeNs;
    event.requestId = requestId;
    event.lane = currentLane();
    event.task = task;
    event.kind = kind;
    record(event);
}

void TraceRecorder::taskEnded(
    quint64 requestId, int task, int lane, TaskStatus status, qint64 timeNs, bool outlives)
{
    TraceEvent event;
    event.type = TraceEvent::Type::TaskEnded;
    event.timeNs = timeNs;
    event.requestId = requestId;
    event.lane = lane;
    event.task = task;
    event.status = status;
    event.outlives = outlives;
    record(event);
}

void TraceRecorder::taskReleased(quint64 requestId, int task, int lane, qint64 timeNs)
{
    TraceEvent event;
    event.type = TraceEvent::Type::TaskReleased;
    event.timeNs = timeNs;
    event.requestId = requestId;
    event.lane = lane;
    event.task = task;
    record(event);
}

void TraceRecorder::record(const TraceEvent &event)
{
    {
        QMutexLocker locker(&m_inboxMutex);
        m_inbox.push_back(event);
    }
    // One queued flush at a time, however many writers, and none for FlushPeriodMs after one:
    // the period's end clears the flag before it takes the inbox, so an event pushed after that
    // always finds the flag clear or a flush still to come. Readers' own flushes leave the flag
    // alone, or every read would make the next write post an event.
    if (!m_flushRequested.load(std::memory_order_relaxed)
        && !m_flushRequested.exchange(true, std::memory_order_acq_rel))
        QMetaObject::invokeMethod(this, &TraceRecorder::flushRequested, Qt::QueuedConnection);
}

void TraceRecorder::flushRequested()
{
    flush();
    // The flag stays set: what is recorded meanwhile waits for the period's end.
    m_flushPeriod.start();
}

void TraceRecorder::flushPeriodEnded()
{
    m_flushRequested.store(false, std::memory_order_release);
    flush();
}

void TraceRecorder::flush()
{
    quint64 last = 0;
    {
        QMutexLocker history(&m_historyMutex);
        {
            QMutexLocker inbox(&m_inboxMutex);
            m_inbox.swap(m_spare);
        }
        if (m_spare.empty())
            return;
        quint64 seq = m_lastSeq.load(std::memory_order_relaxed);
        const auto capacity = size_t(m_capacity);
        // All of it at once, untouched until written: no doubling past the capacity, and no
        // second copy while it grows.
        if (m_history.capacity() == 0)
            m_history.reserve(capacity);
        for (const TraceEvent &event : m_spare) {
            const size_t slot = size_t(seq++ % capacity);
            if (slot < m_history.size())
                m_history[slot] = Slot::from(event);
            else
                m_history.push_back(Slot::from(event));
        }
        m_spare.clear();
        // A burst can pile up far more events between two flushes than usual; keep the usual
        // room only, or both buffers stay at the burst's size for ever (they swap).
        if (m_spare.capacity() > SpareKeptEvents)
            std::vector<TraceEvent>().swap(m_spare);
        if (seq - m_firstSeq + 1 > capacity)
            m_firstSeq = seq - capacity + 1;
        m_lastSeq.store(seq, std::memory_order_release);
        last = seq;
    }
    Q_EMIT eventsPublished(last);
}

QVector<TraceEvent> TraceRecorder::eventsSince(quint64 seq, int maxCount)
{
    flush();
    QMutexLocker locker(&m_historyMutex);
    const quint64 last = m_lastSeq.load(std::memory_order_relaxed);
    if (seq >= last)
        return {}; // (and seq + 1 below cannot overflow)
    const quint64 first = std::max(seq + 1, m_firstSeq);
    quint64 count = last - first + 1;
    if (maxCount >= 0)
        count = std::min<quint64>(count, quint64(maxCount));
    QVector<TraceEvent> events;
    events.reserve(qsizetype(count));
    for (quint64 s = first; s < first + count; ++s)
        events.append(m_history[size_t((s - 1) % size_t(m_capacity))].event(s));
    return events;
}

int TraceRecorder::heldEvents()
{
    flush(); // a reader: it counts what was recorded until now, not until the last flush
    QMutexLocker locker(&m_historyMutex);
    const quint64 last = m_lastSeq.load(std::memory_order_relaxed);
    return last >= m_firstSeq ? int(last - m_firstSeq + 1) : 0;
}

void TraceRecorder::clear()
{
    flush();
    QMutexLocker locker(&m_historyMutex);
    m_firstSeq = m_lastSeq.load(std::memory_order_relaxed) + 1;
}
