#include "fanoutresult.h"

#include "fanoutplan.h"

#include <QJsonArray>

#include <cmath>

namespace {

// Milliseconds with microsecond resolution: enough to see sub-millisecond overhead, short
// enough to read.
double toMs(qint64 ns)
{
    return std::round(double(ns) / 1e3) / 1e3;
}

} // namespace

int FanOutResult::count(TaskStatus status) const
{
    return int(std::count_if(tasks.cbegin(), tasks.cend(),
        [status](const TaskOutcome &t) { return t.status == status; }));
}

QJsonObject FanOutResult::toJson() const
{
    QJsonArray data;
    QJsonArray taskArray;
    for (const TaskOutcome &task : tasks) {
        const QString account = FanOutPlan::accountName(task.index);
        if (task.status == TaskStatus::Ok)
            data.append(QJsonObject { { account, task.balance } });

        QJsonObject entry {
            { QStringLiteral("account"), account },
            { QStringLiteral("status"), taskStatusName(task.status) },
            { QStringLiteral("thread"), laneNames.value(task.lane) },
        };
        // A task given up before it started has no start; it "ends" when it was given up.
        entry.insert(QStringLiteral("start_ms"),
            task.startNs >= 0 ? QJsonValue(toMs(task.startNs - startNs)) : QJsonValue());
        entry.insert(QStringLiteral("end_ms"), toMs(task.endNs - startNs));
        if (!task.error.isEmpty())
            entry.insert(QStringLiteral("error"), task.error);
        taskArray.append(entry);
    }
    QJsonObject json {
        { QStringLiteral("data"), data },
        { QStringLiteral("strategy"), strategy },
        { QStringLiteral("request_id"), qint64(requestId) },
        { QStringLiteral("seed"), QString::number(seed) },
        { QStringLiteral("elapsed_ms"), toMs(endNs - startNs) },
        { QStringLiteral("timeout_ms"), timeoutMs },
        { QStringLiteral("tasks"), taskArray },
    };
    if (!error.isEmpty())
        json.insert(QStringLiteral("error"), error);
    if (!errorParam.isEmpty())
        json.insert(QStringLiteral("param"), errorParam);
    return json;
}
