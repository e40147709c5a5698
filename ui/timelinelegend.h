#pragma once

// The key to the timeline's colours and patterns, painted with TimelineStyle itself.
#include <QWidget>

class TimelineLegend : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineLegend(QWidget *parent = nullptr);
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
};
