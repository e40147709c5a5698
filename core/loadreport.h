#pragma once

// What a load run measured, and the figures people read from it: throughput, latency
// percentiles, a histogram, status codes and errors, as text in the shape `hey` prints and as
// one JSON object.
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QVector>

struct LoadReport {
    QString url;
    int requests = 0; // asked for
    int concurrency = 0;
    double totalS = 0; // wall time of the whole run
    QVector<double> latenciesMs; // one per answered request (any status), in completion order
    // For the same requests, the part of the latency spent opening a connection: about 0 on a
    // kept-alive one. On loopback the kernel completes the handshake whatever the server does,
    // so this is the client's own time (hey's "DNS+dialup").
    QVector<double> connectMs;
    QMap<int, int> statusCounts; // HTTP status -> responses
    QMap<QString, int> errorCounts; // transport error -> requests (no HTTP answer)
    int maxInFlight = 0; // requests the generator had in flight at once, at most

    int answered() const { return int(latenciesMs.size()); }
    int errors() const;
    int timeouts() const; // errors that were timeouts
    double rps() const { return totalS > 0 ? double(answered()) / totalS : 0; }

    // Nearest-rank percentile (p in 0-100) of the answered latencies; 0 without any.
    double percentileMs(double p) const;
    double fastestMs() const;
    double slowestMs() const;
    double averageMs() const;
    // The slowest latency counted from the request's connection being open: the server's part.
    double slowestOnConnectionMs() const;
    double slowestConnectMs() const;
    double averageConnectMs() const;

    struct Bucket {
        double upperMs; // bucket holds latencies <= upperMs (and > the previous one's)
        int count;
    };
    // `buckets` equal-width buckets from fastest to slowest, as hey draws them.
    QVector<Bucket> histogram(int buckets = 10) const;

    QString toText() const;
    QJsonObject toJson() const;
};
