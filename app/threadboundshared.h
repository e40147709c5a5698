#pragma once

// A QObject shared with other threads, deleted on its own thread whoever lets go of it last: at
// once when that is its own thread, else through its event loop (a pool thread that let go last
// must not delete an object of the server's thread, whose queued calls may still be under way).
#include <QObject>
#include <QThread>

#include <memory>

template<typename T> std::shared_ptr<T> makeThreadBoundShared(T *object)
{
    return std::shared_ptr<T>(object, [](T *gone) {
        if (gone->thread() == QThread::currentThread())
            delete gone;
        else
            gone->deleteLater();
    });
}
