#include "protocol/timestamp.hpp"

#include <gtest/gtest.h>

namespace smartlog::protocol {
namespace {

TEST(Timestamp, ParsesUtcWithAndWithoutFraction) {
    EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_iso8601_ms("2024-05-01T12:00:00Z"), 1714564800000);
    EXPECT_EQ(parse_iso8601_ms("2024-05-01T12:00:00.5Z"), 1714564800500);
    EXPECT_EQ(parse_iso8601_ms("2024-05-01T12:00:00.123456Z"), 1714564800123);
    EXPECT_EQ(parse_iso8601_ms("2024-05-01 12:00:00"), 1714564800000);
    EXPECT_EQ(parse_iso8601_ms("2024-05-01T12:00Z"), 1714564800000);
}

TEST(Timestamp, AppliesOffsets) {
    EXPECT_EQ(parse_iso8601_ms("2024-05-01T14:00:00+02:00"), 1714564800000);
    EXPECT_EQ(parse_iso8601_ms("2024-05-01T06:30:00-0530"), 1714564800000);
}

TEST(Timestamp, RefusesNonsense) {
    EXPECT_FALSE(parse_iso8601_ms(""));
    EXPECT_FALSE(parse_iso8601_ms("yesterday"));
    EXPECT_FALSE(parse_iso8601_ms("2024-13-01T00:00:00Z"));
    EXPECT_FALSE(parse_iso8601_ms("2024-02-30T00:00:00Z"));
    EXPECT_FALSE(parse_iso8601_ms("2024-05-01T12:00:00Zjunk"));
    EXPECT_FALSE(parse_iso8601_ms("2024-05-01T25:00:00Z"));
}

}  // namespace
}  // namespace smartlog::protocol
