#include "client/backoff.hpp"

#include <gtest/gtest.h>

namespace smartlog::client {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheCeilingWithoutJitter) {
    Backoff b(milliseconds(100), milliseconds(1000), 0.0, 1);
    EXPECT_EQ(b.next(), milliseconds(100));
    EXPECT_EQ(b.next(), milliseconds(200));
    EXPECT_EQ(b.next(), milliseconds(400));
    EXPECT_EQ(b.next(), milliseconds(800));
    EXPECT_EQ(b.next(), milliseconds(1000));
    EXPECT_EQ(b.next(), milliseconds(1000));
    b.reset();
    EXPECT_EQ(b.next(), milliseconds(100));
}

TEST(Backoff, JitterTakesOffAtMostItsShare) {
    Backoff b(milliseconds(1000), milliseconds(1000), 0.5, 42);
    bool varied = false;
    milliseconds first = b.next();
    for (int i = 0; i < 200; ++i) {
        const auto d = b.next();
        EXPECT_GE(d, milliseconds(500));
        EXPECT_LE(d, milliseconds(1000));
        varied |= d != first;
    }
    EXPECT_TRUE(varied) << "clients cut off together must not come back in step";
}

TEST(Backoff, CeilingDoesNotOverflowAfterManyFailures) {
    Backoff b(milliseconds(1), milliseconds(30'000), 0.0, 1);
    EXPECT_EQ(b.ceiling_for(1000), milliseconds(30'000));
}

}  // namespace
}  // namespace smartlog::client
