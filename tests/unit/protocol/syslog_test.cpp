#include "protocol/syslog.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <ctime>

#include "protocol/ingest_common.hpp"

namespace smartlog::protocol {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1'714'564'800'000;  // 2024-05-01T12:00:00Z

json::value meta(const SyslogEntry& s) { return json::parse(s.entry.metadata); }

TEST(Syslog, Rfc5424EveryField) {
    const auto s = parse_syslog(
        "<165>1 2024-05-01T11:59:58.123456+02:00 web01 billing 4242 PAY [order@32473 id=\"17\" "
        "note=\"a \\\"q\\\" \\] \\\\ \\x\"][meta x=\"1\"] "
        "\xEF\xBB\xBFpayment failed\n",
        kNow);
    EXPECT_FALSE(s.malformed);
    EXPECT_EQ(s.entry.level, "info");  // severity 5
    EXPECT_EQ(s.entry.message, "payment failed");
    EXPECT_EQ(s.entry.timestamp, 1'714'557'598'123);
    EXPECT_EQ(
        meta(s),
        json::parse(
            R"({"hostname":"web01","appName":"billing","procid":"4242","msgid":"PAY","facility":"local4",
        "structuredData":{"order@32473":{"id":"17","note":"a \"q\" ] \\ \\x"},"meta":{"x":"1"}},"format":"rfc5424"})"));
}

TEST(Syslog, Rfc5424NilValuesAndNoMessage) {
    const auto s = parse_syslog("<11>1 - - - - - -", kNow);
    EXPECT_FALSE(s.malformed);
    EXPECT_EQ(s.entry.level, "error");
    EXPECT_EQ(s.entry.message, "");
    EXPECT_EQ(s.entry.timestamp, kNow);
    EXPECT_EQ(meta(s), json::parse(R"({"facility":"user","format":"rfc5424"})"));
}

TEST(Syslog, SeverityToLevel) {
    const char* expected[] = {"fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug"};
    for (int sev = 0; sev < 8; ++sev) {
        EXPECT_EQ(syslog_level(sev), expected[sev]);
        EXPECT_EQ(
            parse_syslog("<" + std::to_string(8 + sev) + ">1 - - - - - - x", kNow).entry.level,
            expected[sev]);
    }
}

TEST(Syslog, Rfc3164WithBsdTimestamp) {
    const auto s = parse_syslog("<28>May  1 13:59:58 host1 cron[123]: nightly job done", kNow);
    EXPECT_FALSE(s.malformed);
    EXPECT_EQ(s.entry.level, "warn");
    EXPECT_EQ(s.entry.message, "nightly job done");
    std::tm tm{};
    tm.tm_year = 124;
    tm.tm_mon = 4;
    tm.tm_mday = 1;
    tm.tm_hour = 13;
    tm.tm_min = 59;
    tm.tm_sec = 58;
    tm.tm_isdst = -1;
    EXPECT_EQ(s.entry.timestamp, static_cast<std::int64_t>(std::mktime(&tm)) * 1000);  // local time
    EXPECT_EQ(
        meta(s),
        json::parse(
            R"({"hostname":"host1","appName":"cron","procid":"123","facility":"daemon","format":"rfc3164"})"));
}

TEST(Syslog, Rfc3164DecemberReadInJanuaryIsLastYear) {
    const std::int64_t jan2 = 1'704'196'800'000;  // 2024-01-02T12:00:00Z
    const auto s = parse_syslog("<13>Dec 31 23:00:00 h t: m", jan2);
    ASSERT_TRUE(s.entry.timestamp);
    EXPECT_LT(*s.entry.timestamp, jan2);
    EXPECT_GT(*s.entry.timestamp, jan2 - 3 * 86'400'000);
}

TEST(Syslog, Rfc3164WithRfc3339TimestampAsRsyslogForwards) {
    const auto s = parse_syslog("<134>2024-05-01T12:00:00.250+00:00 web01 shop: stock low\n", kNow);
    EXPECT_FALSE(s.malformed);
    EXPECT_EQ(s.entry.timestamp, 1'714'564'800'250);
    EXPECT_EQ(s.entry.message, "stock low");
    EXPECT_EQ(
        meta(s),
        json::parse(
            R"({"hostname":"web01","appName":"shop","facility":"local0","format":"rfc3164"})"));
}

TEST(Syslog, Rfc3164WithoutHeaderOrTag) {
    auto s = parse_syslog("<13>no header at all", kNow);
    EXPECT_FALSE(s.malformed);
    EXPECT_EQ(s.entry.message, "no header at all");
    EXPECT_EQ(s.entry.timestamp, kNow);
    s = parse_syslog("<13>no: header, but a tag", kNow);
    EXPECT_EQ(s.entry.message, "header, but a tag");
    EXPECT_EQ(meta(s).at("appName"), "no");
    // After a full header the first word is the tag, as rsyslog forwards RFC 5424 input.
    s = parse_syslog("<13>May  1 11:00:00 host shop stock low", kNow);
    EXPECT_EQ(s.entry.message, "stock low");
    EXPECT_EQ(meta(s).at("appName"), "shop");
}

TEST(Syslog, MalformedLinesAreKeptWhole) {
    for (const char* bad :
         {"plain text", "<>x", "<192>x", "<1x>y", "<013>z", "<13>1 notatime h a p m - x",
          "<13>1 - h a p m [bad x", "<13>1 - h a", ""}) {
        const auto s = parse_syslog(bad, kNow);
        EXPECT_TRUE(s.malformed) << bad;
        EXPECT_EQ(s.entry.level, "info");
        EXPECT_EQ(s.entry.message, bad);
        EXPECT_EQ(s.entry.timestamp, kNow);
    }
    EXPECT_TRUE(valid_utf8(parse_syslog("bad \xff bytes", kNow).entry.message));
}

std::vector<std::string> frames(SyslogFramer& f) {
    std::vector<std::string> out;
    std::string_view m;
    while (f.next(m)) out.emplace_back(m);
    return out;
}

TEST(SyslogFramer, OctetCountingAcrossReads) {
    SyslogFramer f(1000);
    f.feed("1");
    EXPECT_TRUE(frames(f).empty());
    f.feed("1 <13>1 -");
    EXPECT_TRUE(frames(f).empty());
    f.feed(" - -5 hello");
    EXPECT_EQ(frames(f), (std::vector<std::string>{"<13>1 - - -", "hello"}));
}

TEST(SyslogFramer, TrailingNewlineInsideACountedFrameIsDropped) {
    SyslogFramer f(1000);
    f.feed("6 hello\n6 world\n");
    EXPECT_EQ(frames(f), (std::vector<std::string>{"hello", "world"}));
}

TEST(SyslogFramer, NewlineFramingAndMixed) {
    SyslogFramer f(1000);
    f.feed("<13>first\r\n\n<13>second\n5 count<13>third");
    EXPECT_EQ(frames(f), (std::vector<std::string>{"<13>first", "<13>second", "count"}));
    std::string_view last;
    ASSERT_TRUE(f.finish(last));
    EXPECT_EQ(last, "<13>third");
    SyslogFramer g(1000);
    g.feed("12ab starts with digits\n");
    EXPECT_EQ(frames(g), (std::vector<std::string>{"12ab starts with digits"}));
}

TEST(SyslogFramer, OversizedFramesFail) {
    SyslogFramer f(10);
    f.feed("11 ");
    EXPECT_TRUE(frames(f).empty());
    EXPECT_TRUE(f.failed());
    SyslogFramer g(10);
    g.feed("<13>this line never ends");
    EXPECT_TRUE(frames(g).empty());
    EXPECT_TRUE(g.failed());
    // Found by fuzz_syslog: a long line whose newline came in the same read.
    SyslogFramer l(10);
    l.feed("<13>this line is too long\n");
    EXPECT_TRUE(frames(l).empty());
    EXPECT_TRUE(l.failed());
    SyslogFramer h(10);
    h.feed("99999999999999999999 x");
    EXPECT_TRUE(frames(h).empty());
    EXPECT_TRUE(h.failed());
}

}  // namespace
}  // namespace smartlog::protocol
