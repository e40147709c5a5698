#pragma once

// What a fanned-out task does while it "takes" its latency.
#include <QString>

#include <optional>

enum class TaskKind : quint8 {
    Timer, // simulated I/O: a QTimer in the event loop of the thread that runs the task
    Http, // a real HTTP call to the upstream
    Cpu, // computation on the thread that runs the task
};

QString taskKindName(TaskKind kind);
std::optional<TaskKind> taskKindFromName(const QString &name);
