// FanOutSpec::fromQuery / toQuery against PRODUCT.md's "Query parameters" table.
#include "fanoutspec.h"

#include <QtTest>

#include <functional>
#include <limits>

Q_DECLARE_METATYPE(FanOutSpec)

// Readable QCOMPARE failures (found through ADL).
char *toString(const FanOutSpec &spec)
{
    const QString text
        = QStringLiteral("FanOutSpec(tasks=%1 latency_ms=%2 jitter_ms=%3 fail_rate=%4 "
                         "timeout_ms=%5 kind=%6 seed=%7)")
              .arg(spec.tasks)
              .arg(spec.latencyMs)
              .arg(spec.jitterMs)
              .arg(spec.failRate, 0, 'g', 17)
              .arg(spec.timeoutMs)
              .arg(taskKindName(spec.kind))
              .arg(spec.seed ? QString::number(*spec.seed) : QStringLiteral("none"));
    return qstrdup(text.toUtf8().constData());
}

namespace {

// The defaults with one change applied.
FanOutSpec with(const std::function<void(FanOutSpec &)> &change)
{
    FanOutSpec spec;
    change(spec);
    return spec;
}

// The integer parameters and their ranges, from PRODUCT.md.
struct IntParam
{
    const char *name;
    qint64 min;
    qint64 max;
    int FanOutSpec::*field;
};

const IntParam intParams[] = {
    { "tasks", 0, 10000, &FanOutSpec::tasks },
    { "latency_ms", 0, 60000, &FanOutSpec::latencyMs },
    { "jitter_ms", 0, 60000, &FanOutSpec::jitterMs },
    { "timeout_ms", 1, 60000, &FanOutSpec::timeoutMs },
};

QString queryItem(const char *name, const QString &encodedValue)
{
    return QLatin1String(name) + QLatin1Char('=') + encodedValue;
}

} // namespace

class TestFanOutSpec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void accepted_data();
    void accepted();
    void rejected_data();
    void rejected();
    void unknownParametersRefused_data();
    void unknownParametersRefused();
    void emptyItemsSkipped();
    void roundTrip_data();
    void roundTrip();
    void boundsMatchContract();

private:
    static void addAcceptedRows();
};

void TestFanOutSpec::defaults()
{
    const auto result = FanOutSpec::fromQuery(QUrlQuery());
    QVERIFY(std::holds_alternative<FanOutSpec>(result));
    const auto &spec = std::get<FanOutSpec>(result);
    // PRODUCT.md's default column.
    QCOMPARE(spec.tasks, 10);
    QCOMPARE(spec.latencyMs, 1000);
    QCOMPARE(spec.jitterMs, 0);
    QCOMPARE(spec.failRate, 0.0);
    QCOMPARE(spec.timeoutMs, 3000);
    QCOMPARE(spec.kind, TaskKind::Timer);
    QVERIFY(!spec.seed.has_value());
    // An empty query string is the same as no query at all.
    const auto fromEmptyString = FanOutSpec::fromQuery(QUrlQuery(QString()));
    QVERIFY(std::holds_alternative<FanOutSpec>(fromEmptyString));
    QCOMPARE(std::get<FanOutSpec>(fromEmptyString), spec);
}

