#pragma once

// Everything decided about one task before it runs: its account, how long it takes, whether it
// fails and which balance it returns. Drawn up front so a seed reproduces a request exactly,
// whichever strategy runs it.
#include "taskkind.h"

#include <QString>

struct TaskPlan {
    int index = 0;
    qint64 latencyNs = 0;
    bool fails = false;
    double balance = 0.0; // 1.00-20.00, two decimals, as the demo's random balances
    TaskKind kind = TaskKind::Timer;

    // "account-<index>", the original demo's names; made when asked, as most plans never need
    // them as text.
    QString account() const { return QStringLiteral("account-") + QString::number(index); }
};
