#include "core/id_generator.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace smartlog::core {
namespace {

TEST(IdGenerator, MakesUuidV7Strings) {
    IdGenerator ids;
    const std::string id = ids.next(1'700'000'000'123);
    EXPECT_TRUE(std::regex_match(
        id, std::regex("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")))
        << id;
    EXPECT_EQ(IdGenerator::timestamp_of(id), 1'700'000'000'123);
}

TEST(IdGenerator, IdsIncreaseWithinOneMillisecondAndAcrossThem) {
    IdGenerator ids;
    std::string previous;
    std::set<std::string> seen;
    for (int i = 0; i < 10'000; ++i) {
        const std::string id = ids.next(1'700'000'000'000 + i / 5000);
        EXPECT_LT(previous, id);
        previous = id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10'000u);
}

TEST(IdGenerator, NeverGoesBackWhenTheClockDoes) {
    IdGenerator ids;
    const std::string late = ids.next(2'000'000'000'000);
    const std::string early = ids.next(1'000'000'000'000);
    EXPECT_LT(late, early);
}

TEST(IdGenerator, ObservedIdsStayBehindNewOnes) {
    IdGenerator first;
    const std::string old = first.next(1'800'000'000'000);
    IdGenerator second;
    second.observe(old);
    EXPECT_LT(old, second.next(1'700'000'000'000));
}

TEST(IdGenerator, TimestampOfRejectsOtherStrings) {
    EXPECT_EQ(IdGenerator::timestamp_of("nope"), -1);
    EXPECT_EQ(IdGenerator::timestamp_of("01890a5d-ac96-4000-8000-000000000000"), -1);  // version 4
}

}  // namespace
}  // namespace smartlog::core
