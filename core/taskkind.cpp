#include "taskkind.h"

QString taskKindName(TaskKind kind)
{
    switch (kind) {
    case TaskKind::Timer:
        return QStringLiteral("timer");
    case TaskKind::Http:
        return QStringLiteral("http");
    case TaskKind::Cpu:
        return QStringLiteral("cpu");
    }
    return {};
}

std::optional<TaskKind> taskKindFromName(const QString &name)
{
    for (auto kind : { TaskKind::Timer, TaskKind::Http, TaskKind::Cpu }) {
        if (name == taskKindName(kind))
            return kind;
    }
    return std::nullopt;
}
