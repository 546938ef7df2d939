#include "server/outbound_queue.hpp"

#include <gtest/gtest.h>

namespace smartlog::server {
namespace {

SharedFrame frame(std::size_t bytes) { return std::make_shared<const std::string>(bytes, 'x'); }

constexpr std::size_t kOverhead = OutboundQueue::kFrameOverhead;

TEST(OutboundQueue, ChargesEveryFrameItsBytesPlusOverhead) {
    OutboundQueue q(1000);
    ASSERT_TRUE(q.offer(frame(15), FrameKind::reply));
    EXPECT_EQ(q.charged(), 15 + kOverhead);
    q.pop_front();
    EXPECT_EQ(q.charged(), 0u);
}

TEST(OutboundQueue, SkipsLiveFramesThatWouldPassTheBound) {
    OutboundQueue q(1000);
    ASSERT_TRUE(q.offer(frame(500), FrameKind::live));
    EXPECT_FALSE(q.offer(frame(500), FrameKind::live));
    EXPECT_EQ(q.size(), 1u);
}

TEST(OutboundQueue, TakesOneLiveFrameWhenNothingWaits) {
    // A batch larger than the bound still reaches a viewer that keeps up.
    OutboundQueue q(100);
    EXPECT_TRUE(q.offer(frame(5000), FrameKind::live));
}

TEST(OutboundQueue, TheFrameBeingWrittenDoesNotCountAsWaiting) {
    OutboundQueue q(1000);
    ASSERT_TRUE(q.offer(frame(800), FrameKind::live));
    q.start_writing();
    EXPECT_EQ(q.waiting(), 0u);
    EXPECT_TRUE(q.offer(frame(800), FrameKind::live));
    EXPECT_FALSE(q.offer(frame(800), FrameKind::live));
}

TEST(OutboundQueue, RepliesAreNeverRefusedButReportOverBound) {
    OutboundQueue q(1000);
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(q.offer(frame(100), FrameKind::reply));
    EXPECT_TRUE(q.over_bound());
    EXPECT_EQ(q.charged(), 20 * (100 + kOverhead));
}

TEST(OutboundQueue, ManyTinyFramesReachTheBoundByTheirOverhead) {
    // A ping flood: pongs are 15 bytes, but each held frame costs real memory.
    OutboundQueue q(8u << 20);
    std::size_t n = 0;
    while (!q.over_bound()) {
        q.offer(frame(15), FrameKind::reply);
        ++n;
    }
    EXPECT_LE(n, (8u << 20) / (15 + kOverhead) + 1);
}

TEST(OutboundQueue, NoticesAreRefusedLikeLiveFrames) {
    OutboundQueue q(1000);
    ASSERT_TRUE(q.offer(frame(900), FrameKind::reply));
    EXPECT_FALSE(q.offer(frame(200), FrameKind::notice));
}

TEST(OutboundQueue, DropWaitingKeepsOnlyTheFrameBeingWritten) {
    OutboundQueue q(10000);
    q.offer(frame(10), FrameKind::reply);
    q.start_writing();
    q.offer(frame(20), FrameKind::reply);
    q.offer(frame(30), FrameKind::reply);
    q.drop_waiting();
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q.front()->size(), 10u);
    EXPECT_EQ(q.charged(), 10 + kOverhead);
    q.pop_front();
    EXPECT_EQ(q.charged(), 0u);
}

TEST(OutboundQueue, DropWaitingWithNothingBeingWrittenEmptiesIt) {
    OutboundQueue q(10000);
    q.offer(frame(10), FrameKind::reply);
    q.offer(frame(20), FrameKind::reply);
    q.drop_waiting();
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.charged(), 0u);
}

}  // namespace
}  // namespace smartlog::server
