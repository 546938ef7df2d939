// server/metrics_sampler.hpp: samples host and process figures every metrics_interval and
// pushes PerformanceMetrics to every viewer (docs/protocol.md, "Metrics"). Net thread only.
#pragma once

#include <chrono>

#include "core/host_stats.hpp"
#include "core/metrics.hpp"
#include "server/hub.hpp"
#include "server/net.hpp"
#include "server/stats.hpp"

namespace smartlog::server {

// This process's resident memory in bytes (/proc/self/statm); 0 when it cannot be read. Any thread.
std::uint64_t resident_bytes();

class MetricsSampler {
public:
    MetricsSampler(net::io_context& ioc, const Settings& settings, Hub& hub, const Stats& stats);

    void start();
    void stop();

    // The latest host sample with `app`'s own figures, as a `metrics` frame.
    SharedFrame frame_for(const AppChannel& app) const;
    // The latest sample alone (for /metrics).
    const core::PerformanceMetrics& host() const noexcept { return host_; }

private:
    void sample();
    void on_tick(boost::system::error_code ec);
    core::PerformanceMetrics with_app(const AppChannel& app) const;

    net::steady_timer timer_;
    const Settings& settings_;
    Hub& hub_;
    const Stats& stats_;
    core::PerformanceMetrics host_;
    core::CpuTimes last_cpu_;
    std::chrono::steady_clock::time_point started_;
    std::int64_t last_roll_ms_ = 0;  // the previous tick: where every app's rate interval starts
};

}  // namespace smartlog::server
