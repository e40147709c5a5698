#pragma once

// The window's client: a button per fan-out route and controls for the request's parameters.
// A press sends a real HTTP request to the embedded server, as any client would, and shows the
// answer and how long it took.
#include "fanoutspec.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QUrl>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

class RequestPanel : public QWidget
{
    Q_OBJECT
public:
    RequestPanel(const QUrl &serverUrl, const QStringList &routes, QWidget *parent = nullptr);

    // The parameters the controls describe now.
    FanOutSpec spec() const;
    void setSpec(const FanOutSpec &spec);
    QUrl requestUrl(const QString &route) const;
    QPushButton *button(const QString &route) const;
    // `curl 'URL'` for route with the parameters the controls describe now.
    QString curlCommand(const QString &route) const;
    // The route "Copy as curl" copies: the last one sent, /async-worker before any.
    QString curlRoute() const { return m_curlRoute; }
    int inFlight() const { return m_inFlight; }

public Q_SLOTS:
    void send(const QString &route);
    void copyCurl(); // curlCommand(curlRoute()) to the clipboard

Q_SIGNALS:
    // An answer arrived (any status). clientMs is measured here, from send to the last byte.
    void responseReceived(const QString &route, int httpStatus, const QJsonObject &body, double clientMs);
    // The request failed below HTTP (connection refused, reset ...).
    void requestFailed(const QString &route, const QString &error);

private:
    void showAnswer(const QString &route, int httpStatus, const QJsonObject &body, const QByteArray &raw, double clientMs);
    void updateInFlight();
    static QString describe(const QString &route);
    QWidget *createCurlRow();
    void setCurlRoute(const QString &route);

    QUrl m_serverUrl;
    FanOutSpec m_spec;
    QNetworkAccessManager m_network;
    QHash<QString, QPushButton *> m_buttons;
    QSpinBox *m_tasks = nullptr;
    QSpinBox *m_latency = nullptr;
    QSpinBox *m_timeout = nullptr;
    QSpinBox *m_jitter = nullptr;
    QDoubleSpinBox *m_failRate = nullptr;
    QComboBox *m_kind = nullptr;
    QLabel *m_inFlightLabel = nullptr;
    QLabel *m_summary = nullptr;
    QPlainTextEdit *m_response = nullptr;
    QPushButton *m_copyCurl = nullptr;
    QString m_curlRoute;
    int m_inFlight = 0;
};
