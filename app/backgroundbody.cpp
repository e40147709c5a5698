#include "backgroundbody.h"

#include "handover.h"
#include "threadboundshared.h"

#include <QThreadPool>

BackgroundBody::BackgroundBody(QThreadPool &pool, Maker maker)
    : m_pool(&pool)
    , m_maker(std::move(maker))
{ }

HttpReply::BodySource BackgroundBody::create(QThreadPool &pool, Maker maker)
{
    const std::shared_ptr<BackgroundBody> self
        = makeThreadBoundShared(new BackgroundBody(pool, std::move(maker)));
    return [self](HttpReply::PieceTaker take) { ask(self, std::move(take)); };
}

void BackgroundBody::ask(const std::shared_ptr<BackgroundBody> &self, HttpReply::PieceTaker take)
{
    Q_ASSERT(self->thread() == QThread::currentThread());
    if (!self->m_pool) {
        take({});
        return;
    }
    self->m_take = std::move(take);
    // The pool thread holds the body until its piece is back here (the queued call holds it
    // then), so a connection that went meanwhile only drops the piece.
    self->m_pool->start(handOver([self] {
        const QByteArray piece = self->m_maker();
        QMetaObject::invokeMethod(
            self.get(), handOver([self, piece] { self->made(piece); }), Qt::QueuedConnection);
    }));
}

void BackgroundBody::made(const QByteArray &piece)
{
    // Taken out before it is called: the taker may ask for the next piece at once, and what it
    // holds must not stay held by the body in between.
    const HttpReply::PieceTaker take = std::exchange(m_take, {});
    if (take)
        take(piece);
}
