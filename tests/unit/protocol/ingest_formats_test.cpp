// The smaller pieces of the standard ingest formats: UTF-8 repair, base64, gzip and snappy with
// their caps, text lines.
#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>

#include "protocol/decompress.hpp"
#include "protocol/ingest_common.hpp"
#include "protocol/text_lines.hpp"

namespace smartlog::protocol {
namespace {

std::string gzip(std::string_view data) {
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, data.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    return out;
}

TEST(Utf8, ValidAndRepaired) {
    EXPECT_TRUE(valid_utf8("plain ascii"));
    EXPECT_TRUE(valid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
    for (const char* bad :
         {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF", "\x80"}) {
        EXPECT_FALSE(valid_utf8(bad)) << bad;
        EXPECT_TRUE(valid_utf8(repaired_utf8(bad)));
    }
    EXPECT_EQ(repaired_utf8("a\xFF"
                            "b"),
              "a\xEF\xBF\xBD"
              "b");
    std::string out;
    append_json_text(out, "q\"\xFF");
    EXPECT_EQ(out, "\"q\\\"\xEF\xBF\xBD\"");
}

TEST(Base64, RoundTripsAndRefusesGarbage) {
    for (const std::string& s :
         {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
          std::string("abcd"), std::string("\0\xff\x10", 3)}) {
        EXPECT_EQ(base64_decode(base64_encode(s)), s);
    }
    EXPECT_EQ(base64_decode("YWxpY2U6dG9rZW4"), "alice:token");  // padding optional
    EXPECT_FALSE(base64_decode("a"));
    EXPECT_FALSE(base64_decode("ab=c"));
    EXPECT_FALSE(base64_decode("a b"));
    EXPECT_FALSE(base64_decode("ab==="));
}

TEST(Decompress, GzipRoundTripAndMembers) {
    const std::string text(100000, 'x');
    auto out = inflate_body(gzip(text), Compression::gzip, 1 << 20);
    ASSERT_TRUE(std::holds_alternative<std::string>(out));
    EXPECT_EQ(std::get<std::string>(out), text);
    auto two = inflate_body(gzip("ab") + gzip("cd"), Compression::gzip, 100);
    ASSERT_TRUE(std::holds_alternative<std::string>(two));
    EXPECT_EQ(std::get<std::string>(two), "abcd");
}

TEST(Decompress, BombsStopAtTheCap) {
    const std::string bomb = gzip(std::string(10 << 20, '\0'));
    auto out = inflate_body(bomb, Compression::gzip, 1 << 20);
    ASSERT_TRUE(std::holds_alternative<InflateError>(out));
    EXPECT_TRUE(std::get<InflateError>(out).too_large);
    // Exactly at the cap is fine.
    auto exact = inflate_body(gzip(std::string(4096, 'a')), Compression::gzip, 4096);
    EXPECT_TRUE(std::holds_alternative<std::string>(exact));
}

TEST(Decompress, CorruptAndTruncatedInput) {
    const std::string good = gzip("hello world");
    for (const std::string& bad : {std::string("not gzip"), good.substr(0, good.size() / 2),
                                   std::string(), good + "trailing"}) {
        auto out = inflate_body(bad, Compression::gzip, 1000);
        ASSERT_TRUE(std::holds_alternative<InflateError>(out));
        EXPECT_FALSE(std::get<InflateError>(out).too_large);
    }
}

TEST(Decompress, SnappyBlocks) {
    std::string compressed;
    snappy::Compress("loki push body", 14, &compressed);
    auto out = unsnappy(compressed, 100);
    ASSERT_TRUE(std::holds_alternative<std::string>(out));
    EXPECT_EQ(std::get<std::string>(out), "loki push body");
    auto capped = unsnappy(compressed, 10);
    ASSERT_TRUE(std::holds_alternative<InflateError>(capped));
    EXPECT_TRUE(std::get<InflateError>(capped).too_large);
    // A length that promises a gigabyte is refused before any allocation.
    auto liar = unsnappy(std::string("\x80\x80\x80\x80\x04", 5), 1 << 20);
    ASSERT_TRUE(std::holds_alternative<InflateError>(liar));
    EXPECT_TRUE(std::get<InflateError>(liar).too_large);
    auto corrupt = unsnappy(compressed.substr(0, compressed.size() - 3), 100);
    ASSERT_TRUE(std::holds_alternative<InflateError>(corrupt));
    EXPECT_FALSE(std::get<InflateError>(corrupt).too_large);
}

TEST(TextLines, OneEntryPerLine) {
    Limits limits;
    limits.max_message_bytes = 8;
    const auto logs = decode_text_lines("first\r\n\n  \nsecond line\nthird", "warn", limits);
    ASSERT_EQ(logs.accepted.size(), 2u);
    EXPECT_EQ(logs.accepted[0].message, "first");
    EXPECT_EQ(logs.accepted[0].level, "warn");
    EXPECT_FALSE(logs.accepted[0].timestamp);
    EXPECT_EQ(logs.accepted[1].message, "third");
    EXPECT_EQ(logs.accepted[1].index, 2u);
    ASSERT_EQ(logs.rejected.size(), 1u);
    EXPECT_EQ(logs.rejected[0].index, 1u);
}

}  // namespace
}  // namespace smartlog::protocol
