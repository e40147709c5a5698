#pragma once

// The key to the timeline's colours and patterns, painted with TimelineStyle itself. Its entries
// wrap onto more rows when the window is too narrow for one.
#include <QVector>
#include <QWidget>

class TimelineLegend : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineLegend(QWidget *parent = nullptr);
    // As tall as its entries need at its present width: layouts do not pass height-for-width
    // through the window's splitter, so the legend asks for a new height when it is resized.
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    int rowHeight() const;
    // Where each entry goes in `width`: its top-left corner, one row after another.
    QVector<QPoint> layOut(int width) const;
};
