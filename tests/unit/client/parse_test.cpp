// The installed <smartlog/parse.hpp> reads durations, times and levels as the server does.
#include <smartlog/parse.hpp>

#include <gtest/gtest.h>

namespace smartlog {
namespace {

TEST(Parse, DurationsAreWholeNumbersWithAUnit) {
    EXPECT_EQ(parse_duration("10m"), std::chrono::minutes(10));
    EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
    EXPECT_EQ(parse_duration("7d"), std::chrono::hours(7 * 24));
    EXPECT_FALSE(parse_duration("10"));
    EXPECT_FALSE(parse_duration("ten minutes"));
}

TEST(Parse, TimesAreIso8601InMillisecondsSinceTheEpoch) {
    EXPECT_EQ(parse_time("1970-01-01T00:00:01Z"), 1000);
    EXPECT_EQ(parse_time("2024-05-01T12:00:00.250+02:00"), 1714557600250);
    EXPECT_FALSE(parse_time("yesterday"));
}

TEST(Parse, LevelsAreNormalisedAndRanked) {
    EXPECT_EQ(normalize_level("WARNING"), "warn");
    EXPECT_EQ(normalize_level(""), "info");
    EXPECT_FALSE(normalize_level(std::string(33, 'x')));
    EXPECT_EQ(levels_at_or_above("error"), (std::vector<std::string>{"error", "fatal"}));
    EXPECT_TRUE(levels_at_or_above("custom").empty());
}

}  // namespace
}  // namespace smartlog
