#include "core/host_stats.hpp"

#include <gtest/gtest.h>

namespace smartlog::core {
namespace {

TEST(HostStats, ParsesTheAggregateCpuLine) {
    auto t = parse_proc_stat("cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 1 2 3 4\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->total, 1000u);
    EXPECT_EQ(t->busy, 1000u - 800u - 40u);
}

TEST(HostStats, CpuUsageIsBusyShareBetweenSamples) {
    CpuTimes before{100, 1000};
    CpuTimes after{150, 1100};
    EXPECT_DOUBLE_EQ(cpu_usage_percent(before, after), 50.0);
    EXPECT_DOUBLE_EQ(cpu_usage_percent(after, after), 0.0);
}

TEST(HostStats, ParsesMeminfoInBytes) {
    auto m =
        parse_meminfo("MemTotal:       16000 kB\nMemFree:  100 kB\nMemAvailable:    4000 kB\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->total, 16000u * 1024);
    EXPECT_EQ(m->available, 4000u * 1024);
}

TEST(HostStats, RefusesTextWithoutTheFields) {
    EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));
    EXPECT_FALSE(parse_meminfo("MemTotal: 5 kB\n"));
}

}  // namespace
}  // namespace smartlog::core
