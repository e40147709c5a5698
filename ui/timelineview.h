#pragma once

// Paints a TimelineModel: one lane per thread with its label, requests as a strip at the top of
// their worker's lane with their deadline marked, tasks in sub-rows below, open spans growing
// until now. Wheel zooms around the cursor, dragging pans; the range lives in a TimelineZoom.
#include "timelinescale.h"

#include <QAbstractScrollArea>
#include <QPointer>
#include <QTimer>
#include <QVector>

#include "timelinemodel.h"
class TimelineZoom;

class TimelineView : public QAbstractScrollArea
{
    Q_OBJECT
public:
    explicit TimelineView(QWidget *parent = nullptr);

    void setModel(TimelineModel *model);
    TimelineModel *model() const { return m_model; }
    TimelineZoom *zoom() const { return m_zoom; }

    // The current time on the model's recorder clock (the latest span time without one).
    qint64 now() const;
    TimelineScale scale() const;
    // Lane geometry in viewport coordinates (tests and hit-testing).
    QRect laneRect(int row) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public Q_SLOTS:
    void zoomToFit();
    void zoomIn();
    void zoomOut();

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void relayout();
    void updateTicking();
    void tick();
    int labelWidth() const;
    int axisHeight() const;
    void paintAxis(QPainter &painter, const TimelineScale &scale) const;
    void paintLane(QPainter &painter, int row, const QRect &rect, const TimelineScale &scale, qint64 now) const;

    QPointer<TimelineModel> m_model;
    TimelineZoom *m_zoom;
    QTimer m_frameTimer; // repaints while time moves on screen
    QVector<int> m_laneTops; // content y of each lane; one more entry: the total height
    int m_dragX = -1;
};
