#include "threadlane.h"

QString threadKindName(ThreadKind kind)
{
    switch (kind) {
    case ThreadKind::Worker:
        return QStringLiteral("worker");
    case ThreadKind::NoThread:
        return QStringLiteral("continuations");
    case ThreadKind::Loop:
        return QStringLiteral("loop");
    case ThreadKind::Pool:
        return QStringLiteral("pool");
    case ThreadKind::Upstream:
        return QStringLiteral("upstream");
    case ThreadKind::Other:
        return QStringLiteral("thread");
    }
    return {};
}