void TestFanOutSpec::addAcceptedRows()
{
    QTest::addColumn<QString>("query"); // as it appears in the URL, percent-encoded
    QTest::addColumn<FanOutSpec>("expected");

    for (const IntParam &p : intParams) {
        const auto field = p.field;
        const int min = int(p.min);
        const int max = int(p.max);
        QTest::addRow("%s min", p.name) << queryItem(p.name, QString::number(min))
                                        << with([=](FanOutSpec &s) { s.*field = min; });
        QTest::addRow("%s max", p.name) << queryItem(p.name, QString::number(max))
                                        << with([=](FanOutSpec &s) { s.*field = max; });
        QTest::addRow("%s min+1", p.name) << queryItem(p.name, QString::number(min + 1))
                                          << with([=](FanOutSpec &s) { s.*field = min + 1; });
        QTest::addRow("%s max-1", p.name) << queryItem(p.name, QString::number(max - 1))
                                          << with([=](FanOutSpec &s) { s.*field = max - 1; });
        QTest::addRow("%s leading zeros", p.name) << queryItem(p.name, QStringLiteral("0007"))
                                                  << with([=](FanOutSpec &s) { s.*field = 7; });
    }

    QTest::addRow("fail_rate 0") << QStringLiteral("fail_rate=0")
                                 << with([](FanOutSpec &s) { s.failRate = 0; });
    QTest::addRow("fail_rate 0.0")
        << QStringLiteral("fail_rate=0.0") << with([](FanOutSpec &s) { s.failRate = 0; });
    QTest::addRow("fail_rate 1") << QStringLiteral("fail_rate=1")
                                 << with([](FanOutSpec &s) { s.failRate = 1; });
    QTest::addRow("fail_rate 1.0")
        << QStringLiteral("fail_rate=1.0") << with([](FanOutSpec &s) { s.failRate = 1; });
    QTest::addRow("fail_rate 0.3")
        << QStringLiteral("fail_rate=0.3") << with([](FanOutSpec &s) { s.failRate = 0.3; });
    QTest::addRow("fail_rate 0.999")
        << QStringLiteral("fail_rate=0.999") << with([](FanOutSpec &s) { s.failRate = 0.999; });

    QTest::addRow("kind timer") << QStringLiteral("kind=timer")
                                << with([](FanOutSpec &s) { s.kind = TaskKind::Timer; });
    QTest::addRow("kind http") << QStringLiteral("kind=http")
                               << with([](FanOutSpec &s) { s.kind = TaskKind::Http; });
    QTest::addRow("kind cpu") << QStringLiteral("kind=cpu")
                              << with([](FanOutSpec &s) { s.kind = TaskKind::Cpu; });

    QTest::addRow("seed 0") << QStringLiteral("seed=0") << with([](FanOutSpec &s) { s.seed = 0; });
    QTest::addRow("seed 1") << QStringLiteral("seed=1") << with([](FanOutSpec &s) { s.seed = 1; });
    QTest::addRow("seed 2^32") << QStringLiteral("seed=4294967296")
                               << with([](FanOutSpec &s) { s.seed = Q_UINT64_C(4294967296); });
    QTest::addRow("seed 2^63") << QStringLiteral("seed=9223372036854775808")
                               << with([](FanOutSpec &s) {
                                      s.seed = Q_UINT64_C(9223372036854775808);
                                  });
    QTest::addRow("seed max") << QStringLiteral("seed=18446744073709551615")
                              << with([](FanOutSpec &s) {
                                     s.seed = std::numeric_limits<quint64>::max();
                                 });

    QTest::addRow("all at once") << QStringLiteral(
        "tasks=3&latency_ms=20&jitter_ms=5&fail_rate=0.5&timeout_ms=100&kind=cpu&seed=99")
                                 << with([](FanOutSpec &s) {
                                        s.tasks = 3;
                                        s.latencyMs = 20;
                                        s.jitterMs = 5;
                                        s.failRate = 0.5;
                                        s.timeoutMs = 100;
                                        s.kind = TaskKind::Cpu;
                                        s.seed = 99;
                                    });
    QTest::addRow("all at once, other order") << QStringLiteral(
        "seed=99&kind=cpu&timeout_ms=100&fail_rate=0.5&jitter_ms=5&latency_ms=20&tasks=3")
                                              << with([](FanOutSpec &s) {
                                                     s.tasks = 3;
                                                     s.latencyMs = 20;
                                                     s.jitterMs = 5;
                                                     s.failRate = 0.5;
                                                     s.timeoutMs = 100;
                                                     s.kind = TaskKind::Cpu;
                                                     s.seed = 99;
                                                 });
}

void TestFanOutSpec::accepted_data()
{
    addAcceptedRows();
}

void TestFanOutSpec::accepted()
{
    QFETCH(QString, query);
    QFETCH(FanOutSpec, expected);

    const auto result = FanOutSpec::fromQuery(QUrlQuery(query));
    if (const auto *error = std::get_if<SpecError>(&result))
        QFAIL(qPrintable(QStringLiteral("refused: %1: %2").arg(error->param, error->message)));
    QCOMPARE(std::get<FanOutSpec>(result), expected);
}

