#include "core/cluster_id.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "core/id_generator.hpp"

namespace smartlog::core {
namespace {

TEST(ClusterId, IsAUuidV7WhoseTimeTheSingleNodeReadsToo) {
    const std::string id = make_cluster_id({1'700'000'000'123, 42, epoch_tag("app", "1")});
    EXPECT_TRUE(std::regex_match(
        id, std::regex("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")))
        << id;
    EXPECT_EQ(IdGenerator::timestamp_of(id), 1'700'000'000'123);
}

TEST(ClusterId, DecodesWhatItEncodes) {
    const std::uint64_t offsets[] = {1, 2, (1ull << 30) - 1, 1ull << 30, kClusterOffsetLimit - 1};
    for (std::uint64_t offset : offsets) {
        const ClusterId parts{1'764'000'000'000, offset, 0xdeadbeef};
        const auto back = parse_cluster_id(make_cluster_id(parts));
        ASSERT_TRUE(back);
        EXPECT_EQ(back->time_ms, parts.time_ms);
        EXPECT_EQ(back->offset, offset);
        EXPECT_EQ(back->tag, 0xdeadbeefu);
    }
}

TEST(ClusterId, OrdersByTimeThenOffset) {
    const std::uint32_t tag = epoch_tag("a", "9");
    EXPECT_LT(make_cluster_id({5, 1, tag}), make_cluster_id({5, 2, tag}));
    EXPECT_LT(make_cluster_id({5, (1ull << 30) - 1, tag}), make_cluster_id({5, 1ull << 30, tag}));
    EXPECT_LT(make_cluster_id({5, 900, tag}), make_cluster_id({6, 1, tag}));
}

TEST(ClusterId, RefusesWhatIsNotAUuidV7) {
    EXPECT_FALSE(parse_cluster_id(""));
    EXPECT_FALSE(parse_cluster_id("not-an-id"));
    EXPECT_FALSE(parse_cluster_id("0190a8b2-1c3d-4e5f-8a9b-0c1d2e3f4a5b"));  // version 4
    EXPECT_FALSE(parse_cluster_id("0190a8b2-1c3d-7e5f-8a9b-0c1d2e3f4a5g"));  // not hex
    EXPECT_FALSE(parse_cluster_id("0190a8b21c3d-7e5f-8a9b-0c1d2e3f4a5b0"));  // dashes misplaced
}

TEST(ClusterId, TagsTellEpochsAndAppsApart) {
    EXPECT_NE(epoch_tag("app", "1"), epoch_tag("app", "2"));
    EXPECT_NE(epoch_tag("app", "1"), epoch_tag("ap", "p1"));
    EXPECT_EQ(epoch_tag("app", "1"), epoch_tag("app", "1"));
}

}  // namespace
}  // namespace smartlog::core
