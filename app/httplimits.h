#pragma once

// How big a request may be, how long its head may take, who may send it, and how long a closing
// connection is drained.
#include <QtGlobal>

#include <memory>

class AccessPolicy;

struct HttpLimits
{
    // A request line or one header line beyond this is refused (414, 431); browsers send a few
    // hundred bytes, big cookies a few KiB.
    qint64 maxLineBytes = 16 * 1024;
    // All of a request's head (request line, headers, blank lines before it): 431 beyond this.
    qint64 maxHeadBytes = 64 * 1024;
    int maxHeaderFields = 100; // as Apache's LimitRequestFields: 431 beyond this
    // Our routes take no body; a small one is read and ignored, a bigger one refused (413). A
    // connection may buffer a whole request (readBufferBytes(), 144 KiB), so this is what keeps
    // --max-connections of them under 300 MB (2000 × 144 KiB); at 1 MiB it was 2.2 GB.
    qint64 maxBodyBytes = 64 * 1024;
    // After the last answer of a connection we close, what the client still sends is read and
    // thrown away for this long, so that closing does not reset the connection (RFC 9112 §9.6).
    int lingerMs = 2000;
    // A connection with no answer pending that receives nothing for this long is closed: an idle
    // keep-alive connection, or a client sending its request too slowly (it gets 408 first).
    // What a route takes to answer does not count. As nginx's keepalive and header timeouts.
    int idleTimeoutMs = 60000;
    // A request's head (request line and headers) must arrive whole within this, however it
    // trickles in: else 408 and close. Each byte restarts the idle timer, so without it a head
    // sent one byte a second could hold a connection for hours (slowloris). As nginx's
    // client_header_timeout.
    int headTimeoutMs = 10000;
    // Which Host, Origin and Sec-Fetch-Site a request may have; none: any (unit tests).
    std::shared_ptr<const AccessPolicy> access;
    // A streamed answer (the trace exports) gets its next piece only when the socket has less
    // than this left to send, so that a slow reader holds about this much, whatever the body's
    // size. A client that reads none of it for idleTimeoutMs is cut off.
    qint64 streamLowWaterBytes = 64 * 1024;
    // A client that sends requests faster than it reads their answers (pipelining without
    // reading, or a slow reader) is read no further while its connection has this much unsent
    // or this many answers still to write; its requests wait in the kernel, and TCP slows it
    // down. Reading resumes below a quarter of the bytes. Without it, one connection that never
    // read held ~13 MB more every second, for ever.
    qint64 outputHighWaterBytes = 256 * 1024;
    int maxAnswersPending = 64;

    // What a connection buffers at most: one whole request, with room to spare. A request must
    // fit, since Qt's parser keeps what it has read of a request until the request is complete.
    qint64 readBufferBytes() const { return maxHeadBytes + maxBodyBytes + 16 * 1024; }
};
