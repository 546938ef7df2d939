#include "cluster/hash_ring.hpp"

#include <gtest/gtest.h>

#include <map>

namespace smartlog::cluster {
namespace {

TEST(HashRing, EveryNodePicksTheSameServerWhateverTheOrderOfTheList) {
    const HashRing a({"r1:6379", "r2:6379", "r3:6379"});
    const HashRing b({"r3:6379", "r1:6379", "r2:6379"});
    const std::vector<std::string> order_a{"r1:6379", "r2:6379", "r3:6379"};
    const std::vector<std::string> order_b{"r3:6379", "r1:6379", "r2:6379"};
    for (int i = 0; i < 200; ++i) {
        const std::string app = "app" + std::to_string(i);
        EXPECT_EQ(order_a[a.pick(app)], order_b[b.pick(app)]) << app;
    }
}

TEST(HashRing, SpreadsAppsOverServers) {
    const HashRing ring({"r1:6379", "r2:6379"});
    std::map<std::size_t, int> count;
    for (int i = 0; i < 1000; ++i) ++count[ring.pick("app" + std::to_string(i))];
    EXPECT_GT(count[0], 300);
    EXPECT_GT(count[1], 300);
}

TEST(HashRing, AddingAServerMovesOnlySomeApps) {
    const HashRing two({"r1:6379", "r2:6379"});
    const HashRing three({"r1:6379", "r2:6379", "r3:6379"});
    int moved = 0;
    for (int i = 0; i < 1000; ++i) {
        const std::string app = "app" + std::to_string(i);
        const std::size_t before = two.pick(app), after = three.pick(app);
        if (after != before) {
            ++moved;
            EXPECT_EQ(after, 2u) << app << " moved between the servers that stayed";
        }
    }
    EXPECT_GT(moved, 200);
    EXPECT_LT(moved, 500);
}

}  // namespace
}  // namespace smartlog::cluster
