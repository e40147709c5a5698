#pragma once

// A Fanscope server for a Qt Test suite: the options given, on a free port, recording into the
// recorder given. What every suite that talks HTTP to a real server starts with.
#include "serverhost.h"
#include "tracerecorder.h"

#include <QtTest>

#include <memory>

// The server, listening; or none, with the calling test function failed and told why.
inline std::unique_ptr<ServerHost> startTestServer(TraceRecorder &recorder, ServerOptions options = {})
{
    options.port = 0;
    auto server = std::make_unique<ServerHost>(recorder, options);
    QString error;
    if (!server->start(&error)) {
        QTest::qFail(qPrintable(QStringLiteral("the server did not start: ") + error), __FILE__, __LINE__);
        return nullptr;
    }
    return server;
}
