#pragma once

// One timeline lane: a thread that ran requests or tasks, with its kind and display name.
#include <QString>

enum class ThreadKind : quint8 {
    Worker, // request worker threads (the synchronous views run here)
    NoThread, // a virtual lane: requests waiting on continuations, holding no thread
    Loop, // long-lived event-loop threads of the loop-worker strategies
    Pool, // blocking thread-pool threads
    Upstream, // threads serving the built-in upstream
    Other,
};

QString threadKindName(ThreadKind kind);

struct ThreadLane {
    int id = -1; // dense: 0, 1, 2 ... in order of registration
    ThreadKind kind = ThreadKind::Other;
    int ordinal = 0; // 1-based number among lanes of the same kind
    QString name; // "worker-1", "loop-2" ...
};
