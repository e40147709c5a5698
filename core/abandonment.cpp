#include "abandonment.h"

#include "fanin.h"

#include <QMutexLocker>

void Abandonment::abandon()
{
    std::shared_ptr<FanIn> fanIn;
    {
        QMutexLocker locker(&m_mutex);
        if (m_abandoned)
            return;
        m_abandoned = true;
        fanIn = m_fanIn.lock();
    }
    // Outside our lock: giving up may finish the request there and then (a continuation's
    // answer is made by whoever makes its last task final), which is no place to hold it.
    if (fanIn)
        fanIn->abandon();
}

bool Abandonment::isAbandoned() const
{
    QMutexLocker locker(&m_mutex);
    return m_abandoned;
}

void Abandonment::attach(const std::shared_ptr<FanIn> &fanIn)
{
    bool abandoned = false;
    {
        QMutexLocker locker(&m_mutex);
        m_fanIn = fanIn;
        abandoned = m_abandoned;
    }
    if (abandoned)
        fanIn->abandon();
}
