#pragma once

// A streamed answer's body whose pieces are made on a thread pool, one at a time and each only
// when the connection asks for it: the server's thread only writes them.
//
// A piece of a trace export is 64 KiB of JSON or CSV made from the snapshot's spans, about
// 3.4 ms of work. Made on the server's thread as each socket drained, a few slow readers of
// /api/trace held every other request up by that much, turn after turn (bench_abuse: turns of
// 8 ms with one piece in each, and answers to deadline probes 20-30 ms late at the client).
#include "httpreply.h"

#include <QObject>
#include <QPointer>

#include <memory>

class QThreadPool;

class BackgroundBody : public QObject
{
    Q_OBJECT
public:
    // Runs on a pool thread, one call at a time; an empty piece is the end.
    using Maker = std::function<QByteArray()>;

    // A body source, made on the server's thread, that has `maker` make each piece on `pool`.
    // What `maker` holds goes with the last piece in flight or the source, whichever is last. If
    // the pool is gone, the body ends.
    static HttpReply::BodySource create(QThreadPool &pool, Maker maker);

private:
    BackgroundBody(QThreadPool &pool, Maker maker);
    static void ask(const std::shared_ptr<BackgroundBody> &self, HttpReply::PieceTaker take);
    void made(const QByteArray &piece);

    QPointer<QThreadPool> m_pool; // looked at on this object's thread only
    const Maker m_maker; // called on the pool
    HttpReply::PieceTaker m_take; // the connection waiting for the piece being made
};
