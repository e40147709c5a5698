#pragma once

// Which time range the timeline shows, and whether it follows live time. Shared by the views of
// one timeline; it changes only when told to.
#include <QObject>

class TimelineZoom : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 MinWidthNs = 10000; // 10 µs across the whole view
    static constexpr qint64 MaxWidthNs = 24LL * 3600 * 1000000000; // a day
    static constexpr qint64 DefaultWidthNs = 10LL * 1000000000; // a default request and then some

    explicit TimelineZoom(QObject *parent = nullptr);

    qint64 startNs() const { return m_startNs; }
    qint64 endNs() const { return m_endNs; }
    qint64 widthNs() const { return m_endNs - m_startNs; }
    bool followsLive() const { return m_followLive; }

    void setFollowLive(bool follow);
    // Sets the range without changing whether it follows live time.
    void setRange(qint64 startNs, qint64 endNs);
    // Zooms by factor (< 1 zooms in) keeping anchorNs at the same place on screen. While
    // following live time it keeps following, with the new width.
    void zoomAround(qint64 anchorNs, double factor);
    // Moves the range; stops following live time.
    void panBy(qint64 deltaNs);
    // Shows [firstNs, lastNs] with a small margin; stops following live time.
    void fit(qint64 firstNs, qint64 lastNs);
    // While following: keeps the width and puts "now" near the right edge.
    void updateLive(qint64 nowNs);

Q_SIGNALS:
    void rangeChanged();
    void followLiveChanged(bool follows);

private:
    void apply(qint64 startNs, qint64 endNs);

    qint64 m_startNs = 0;
    qint64 m_endNs = DefaultWidthNs;
    bool m_followLive = true;
};
