#include "core/rate_meter.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

TEST(RateMeter, RatesAreThoseOfTheIntervalJustClosed) {
    RateMeter m;
    m.roll(0);
    m.record(100, 10);
    m.roll(2000);
    EXPECT_DOUBLE_EQ(m.message_rate(), 50.0);
    EXPECT_DOUBLE_EQ(m.error_rate(), 5.0);
    m.roll(3000);
    EXPECT_DOUBLE_EQ(m.message_rate(), 0.0);
    EXPECT_EQ(m.total_entries(), 100u);
}

TEST(RateMeter, ZeroBeforeTheFirstInterval) {
    RateMeter m;
    m.record(5, 5);
    EXPECT_DOUBLE_EQ(m.message_rate(), 0.0);
    m.roll(1000);  // first roll only opens the interval
    EXPECT_DOUBLE_EQ(m.message_rate(), 0.0);
}

}  // namespace
}  // namespace smartlog::core
