#pragma once

// A rejected request parameter: which one and why, as the HTTP layer reports it (400).
#include <QString>

struct SpecError {
    QString param;
    QString message;
};
