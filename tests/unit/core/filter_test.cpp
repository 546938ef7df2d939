#include "core/filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace smartlog::core {
namespace {

EntryPtr entry(std::string level, std::string message, std::int64_t ts) {
    return make_entry({.timestamp = ts, .level = level, .message = message});
}

TEST(Filter, EmptyAcceptsEverything) {
    Filter f;
    EXPECT_TRUE(f.accepts_all());
    EXPECT_TRUE(f.matches(*entry("custom", "", 0)));
}

// An entry keeps its message as JSON escapes it; the search is on the text itself.
TEST(Filter, SearchesTheMessagesTextNotItsJsonEscapes) {
    Filter f;
    f.search = "say \"hi\"";
    EXPECT_TRUE(f.matches(*entry("info", "they say \"hi\"\n", 0)));
    f.search = "\n";
    EXPECT_TRUE(f.matches(*entry("info", "line\nbreak", 0)));
    f.search = "\\n";  // a backslash and an n: what the JSON text holds, not the message
    EXPECT_FALSE(f.matches(*entry("info", "line\nbreak", 0)));
    f.search = "u0001";
    EXPECT_FALSE(f.matches(*entry("info", std::string("a\x01b"), 0)));
}

TEST(Filter, MatchesListedLevelsOnly) {
    Filter f;
    f.levels = {"error", "warn"};
    EXPECT_FALSE(f.accepts_all());
    EXPECT_TRUE(f.matches(*entry("warn", "x", 0)));
    EXPECT_FALSE(f.matches(*entry("info", "x", 0)));
}

TEST(Filter, TimeBoundsAreInclusive) {
    Filter f;
    f.start_time = 100;
    f.end_time = 200;
    EXPECT_FALSE(f.matches(*entry("info", "x", 99)));
    EXPECT_TRUE(f.matches(*entry("info", "x", 100)));
    EXPECT_TRUE(f.matches(*entry("info", "x", 200)));
    EXPECT_FALSE(f.matches(*entry("info", "x", 201)));
}

TEST(Filter, SearchIsCaseInsensitiveSubstring) {
    Filter f;
    f.search = "TimeOut";
    EXPECT_TRUE(f.matches(*entry("info", "request timeout after 3s", 0)));
    EXPECT_FALSE(f.matches(*entry("info", "request time out", 0)));
}

TEST(Filter, AllFieldsMustMatch) {
    Filter f;
    f.levels = {"error"};
    f.search = "db";
    EXPECT_TRUE(f.matches(*entry("error", "DB down", 5)));
    EXPECT_FALSE(f.matches(*entry("info", "DB down", 5)));
    EXPECT_FALSE(f.matches(*entry("error", "disk full", 5)));
}

TEST(ContainsIgnoringCase, HandlesEdges) {
    EXPECT_TRUE(contains_ignoring_case("abc", ""));
    EXPECT_FALSE(contains_ignoring_case("", "a"));
    EXPECT_TRUE(contains_ignoring_case("ABC", "abc"));
    EXPECT_FALSE(contains_ignoring_case("ab", "abc"));
}

// The definition the search must keep: ASCII letters fold, every other byte (UTF-8 included)
// compares as it is, position by position.
bool naive_contains(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;  // found everywhere, the empty message included
    auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                       [&](char a, char b) { return fold(a) == fold(b); }) != hay.end();
}

TEST(ContainsIgnoringCase, AgreesWithTheNaiveSearchOnRandomInputs) {
    std::mt19937 rng(12345);
    // A small alphabet makes matches and near-matches frequent; it includes both cases, bytes
    // next to the letter ranges, and the bytes of "é" and "É" (folded by neither).
    const std::string alphabet = "aAbB@[`{\xc3\xa9\x89";
    auto random_text = [&](std::size_t max_len) {
        std::string s(rng() % (max_len + 1), ' ');
        for (char& c : s) c = alphabet[rng() % alphabet.size()];
        return s;
    };
    int found = 0;
    for (int i = 0; i < 20000; ++i) {
        const std::string hay = random_text(64);
        std::string needle = random_text(6);
        // Half the time, a piece of the haystack with its case flipped: a match to find.
        if (i % 2 && !hay.empty()) {
            const std::size_t at = rng() % hay.size();
            needle = hay.substr(at, rng() % 8);
            for (char& c : needle) {
                if (c >= 'a' && c <= 'z' && rng() % 2) c = static_cast<char>(c - 32);
            }
        }
        const bool expected = naive_contains(hay, needle);
        found += expected;
        ASSERT_EQ(contains_ignoring_case(hay, needle), expected)
            << "hay=" << hay << " needle=" << needle;
    }
    EXPECT_GT(found, 5000);  // the test exercised matches, not only misses
}

TEST(ContainsIgnoringCase, NonAsciiBytesAreNotFolded) {
    EXPECT_TRUE(contains_ignoring_case("caf\xc3\xa9 ouvert", "CAF\xc3\xa9"));
    EXPECT_FALSE(contains_ignoring_case("caf\xc3\x89", "caf\xc3\xa9"));  // É is not é
}

TEST(ContainsIgnoringCase, AdversarialNeedleTakesLinearTime) {
    // A needle of a's ending in b over messages of a's: a comparison per pair of positions
    // would cost 64 KiB x 1 KiB per message, 7e10 comparisons for this loop (minutes even
    // unsanitised); a linear search does 64 MiB of work. The test finishes, or times out.
    const std::string hay(64 * 1024, 'a');
    std::string needle(kMaxSearchBytes - 1, 'A');
    needle += 'b';
    int found = 0;
    for (int i = 0; i < 1000; ++i) found += contains_ignoring_case(hay, needle);
    EXPECT_EQ(found, 0);
    EXPECT_TRUE(contains_ignoring_case(hay + "B", needle));
}

}  // namespace
}  // namespace smartlog::core
