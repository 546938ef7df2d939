#include "core/filter.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

Entry entry(std::string level, std::string message, std::int64_t ts) {
    Entry e;
    e.level = std::move(level);
    e.message = std::move(message);
    e.timestamp = ts;
    return e;
}

TEST(Filter, EmptyAcceptsEverything) {
    Filter f;
    EXPECT_TRUE(f.accepts_all());
    EXPECT_TRUE(f.matches(entry("custom", "", 0)));
}

TEST(Filter, MatchesListedLevelsOnly) {
    Filter f;
    f.levels = {"error", "warn"};
    EXPECT_FALSE(f.accepts_all());
    EXPECT_TRUE(f.matches(entry("warn", "x", 0)));
    EXPECT_FALSE(f.matches(entry("info", "x", 0)));
}

TEST(Filter, TimeBoundsAreInclusive) {
    Filter f;
    f.start_time = 100;
    f.end_time = 200;
    EXPECT_FALSE(f.matches(entry("info", "x", 99)));
    EXPECT_TRUE(f.matches(entry("info", "x", 100)));
    EXPECT_TRUE(f.matches(entry("info", "x", 200)));
    EXPECT_FALSE(f.matches(entry("info", "x", 201)));
}

TEST(Filter, SearchIsCaseInsensitiveSubstring) {
    Filter f;
    f.search = "TimeOut";
    EXPECT_TRUE(f.matches(entry("info", "request timeout after 3s", 0)));
    EXPECT_FALSE(f.matches(entry("info", "request time out", 0)));
}

TEST(Filter, AllFieldsMustMatch) {
    Filter f;
    f.levels = {"error"};
    f.search = "db";
    EXPECT_TRUE(f.matches(entry("error", "DB down", 5)));
    EXPECT_FALSE(f.matches(entry("info", "DB down", 5)));
    EXPECT_FALSE(f.matches(entry("error", "disk full", 5)));
}

TEST(ContainsIgnoringCase, HandlesEdges) {
    EXPECT_TRUE(contains_ignoring_case("abc", ""));
    EXPECT_FALSE(contains_ignoring_case("", "a"));
    EXPECT_TRUE(contains_ignoring_case("ABC", "abc"));
    EXPECT_FALSE(contains_ignoring_case("ab", "abc"));
}

}  // namespace
}  // namespace smartlog::core
