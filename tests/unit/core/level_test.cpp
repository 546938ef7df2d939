#include "core/level.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

TEST(Level, LowerCasesAndMapsAliases) {
    EXPECT_EQ(normalize_level("WARNING"), "warn");
    EXPECT_EQ(normalize_level("Err"), "error");
    EXPECT_EQ(normalize_level("critical"), "fatal");
    EXPECT_EQ(normalize_level("crit"), "fatal");
    EXPECT_EQ(normalize_level("PANIC"), "fatal");
    EXPECT_EQ(normalize_level("Info"), "info");
}

TEST(Level, EmptyIsInfo) { EXPECT_EQ(normalize_level(""), "info"); }

TEST(Level, KeepsCustomLevelsLowerCased) { EXPECT_EQ(normalize_level("AUDIT"), "audit"); }

TEST(Level, RefusesLevelsLongerThan32Characters) {
    EXPECT_EQ(normalize_level(std::string(32, 'x')), std::string(32, 'x'));
    EXPECT_FALSE(normalize_level(std::string(33, 'x')).has_value());
}

TEST(Level, ErrorAndFatalCountAsErrors) {
    EXPECT_TRUE(is_error_level("error"));
    EXPECT_TRUE(is_error_level("fatal"));
    EXPECT_FALSE(is_error_level("warn"));
}

TEST(Level, RanksCanonicalLevelsInOrder) {
    EXPECT_EQ(level_rank("trace"), 0);
    EXPECT_EQ(level_rank("fatal"), 6);
    EXPECT_LT(level_rank("info"), level_rank("warn"));
    EXPECT_EQ(level_rank("audit"), -1);
}

TEST(Level, LogOfTheOriginalLibraryRanksBetweenDebugAndInfo) {
    EXPECT_EQ(normalize_level("LOG"), "log");
    EXPECT_LT(level_rank("debug"), level_rank("log"));
    EXPECT_LT(level_rank("log"), level_rank("info"));
    EXPECT_FALSE(is_error_level("log"));
}

TEST(Level, LevelsAtOrAboveFollowTheRanks) {
    using V = std::vector<std::string>;
    EXPECT_EQ(levels_at_or_above("info"), (V{"info", "warn", "error", "fatal"}));
    EXPECT_EQ(levels_at_or_above("debug"), (V{"debug", "log", "info", "warn", "error", "fatal"}));
    EXPECT_EQ(levels_at_or_above("log"), (V{"log", "info", "warn", "error", "fatal"}));
    EXPECT_TRUE(levels_at_or_above("audit").empty());
}

}  // namespace
}  // namespace smartlog::core
