#pragma once

// The answer of one fan-out request, and its JSON form (PRODUCT.md "Response").
#include "taskoutcome.h"

#include <QJsonObject>
#include <QStringList>
#include <QVector>

struct FanOutResult {
    QString strategy; // route name without the slash: "async-worker"
    quint64 requestId = 0;
    quint64 seed = 0;
    int timeoutMs = 0;
    qint64 startNs = 0; // TraceRecorder clock
    qint64 endNs = 0;
    int httpStatus = 200;
    QString error; // with a status other than 200: why ("timeout")
    QString errorParam; // the parameter the error is about, if any ("tasks")
    QVector<TaskOutcome> tasks;
    QStringList laneNames; // TaskOutcome::lane -> thread name

    double elapsedMs() const { return double(endNs - startNs) / 1e6; }
    int count(TaskStatus status) const;
    QJsonObject toJson() const;
};