void TestFanOutSpec::rejected_data()
{
    QTest::addColumn<QString>("query"); // percent-encoded
    QTest::addColumn<QString>("param");

    // Ill-formed whatever the parameter: each row is "<label>", "<encoded value>".
    const QList<QPair<const char *, QString>> commonBad = {
        { "non-numeric", QStringLiteral("abc") },
        { "digits then letters", QStringLiteral("5abc") },
        { "empty", QString() },
        { "overflowing", QStringLiteral("99999999999999999999") },
        { "NUL", QStringLiteral("%00") },
        { "NUL after digit", QStringLiteral("5%00") },
        { "newline", QStringLiteral("%0A") },
        { "newline after digit", QStringLiteral("5%0A") },
        { "escape", QStringLiteral("%1B") },
        { "escape after digit", QStringLiteral("5%1B") },
        { "tab before digit", QStringLiteral("%095") },
        { "DEL", QStringLiteral("5%7F") },
        { "plus sign", QStringLiteral("+5") },
        { "encoded plus sign", QStringLiteral("%2B5") },
        { "leading space", QStringLiteral("%205") },
        { "trailing space", QStringLiteral("5%20") },
        { "hex", QStringLiteral("0x10") },
        { "exponent", QStringLiteral("1e3") },
        { "comma decimal", QStringLiteral("0,5") },
        { "arabic-indic digit", QStringLiteral("%D9%A5") },
        { "fullwidth digit", QStringLiteral("%EF%BC%95") },
        { "double minus", QStringLiteral("--5") },
        // One rule for signs: "-0" is refused as "+5" is, though its value is in range.
        { "negative zero", QStringLiteral("-0") },
        { "minus then zeros", QStringLiteral("-00") },
    };

    for (const IntParam &p : intParams) {
        const QString name = QLatin1String(p.name);
        QTest::addRow("%s below min", p.name)
            << queryItem(p.name, QString::number(p.min - 1)) << name;
        QTest::addRow("%s above max", p.name)
            << queryItem(p.name, QString::number(p.max + 1)) << name;
        QTest::addRow("%s far above max", p.name)
            << queryItem(p.name, QStringLiteral("1000000")) << name;
        QTest::addRow("%s negative", p.name) << queryItem(p.name, QStringLiteral("-5")) << name;
        // 2^32 + 5 would wrap around to 5 if truncated to 32 bits.
        QTest::addRow("%s wraps at 2^32", p.name)
            << queryItem(p.name, QStringLiteral("4294967301")) << name;
        QTest::addRow("%s float", p.name) << queryItem(p.name, QStringLiteral("1.5")) << name;
        QTest::addRow("%s float with zero fraction", p.name)
            << queryItem(p.name, QStringLiteral("5.0")) << name;
        QTest::addRow("%s key without '='", p.name) << name << name;
        QTest::addRow("%s repeated", p.name) << (queryItem(p.name, QStringLiteral("1"))
            + QLatin1Char('&') + queryItem(p.name, QStringLiteral("2")))
                                             << name;
        QTest::addRow("%s repeated same value", p.name) << (queryItem(p.name, QStringLiteral("2"))
            + QLatin1Char('&') + queryItem(p.name, QStringLiteral("2")))
                                                        << name;
        QTest::addRow("%s bad after a good parameter", p.name)
            << (QStringLiteral("kind=cpu&") + queryItem(p.name, QStringLiteral("x"))) << name;
        for (const auto &[label, value] : commonBad)
            QTest::addRow("%s %s", p.name, label) << queryItem(p.name, value) << name;
    }

    const QString failRate = QStringLiteral("fail_rate");
    const QList<QPair<const char *, QString>> badFailRates = {
        { "below 0", QStringLiteral("-0.1") },
        { "tiny negative", QStringLiteral("-0.0001") },
        { "above 1", QStringLiteral("1.5") },
        { "just above 1", QStringLiteral("1.000001") },
        { "2", QStringLiteral("2") },
        { "nan", QStringLiteral("nan") },
        { "NaN", QStringLiteral("NaN") },
        { "inf", QStringLiteral("inf") },
        { "-inf", QStringLiteral("-inf") },
        { "infinity", QStringLiteral("infinity") },
        { "huge", QStringLiteral("1e400") },
        { "non-numeric", QStringLiteral("abc") },
        { "number then letters", QStringLiteral("0.5abc") },
        { "empty", QString() },
        { "NUL", QStringLiteral("%00") },
        { "NUL after number", QStringLiteral("0.5%00") },
        { "newline", QStringLiteral("%0A") },
        { "newline after number", QStringLiteral("0.5%0A") },
        { "escape after number", QStringLiteral("0.5%1B") },
        { "hex", QStringLiteral("0x1") },
        { "hex float", QStringLiteral("0x1p-1") },
        { "comma decimal", QStringLiteral("0,5") },
        { "percent", QStringLiteral("50%25") },
        { "leading space", QStringLiteral("%200.5") },
        { "trailing space", QStringLiteral("0.5%20") },
        { "plus sign", QStringLiteral("%2B0.5") },
        { "negative zero", QStringLiteral("-0") },
        { "negative zero point zero", QStringLiteral("-0.0") },
    };
    for (const auto &[label, value] : badFailRates)
        QTest::addRow("fail_rate %s", label) << queryItem("fail_rate", value) << failRate;
    QTest::addRow("fail_rate key without '='") << failRate << failRate;
    QTest::addRow("fail_rate repeated")
        << QStringLiteral("fail_rate=0.1&fail_rate=0.2") << failRate;

    const QString kind = QStringLiteral("kind");
    const QList<QPair<const char *, QString>> badKinds = {
        { "unknown", QStringLiteral("unknown") },
        { "sleep", QStringLiteral("sleep") },
        { "upper case", QStringLiteral("TIMER") },
        { "capitalised", QStringLiteral("Http") },
        { "numeric", QStringLiteral("0") },
        { "empty", QString() },
        { "prefix", QStringLiteral("time") },
        { "suffix", QStringLiteral("timers") },
        { "leading space", QStringLiteral("%20cpu") },
        { "trailing space", QStringLiteral("cpu%20") },
        { "NUL", QStringLiteral("cpu%00") },
        { "newline", QStringLiteral("http%0A") },
        { "escape", QStringLiteral("%1Bcpu") },
        { "two kinds", QStringLiteral("timer,http") },
    };
    for (const auto &[label, value] : badKinds)
        QTest::addRow("kind %s", label) << queryItem("kind", value) << kind;
    QTest::addRow("kind key without '='") << kind << kind;
    QTest::addRow("kind repeated") << QStringLiteral("kind=timer&kind=http") << kind;
    QTest::addRow("kind repeated same value") << QStringLiteral("kind=cpu&kind=cpu") << kind;

    const QString seed = QStringLiteral("seed");
    const QList<QPair<const char *, QString>> badSeeds = {
        { "negative", QStringLiteral("-1") },
        { "negative zero", QStringLiteral("-0") },
        { "2^64", QStringLiteral("18446744073709551616") },
        { "overflowing", QStringLiteral("99999999999999999999") },
        { "far overflowing", QStringLiteral("123456789012345678901234567890") },
        { "non-numeric", QStringLiteral("abc") },
        { "float", QStringLiteral("1.5") },
        { "empty", QString() },
        { "plus sign", QStringLiteral("+5") },
        { "leading space", QStringLiteral("%205") },
        { "trailing space", QStringLiteral("5%20") },
        { "hex", QStringLiteral("0x10") },
        { "exponent", QStringLiteral("1e3") },
        { "NUL", QStringLiteral("%00") },
        { "newline after digit", QStringLiteral("5%0A") },
        { "escape after digit", QStringLiteral("5%1B") },
        { "arabic-indic digit", QStringLiteral("%D9%A5") },
    };
    for (const auto &[label, value] : badSeeds)
        QTest::addRow("seed %s", label) << queryItem("seed", value) << seed;
    QTest::addRow("seed key without '='") << seed << seed;
    QTest::addRow("seed repeated") << QStringLiteral("seed=1&seed=2") << seed;
}

