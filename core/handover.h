#pragma once

// A functor handed to another thread through one of Qt's queues (a queued invokeMethod,
// QThreadPool::start, QtConcurrent::run), made visible to ThreadSanitizer.
//
// Qt orders everything the sending thread did before the hand-over before everything the
// receiving thread does with it, but it does so inside libQt6Core, with QMutex and futexes that
// Debian's Qt (not built with TSan) does not annotate. TSan would then see our data made by one
// thread and used by the other as a race. A HandOver releases when it is made (in the sending
// thread, after all that thread wrote) and acquires when it is called (in the receiving thread,
// before anything it reads), on its own address, so TSan sees the order that Qt gives and
// nothing more. Without TSan it is only the functor. The copies of the functor that Qt makes on
// the way are Qt's own; tests/sanitizers/tsan.supp says why those are left out.
#include <type_traits>
#include <utility>

#if defined(__SANITIZE_THREAD__)
#define FANSCOPE_HANDOVER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FANSCOPE_HANDOVER_TSAN 1
#endif
#endif

#ifdef FANSCOPE_HANDOVER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

template <typename F>
class HandOver
{
public:
    explicit HandOver(F functor)
        : m_functor(std::move(functor))
    {
        release();
    }
    // Qt copies and moves the functor on its way (into a std::function, a slot object, a
    // continuation posted on): each copy takes over what its source saw, then releases for
    // itself, so the copy that is finally called carries the whole order. Its address is the
    // token, so nothing that the other thread wrote is read before the acquire.
    HandOver(const HandOver &other)
        : m_acquired(other)
        , m_functor(other.m_functor)
    {
        release();
    }
    HandOver(HandOver &&other)
        : m_acquired(other)
        , m_functor(std::move(other.m_functor))
    {
        release();
    }
    HandOver &operator=(const HandOver &) = delete;
    HandOver &operator=(HandOver &&) = delete;

    template <typename... Args>
    decltype(auto) operator()(Args &&...args)
    {
        Acquired { *this };
        return m_functor(std::forward<Args>(args)...);
    }
    template <typename... Args>
    decltype(auto) operator()(Args &&...args) const
    {
        Acquired { *this };
        return m_functor(std::forward<Args>(args)...);
    }

private:
    // The first member, so that it acquires before the functor is copied from its source.
    struct Acquired {
        Acquired() = default;
        explicit Acquired([[maybe_unused]] const HandOver &from)
        {
#ifdef FANSCOPE_HANDOVER_TSAN
            __tsan_acquire(const_cast<HandOver *>(&from));
#endif
        }
    };

    void release()
    {
#ifdef FANSCOPE_HANDOVER_TSAN
        __tsan_release(this);
#endif
    }

    Acquired m_acquired;
    F m_functor;
};

// handOver([...] { ... }): the functor, wrapped for the hand-over.
template <typename F>
HandOver<std::decay_t<F>> handOver(F &&functor)
{
    return HandOver<std::decay_t<F>>(std::forward<F>(functor));
}
