#pragma once

// Records request and task spans from any thread and publishes them, in order, to readers.
//
// Writers (request workers, loop threads) append to a small inbox under a mutex that only ever
// guards a push_back or an O(1) swap, so they never wait for a reader. The inbox is moved into a
// bounded history by flush(), which runs in the recorder's own thread when writers ask for it
// (one queued call at a time) and whenever a reader asks. Readers copy from the history under a
// second mutex that writers never take.
#include "threadlane.h"
#include "traceevent.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QTimer>
#include <QVector>

#include <atomic>
#include <vector>

class TraceRecorder : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultCapacity = 500000;

    explicit TraceRecorder(int capacity = DefaultCapacity, QObject *parent = nullptr);
    ~TraceRecorder() override;

    // Nanoseconds on the recorder's monotonic clock (0 = the recorder's creation).
    qint64 now() const { return m_clock.nsecsElapsed(); }

    // Gives the calling thread a lane of this kind ("worker-3") unless it has one already.
    int registerCurrentThread(ThreadKind kind);
    // The calling thread's lane, registered as ThreadKind::Other if it has none.
    int currentLane();
    // A lane that is no thread: where requests that hold no thread while they wait are drawn.
    // Made once per name.
    int virtualLane(ThreadKind kind, const QString &name);
    QVector<ThreadLane> lanes() const;
    ThreadLane lane(int id) const;

    // Route names are interned so that events stay plain data.
    int routeId(const QString &route);
    QString routeName(int id) const;
    QStringList routes() const; // by id

    // Writers, callable from any thread.
    // On the calling thread's lane, or on `lane` if it is given (a virtual one).
    quint64 requestStarted(int route, int timeoutMs, int taskCount, int lane = -1);
    void requestEnded(quint64 requestId, int httpStatus);
    void taskStarted(quint64 requestId, int task, TaskKind kind, qint64 timeNs);
    void taskEnded(quint64 requestId, int task, int lane, TaskStatus status, qint64 timeNs,
        bool outlives = false);
    void taskReleased(quint64 requestId, int task, int lane, qint64 timeNs);

    // Readers, callable from any thread. eventsSince(n) returns published events with seq > n,
    // oldest first, at most maxCount; if n is older than the history keeps, it starts at the
    // oldest kept event (its seq then tells the reader how much it missed).
    QVector<TraceEvent> eventsSince(quint64 seq, int maxCount = -1);
    quint64 lastSeq() const { return m_lastSeq.load(std::memory_order_acquire); }
    int capacity() const { return m_capacity; }
    // Events recorded and still held (at most capacity()); flushes first, as readers do.
    int heldEvents();
    // Forgets the history (not the lanes or routes); sequence numbers keep growing.
    void clear();

public Q_SLOTS:
    // Publishes what writers have recorded so far. Readers do it themselves; writers ask for it
    // through one queued call at a time to the recorder's thread.
    void flush();

Q_SIGNALS:
    // Emitted in the thread that flushed, after new events were published.
    void eventsPublished(quint64 lastSeq);

private:
    // Room the flush buffers keep between bursts (events).
    static constexpr size_t SpareKeptEvents = 16384;

    void record(const TraceEvent &event);
    void flushRequested();
    void flushPeriodEnded();

    // After a queued flush, writers post no other for this long: the next flush comes from the
    // timer. Posting wakes this thread, a system call in the writer; under a flood of refused
    // requests one post per event was half of what a refusal cost the server's thread.
    static constexpr int FlushPeriodMs = 5;

    const int m_capacity;
    const quint64 m_serial; // tells this recorder's thread-local lane cache from another's
    QElapsedTimer m_clock;

    QMutex m_inboxMutex;
    std::vector<TraceEvent> m_inbox;
    std::atomic<bool> m_flushRequested { false };
    QTimer m_flushPeriod; // this recorder's thread

    // An event as the ring holds it: 32 bytes against a TraceEvent's 56, its seq told by its
    // place. The ring is most of what a busy server keeps (16 MB full, not 28).
    struct Slot;
    QMutex m_historyMutex; // guards m_history, m_spare, m_firstSeq
    std::vector<Slot> m_history; // ring of m_capacity events
    std::vector<TraceEvent> m_spare;
    quint64 m_firstSeq = 1; // oldest seq still held
    std::atomic<quint64> m_lastSeq { 0 };

    mutable QMutex m_namesMutex; // guards lanes and routes
    QVector<ThreadLane> m_lanes;
    QStringList m_routes;

    std::atomic<quint64> m_nextRequestId { 1 };
};
