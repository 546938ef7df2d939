#include "core/units.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

using std::chrono::milliseconds;

TEST(Units, ParsesDurationsWithUnits) {
    EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
    EXPECT_EQ(parse_duration("5s"), milliseconds(5000));
    EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
    EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
    EXPECT_EQ(parse_duration("7d"), milliseconds(604'800'000));
}

TEST(Units, RefusesDurationsWithoutAKnownUnit) {
    EXPECT_FALSE(parse_duration("250"));
    EXPECT_FALSE(parse_duration("5 weeks"));
    EXPECT_FALSE(parse_duration("s"));
    EXPECT_FALSE(parse_duration("-5s"));
    EXPECT_FALSE(parse_duration("99999999999999999999d"));
}

TEST(Units, ParsesSizes) {
    EXPECT_EQ(parse_size("65536"), 65536u);
    EXPECT_EQ(parse_size("64KiB"), 65536u);
    EXPECT_EQ(parse_size("8MiB"), 8u << 20);
    EXPECT_EQ(parse_size("1GiB"), 1u << 30);
    EXPECT_EQ(parse_size("10KB"), 10'000u);
    EXPECT_EQ(parse_size("12B"), 12u);
}

TEST(Units, RefusesBadSizes) {
    EXPECT_FALSE(parse_size("8 megs"));
    EXPECT_FALSE(parse_size("MiB"));
    EXPECT_FALSE(parse_size("99999999999999999999GiB"));
}

TEST(Units, FormatsExactly) {
    EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
    EXPECT_EQ(format_duration(milliseconds(60'000)), "1m");
    EXPECT_EQ(format_size(8u << 20), "8MiB");
    EXPECT_EQ(format_size(1000), "1000");
}

}  // namespace
}  // namespace smartlog::core
