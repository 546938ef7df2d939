// Producer: when batches leave, what is resent after a reconnection, what acks and refusals
// do; on the pure part (no network).
#include "client/producer.hpp"

#include <gtest/gtest.h>

#include "protocol/requests.hpp"

namespace smartlog::client {
namespace {

Producer::Options options(std::size_t batch, std::size_t in_flight = 16,
                          std::size_t max_queued = 100) {
    return {{max_queued, batch, 1 << 20},
            in_flight,
            OverflowPolicy::drop_newest,
            std::chrono::milliseconds::max()};
}

std::string logs(std::uint64_t ref, std::vector<std::string> entries) {
    return protocol::logs_request(ref, entries);
}

std::vector<std::string> texts(const Producer::Pump& p) {
    std::vector<std::string> out;
    for (const auto& f : p.frames) out.push_back(*f);
    return out;
}

ClientStats stats(const Producer& p) {
    ClientStats s;
    p.fill(s);
    return s;
}

TEST(Producer, ResendsTheUnackedBatchWithItsRefFirstAfterTheConnectionDrops) {
    Producer p(options(2));
    p.push("a", false);
    EXPECT_EQ(p.push("b", false).wake, Producer::Wake::pump);
    EXPECT_EQ(texts(p.pump()), (std::vector<std::string>{logs(1, {"a", "b"})}));
    p.push("c", false);
    p.push("d", false);
    p.connection_lost();
    p.connection_ready();
    EXPECT_EQ(texts(p.pump()), (std::vector<std::string>{logs(1, {"a", "b"}), logs(2, {"c", "d"})}))
        << "the lost batch first, unchanged, then what waited";
    EXPECT_EQ(stats(p).resent, 2u);
    EXPECT_EQ(stats(p).sent, 6u);
}

TEST(Producer, AnAcknowledgedBatchIsNotResent) {
    Producer p(options(2));
    p.push("a", false);
    p.push("b", false);
    p.pump();
    p.acknowledged(1, 2, 0);
    p.connection_lost();
    p.connection_ready();
    EXPECT_TRUE(p.pump().frames.empty());
    EXPECT_EQ(stats(p).acked, 2u);
    EXPECT_EQ(stats(p).queued, 0u);
}

TEST(Producer, ARefusedBatchIsForgottenAndCountedAsRejected) {
    Producer p(options(1));
    p.push("a", false);
    p.pump();
    p.refused(1);
    p.connection_lost();
    p.connection_ready();
    EXPECT_TRUE(p.pump().frames.empty());
    EXPECT_EQ(stats(p).rejected, 1u);
}

TEST(Producer, APartialBatchWaitsForTheTimerOrAFlush) {
    Producer p(options(10));
    EXPECT_EQ(p.push("a", false).wake, Producer::Wake::arm_timer);
    EXPECT_EQ(p.push("b", false).wake, Producer::Wake::none) << "one timer per batch";
    EXPECT_TRUE(p.pump().frames.empty());
    p.flush_timer_fired();
    EXPECT_EQ(texts(p.pump()), (std::vector<std::string>{logs(1, {"a", "b"})}));
    EXPECT_EQ(p.push("c", false).wake, Producer::Wake::arm_timer) << "the next batch's timer";
}

TEST(Producer, WhatWaitedDuringADisconnectionLeavesOnceReady) {
    Producer p(options(10));
    p.push("a", false);
    p.connection_lost();
    p.connection_ready();
    EXPECT_EQ(texts(p.pump()), (std::vector<std::string>{logs(1, {"a"})}));
}

TEST(Producer, KeepsAtMostMaxInFlightBatchesUnacknowledged) {
    Producer p(options(1, /*in_flight=*/2));
    for (auto e : {"a", "b", "c"}) p.push(e, false);
    EXPECT_EQ(p.pump().frames.size(), 2u);
    EXPECT_TRUE(p.pump().frames.empty());
    p.acknowledged(1, 1, 0);
    EXPECT_EQ(texts(p.pump()), (std::vector<std::string>{logs(3, {"c"})}));
}

TEST(Producer, DropsTheNewestWhenFullAndReportsARunOfDropsOnce) {
    Producer p(options(10, 16, /*max_queued=*/2));
    p.push("a", false);
    p.push("b", false);
    EXPECT_EQ(p.push("c", false).outcome, Producer::Pushed::dropped);
    EXPECT_EQ(p.push("d", false).outcome, Producer::Pushed::dropped);
    EXPECT_EQ(p.take_new_drops(), 2u);
    EXPECT_EQ(p.take_new_drops(), 0u);
    EXPECT_EQ(stats(p).dropped, 2u);
}

}  // namespace
}  // namespace smartlog::client
