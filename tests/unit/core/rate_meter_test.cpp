#include "core/rate_meter.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

TEST(RateMeter, RatesAreThoseOfTheIntervalJustClosed) {
    RateMeter m;
    m.record(100, 10);
    m.roll(0, 2000);
    EXPECT_DOUBLE_EQ(m.message_rate(), 50.0);
    EXPECT_DOUBLE_EQ(m.error_rate(), 5.0);
    m.roll(2000, 3000);
    EXPECT_DOUBLE_EQ(m.message_rate(), 0.0);
    EXPECT_EQ(m.total_entries(), 100u);
}

TEST(RateMeter, ZeroBeforeTheFirstInterval) {
    RateMeter m;
    m.record(5, 5);
    EXPECT_DOUBLE_EQ(m.message_rate(), 0.0);
}

// A new app's burst, recorded before its meter was ever rolled, counts for the first interval
// (it used to open the interval and be thrown away).
TEST(RateMeter, CountsTheFirstIntervalOfANewApp) {
    RateMeter m;
    m.record(50, 5);
    m.roll(1000, 6000);
    EXPECT_DOUBLE_EQ(m.message_rate(), 10.0);
    EXPECT_DOUBLE_EQ(m.error_rate(), 1.0);
    EXPECT_EQ(m.total_entries(), 50u);
}

TEST(RateMeter, AnEmptyIntervalKeepsThePreviousRates) {
    RateMeter m;
    m.record(10, 0);
    m.roll(0, 1000);
    m.roll(1000, 1000);
    EXPECT_DOUBLE_EQ(m.message_rate(), 10.0);
}

}  // namespace
}  // namespace smartlog::core
