#pragma once

// Paints a TimelineModel and lets people explore it: lanes grouped by thread kind under headers
// that fold, requests as a strip at the top of their worker's lane with their deadline marked,
// tasks in sub-rows below, open spans growing until now. Wheel zooms around the cursor, dragging
// pans, Shift+drag selects a time range, a click selects a request (and its tasks), hovering
// tells about a span. The range shown lives in a TimelineZoom.
#include "timelinemodel.h"
#include "timelinescale.h"
#include "threadlane.h"

#include <QAbstractScrollArea>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QVector>

#include <optional>

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
    // Lane geometry in viewport coordinates (tests and hit-testing); empty while folded away.
    QRect laneRect(int row) const;
    // The header row of a thread kind's group, in viewport coordinates; empty if none.
    QRect groupHeaderRect(ThreadKind kind) const;

    // The span under a viewport point (within a couple of pixels), if any.
    TimelineModel::SpanRef spanAt(const QPoint &pos) const;
    // What the tooltip says about a span.
    QString describe(TimelineModel::SpanRef ref) const;

    quint64 selectedRequest() const { return m_selectedRequest; }
    std::optional<QPair<qint64, qint64>> selectedRange() const { return m_range; }
    bool isGroupCollapsed(ThreadKind kind) const { return m_collapsed.contains(int(kind)); }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public Q_SLOTS:
    void zoomToFit();
    void zoomIn();
    void zoomOut();
    void selectRequest(quint64 requestId); // 0: none
    void selectRange(qint64 fromNs, qint64 toNs);
    void clearSelection(); // the request and the range
    void setGroupCollapsed(ThreadKind kind, bool collapsed);

Q_SIGNALS:
    void requestSelected(quint64 requestId); // 0 when the selection is cleared
    void rangeSelected(qint64 fromNs, qint64 toNs); // from == to when cleared

protected:
    bool viewportEvent(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    // One row of the picture: a group's header, a lane, or a folded group's summary strip.
    struct Row {
        enum class Type { Header, Lane, Folded } type = Type::Lane;
        ThreadKind kind = ThreadKind::Other;
        int modelRow = -1; // lanes: the model row; headers and folded groups: their first lane's
        int laneCount = 0; // headers and folded groups: the group's lanes
        int top = 0; // content y
        int height = 0;
    };
    enum class Drag { None, Pan, Select };

    void relayout();
    void updateTicking();
    void tick();
    int labelWidth() const;
    int axisHeight() const;
    QRect rowRect(const Row &row) const;
    const Row *rowAt(int y) const;
    QRectF spanRect(TimelineModel::SpanRef ref, const TimelineScale &scale, qint64 now) const;
    void paintAxis(QPainter &painter, const TimelineScale &scale) const;
    void paintHeader(QPainter &painter, const Row &row, const QRect &rect) const;
    void paintLane(QPainter &painter, int row, const QRect &rect, const TimelineScale &scale, qint64 now) const;
    void paintFolded(QPainter &painter, const Row &row, const QRect &rect, const TimelineScale &scale, qint64 now) const;
    void paintSelection(QPainter &painter, const TimelineScale &scale, qint64 now) const;

    QPointer<TimelineModel> m_model;
    TimelineZoom *m_zoom;
    QTimer m_frameTimer; // repaints while time moves on screen
    QVector<Row> m_rows;
    int m_contentHeight = 0;
    QSet<int> m_collapsed; // ThreadKind values of folded groups
    Drag m_drag = Drag::None;
    int m_pressX = -1;
    int m_dragX = -1;
    bool m_moved = false; // since the press: a click selects, a drag does not
    quint64 m_selectedRequest = 0;
    std::optional<QPair<qint64, qint64>> m_range;
};
