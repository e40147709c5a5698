#pragma once

// How the timeline draws requests, tasks and deadlines. The view and the legend share it, so the
// legend always matches. Finished states differ in colour and in pattern, for colour-blind eyes
// and greyscale screenshots alike.
#include "taskkind.h"
#include "taskstatus.h"

#include <QColor>

class QPainter;
class QRectF;

class TimelineStyle
{
public:
    enum class RequestState {
        Open,
        Answered,
        Abandoned, // its client hung up first: no answer was sent (HTTP 499)
        Refused, // its work did not fit in the server's budget: no task ran (HTTP 503)
    };

    static QColor requestColor(bool open);
    static QColor abandonedRequestColor();
    static QColor refusedRequestColor();
    // A refused request takes no time; it is drawn at least this wide so that it shows.
    static constexpr qreal RefusedMinWidth = 5;
    static QColor taskColor(TaskStatus status);
    static QColor deadlineColor();

    // An abandoned request is pale, outlined in dashes and struck through: nobody got it. A
    // refused one is magenta with a cross: turned away at the door.
    static void paintRequest(QPainter &painter, const QRectF &rect, RequestState state);
    static void paintTask(QPainter &painter, const QRectF &rect, TaskStatus status);
    // The part of a task that ran on after its request gave up on it (it could not be stopped).
    static void paintRunningOn(QPainter &painter, const QRectF &rect);
    static QColor kindColor(TaskKind kind); // invalid for timer tasks: they are unmarked
    // A notch at the start of a task bar telling http and cpu tasks from timer ones.
    static void paintKindMark(QPainter &painter, const QRectF &rect, TaskKind kind);
    // A vertical line with a small flag on top, from top to bottom at x.
    static void paintDeadline(QPainter &painter, qreal x, qreal top, qreal bottom);
};
