#include "core/token_bucket.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

using namespace std::chrono_literals;

// A fixed origin: tests move time by adding durations to it.
const TokenBucket::time_point t0{std::chrono::hours(1)};

TEST(TokenBucket, ZeroRateIsUnlimited) {
    TokenBucket b(0, 0, t0);
    EXPECT_TRUE(b.unlimited());
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(b.try_take(1'000'000, t0).allowed);
    EXPECT_TRUE(TokenBucket().try_take(1'000'000, t0).allowed);
}

TEST(TokenBucket, StartsFullAndLetsTheBurstThrough) {
    TokenBucket b(10, 50, t0);
    EXPECT_TRUE(b.try_take(30, t0).allowed);
    EXPECT_TRUE(b.try_take(20, t0).allowed);
    auto d = b.try_take(1, t0);
    EXPECT_FALSE(d.allowed);
    EXPECT_FALSE(d.exceeds_burst);
}

TEST(TokenBucket, RefillsAtTheRateAndSaysWhenToRetry) {
    TokenBucket b(100, 100, t0);
    ASSERT_TRUE(b.try_take(100, t0).allowed);
    auto d = b.try_take(50, t0 + 200ms);  // 20 tokens back, 30 missing: 300 ms more
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after, 300ms);
    EXPECT_FALSE(b.try_take(50, t0 + 499ms).allowed);
    EXPECT_TRUE(b.try_take(50, t0 + 500ms).allowed);
}

TEST(TokenBucket, ARefusedRequestTakesNothing) {
    TokenBucket b(10, 10, t0);
    ASSERT_TRUE(b.try_take(8, t0).allowed);
    EXPECT_FALSE(b.try_take(5, t0).allowed);
    EXPECT_TRUE(b.try_take(2, t0).allowed);
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
    TokenBucket b(10, 20, t0);
    ASSERT_TRUE(b.try_take(20, t0).allowed);
    // An hour of silence refills to the burst, not to 36,000.
    EXPECT_TRUE(b.try_take(20, t0 + 1h).allowed);
    EXPECT_FALSE(b.try_take(1, t0 + 1h).allowed);
}

TEST(TokenBucket, ABatchLargerThanTheBurstNeverPasses) {
    TokenBucket b(1000, 100, t0);
    auto d = b.try_take(101, t0 + 24h);
    EXPECT_FALSE(d.allowed);
    EXPECT_TRUE(d.exceeds_burst);
    // And it takes nothing either.
    EXPECT_TRUE(b.try_take(100, t0 + 24h).allowed);
}

TEST(TokenBucket, SustainedRateIsTheConfiguredRate) {
    // One entry every millisecond for 10 s against 200/s with a burst of 50: the burst plus
    // 10 s at 200/s pass, nothing more.
    TokenBucket b(200, 50, t0);
    int passed = 0;
    for (int ms = 0; ms < 10'000; ++ms)
        passed += b.try_take(1, t0 + std::chrono::milliseconds(ms)).allowed;
    EXPECT_GE(passed, 50 + 1999);
    EXPECT_LE(passed, 50 + 2000);
}

TEST(TokenBucket, CheckThenTakeSpendsTwoBucketsTogether) {
    TokenBucket app(100, 100, t0), conn(10, 10, t0);
    auto a = app.check(20, t0), c = conn.check(20, t0);
    EXPECT_TRUE(a.allowed);
    EXPECT_TRUE(c.exceeds_burst);
    // Neither was spent, so the app still has its whole burst.
    EXPECT_TRUE(app.try_take(100, t0).allowed);
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
    TokenBucket b(10, 10, t0);
    ASSERT_TRUE(b.try_take(10, t0 + 1s).allowed);
    EXPECT_FALSE(b.try_take(1, t0).allowed);
    EXPECT_TRUE(b.try_take(1, t0 + 1100ms).allowed);
}

TEST(TokenBucket, ABurstOfZeroMeansOne) {
    TokenBucket b(5, 0, t0);
    EXPECT_EQ(b.burst(), 1u);
    EXPECT_TRUE(b.try_take(1, t0).allowed);
    EXPECT_TRUE(b.try_take(2, t0).exceeds_burst);
}

}  // namespace
}  // namespace smartlog::core