void TestFanOutSpec::rejected()
{
    QFETCH(QString, query);
    QFETCH(QString, param);


    const auto result = FanOutSpec::fromQuery(QUrlQuery(query));
    const auto *error = std::get_if<SpecError>(&result);
    QByteArray accepted;
    if (!error) {
        const QScopedArrayPointer<char> spec(toString(std::get<FanOutSpec>(result)));
        accepted = QByteArrayLiteral("accepted as ") + spec.data();
    }
    QVERIFY2(error, accepted.constData());
    QCOMPARE(error->param, param);
    QVERIFY(!error->message.trimmed().isEmpty());
}

void TestFanOutSpec::unknownParametersRefused_data()
{
    QTest::addColumn<QString>("query"); // percent-encoded
    QTest::addColumn<QString>("param"); // the one named in the error

    QTest::addRow("typo of tasks") << QStringLiteral("task=5") << QStringLiteral("task");
    QTest::addRow("typo after a good parameter")
        << QStringLiteral("tasks=5&timeout=100") << QStringLiteral("timeout");
    QTest::addRow("only unknown") << QStringLiteral("foo=bar") << QStringLiteral("foo");
    QTest::addRow("cache buster") << QStringLiteral("_=1700000000000") << QStringLiteral("_");
    QTest::addRow("differently cased name") << QStringLiteral("TASKS=5") << QStringLiteral("TASKS");
    QTest::addRow("unknown without '='") << QStringLiteral("verbose") << QStringLiteral("verbose");
    QTest::addRow("unknown with an empty value") << QStringLiteral("y=") << QStringLiteral("y");
    QTest::addRow("value without a name") << QStringLiteral("=5") << QString();
    QTest::addRow("NUL in the name") << QStringLiteral("tasks%00=5") << QString(QStringLiteral("tasks") + QChar(0));
    QTest::addRow("escape in the name") << QStringLiteral("%1Btasks=5") << QString(QChar(0x1b) + QStringLiteral("tasks"));
    QTest::addRow("unknown repeated") << QStringLiteral("x=1&x=2") << QStringLiteral("x");
    // Unknown names are reported before bad values: a typo is the likelier mistake.
    QTest::addRow("unknown after a bad value")
        << QStringLiteral("tasks=abc&latency=-1") << QStringLiteral("latency");
}

