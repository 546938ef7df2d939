#include "server/connection_slots.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace smartlog::server {
namespace {

net::ip::address addr(const char* text) { return net::ip::make_address(text); }

TEST(ConnectionSlots, CapsConnectionsPerAddress) {
    ConnectionSlots slots;
    const SlotLimits limits{2, 0};
    auto a = slots.admit(addr("203.0.113.5"), limits);
    auto b = slots.admit(addr("203.0.113.5"), limits);
    ASSERT_TRUE(a.slot && b.slot);
    auto refused = slots.admit(addr("203.0.113.5"), limits);
    EXPECT_FALSE(refused.slot);
    EXPECT_NE(refused.refusal.find("max_connections_per_address"), std::string::npos);
    // Another address is not affected.
    EXPECT_TRUE(slots.admit(addr("203.0.113.6"), limits).slot);
    // A place freed is a place again.
    a.slot = Slot();
    EXPECT_EQ(slots.from(addr("203.0.113.5")), 1u);
    EXPECT_TRUE(slots.admit(addr("203.0.113.5"), limits).slot);
}

TEST(ConnectionSlots, MappedIpv4CountsAsIpv4) {
    ConnectionSlots slots;
    const SlotLimits limits{1, 0};
    auto a = slots.admit(addr("198.51.100.7"), limits);
    EXPECT_FALSE(slots.admit(addr("::ffff:198.51.100.7"), limits).slot);
}

TEST(ConnectionSlots, LoopbackIsNeverCapped) {
    ConnectionSlots slots;
    const SlotLimits limits{1, 0};
    std::vector<Slot> held;
    for (const char* a :
         {"127.0.0.1", "127.0.0.1", "127.0.0.2", "::1", "::1", "::ffff:127.0.0.1"}) {
        auto admission = slots.admit(addr(a), limits);
        ASSERT_TRUE(admission.slot) << a;
        held.push_back(std::move(admission.slot));
    }
    EXPECT_EQ(slots.open(), 6u);
}

TEST(ConnectionSlots, AtTheUnauthenticatedCapTheOldestWaitingIsDisplaced) {
    ConnectionSlots slots;
    const SlotLimits limits{0, 3};
    std::vector<int> closed;
    std::vector<Slot> held;
    for (int i = 0; i < 3; ++i) {
        auto admission = slots.admit(addr("192.0.2.1"), limits);
        EXPECT_EQ(admission.displaced, 0u);
        admission.slot.on_displace([&closed, i] { closed.push_back(i); });
        held.push_back(std::move(admission.slot));
    }
    // The second one authenticates: it leaves the line.
    held[1].set_waiting(false);
    auto fourth = slots.admit(addr("192.0.2.2"), limits);
    ASSERT_TRUE(fourth.slot);
    EXPECT_EQ(fourth.displaced, 0u);  // 2 waiting + the new one: within the cap
    auto fifth = slots.admit(addr("192.0.2.2"), limits);
    EXPECT_EQ(fifth.displaced, 1u);
    EXPECT_EQ(closed, (std::vector<int>{0}));
    EXPECT_TRUE(held[0].displaced());
    EXPECT_FALSE(held[1].displaced());
    EXPECT_EQ(slots.waiting(), 3u);
    // A displaced slot stays counted until its connection closes, and never waits again.
    held[0].set_waiting(true);
    EXPECT_EQ(slots.waiting(), 3u);
    EXPECT_EQ(slots.open(), 5u);
    held[0] = Slot();
    EXPECT_EQ(slots.open(), 4u);
}

TEST(ConnectionSlots, ConnectionsThatProveNothingCannotLockOthersOut) {
    // An attacker reopening connections as fast as they are closed, and one legitimate client
    // that authenticates right after connecting: it always gets in.
    ConnectionSlots slots;
    const SlotLimits limits{0, 8};
    std::vector<Slot> attacker;
    for (int round = 0; round < 100; ++round) {
        for (int i = 0; i < 20; ++i)
            attacker.push_back(slots.admit(addr("192.0.2.66"), limits).slot);
        auto user = slots.admit(addr("192.0.2.10"), limits);
        ASSERT_TRUE(user.slot);
        ASSERT_FALSE(user.slot.displaced());
        user.slot.set_waiting(false);  // authenticated
        ASSERT_LE(slots.waiting(), 8u);
        std::erase_if(attacker, [](const Slot& s) { return s.displaced(); });
    }
}

TEST(ConnectionSlots, ReenteringWaitingGoesToTheBackOfTheLine) {
    ConnectionSlots slots;
    const SlotLimits limits{0, 2};
    std::vector<int> closed;
    auto a = slots.admit(addr("192.0.2.1"), limits);
    a.slot.on_displace([&closed] { closed.push_back(0); });
    auto b = slots.admit(addr("192.0.2.1"), limits);
    b.slot.on_displace([&closed] { closed.push_back(1); });
    // `a` serves a request, then waits for the next one: it is now the newest.
    a.slot.set_waiting(false);
    a.slot.set_waiting(true);
    auto c = slots.admit(addr("192.0.2.1"), limits);
    EXPECT_EQ(closed, (std::vector<int>{1}));
}

TEST(ConnectionSlots, MovedSlotsFreeTheirPlaceOnce) {
    ConnectionSlots slots;
    {
        auto admission = slots.admit(addr("192.0.2.1"), {});
        Slot moved = std::move(admission.slot);
        Slot again;
        again = std::move(moved);
        EXPECT_EQ(slots.open(), 1u);
        EXPECT_EQ(slots.waiting(), 1u);
    }
    EXPECT_EQ(slots.open(), 0u);
    EXPECT_EQ(slots.waiting(), 0u);
    EXPECT_EQ(slots.from(addr("192.0.2.1")), 0u);
}

}  // namespace
}  // namespace smartlog::server