void TestFanOutSpec::unknownParametersRefused()
{
    QFETCH(QString, query);
    QFETCH(QString, param);

    const auto result = FanOutSpec::fromQuery(QUrlQuery(query));
    const auto *error = std::get_if<SpecError>(&result);
    QVERIFY2(error, "accepted");
    QCOMPARE(error->param, param);
    // The message lists what is accepted, so that the typo is easy to fix.
    QVERIFY2(error->message.contains(QLatin1String("tasks, latency_ms, jitter_ms, fail_rate, timeout_ms, kind, seed")),
        qPrintable(error->message));
}

void TestFanOutSpec::emptyItemsSkipped()
{
    // A stray '&' is not a parameter: "a=1&&b=2" and a trailing '&' are what scripts produce.
    for (const char *query : { "&tasks=5&", "tasks=5&&kind=cpu", "&&" }) {
        const auto result = FanOutSpec::fromQuery(QUrlQuery(QLatin1String(query)));
        QVERIFY2(std::holds_alternative<FanOutSpec>(result), query);
    }
    const auto result = FanOutSpec::fromQuery(QUrlQuery(QStringLiteral("tasks=5&&kind=cpu")));
    QCOMPARE(std::get<FanOutSpec>(result), with([](FanOutSpec &s) {
        s.tasks = 5;
        s.kind = TaskKind::Cpu;
    }));
}

void TestFanOutSpec::roundTrip_data()
{
    // Every accepted spec, plus specs whose values need all their digits.
    addAcceptedRows();
    QTest::addRow("defaults") << QString() << FanOutSpec();
    QTest::addRow("fail_rate 0.1234567") << QStringLiteral("fail_rate=0.1234567")
                                         << with([](FanOutSpec &s) { s.failRate = 0.1234567; });
    QTest::addRow("fail_rate 1e-9") << QStringLiteral("fail_rate=0.000000001")
                                    << with([](FanOutSpec &s) { s.failRate = 1e-9; });
    QTest::addRow("fail_rate 0.99999999") << QStringLiteral("fail_rate=0.99999999")
                                          << with([](FanOutSpec &s) { s.failRate = 0.99999999; });
}

void TestFanOutSpec::roundTrip()
{
    QFETCH(QString, query);
    QFETCH(FanOutSpec, expected);

    const auto parsed = FanOutSpec::fromQuery(QUrlQuery(query));
    QVERIFY(std::holds_alternative<FanOutSpec>(parsed));
    const FanOutSpec &spec = std::get<FanOutSpec>(parsed);
    QCOMPARE(spec, expected);

    const QUrlQuery written = spec.toQuery();
    // Through the text of a URL, as a client would send it back.
    const QUrlQuery reread(written.toString(QUrl::FullyEncoded));
    const auto again = FanOutSpec::fromQuery(reread);
    if (const auto *error = std::get_if<SpecError>(&again))
        QFAIL(qPrintable(QStringLiteral("toQuery() gave '%1', refused: %2: %3")
                             .arg(written.toString(), error->param, error->message)));

    QCOMPARE(std::get<FanOutSpec>(again), spec);
}

void TestFanOutSpec::boundsMatchContract()
{
    // The constants that the UI's controls share with the parser are PRODUCT.md's ranges.
    QCOMPARE(FanOutSpec::MaxTasks, 10000);
    QCOMPARE(FanOutSpec::MaxLatencyMs, 60000);
    QCOMPARE(FanOutSpec::MaxJitterMs, 60000);
    QCOMPARE(FanOutSpec::MinTimeoutMs, 1);
    QCOMPARE(FanOutSpec::MaxTimeoutMs, 60000);
}

QTEST_GUILESS_MAIN(TestFanOutSpec)
#include "tst_fanoutspec.moc"
