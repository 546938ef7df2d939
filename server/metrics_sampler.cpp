#include "server/metrics_sampler.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "protocol/encode.hpp"
#include "server/memory_release.hpp"

namespace smartlog::server {

namespace {

// Free heap kept for reuse, beyond which a tick returns it to the system: enough that a steady
// load does not give back and take again every few seconds.
constexpr std::size_t kReleaseThreshold = 64u << 20;

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// statvfs of `dir`, or of its nearest existing parent (data_dir may not exist yet).
bool filesystem_of(std::filesystem::path dir, struct statvfs& out) {
    dir = std::filesystem::absolute(dir);
    while (true) {
        if (statvfs(dir.c_str(), &out) == 0) return true;
        if (!dir.has_parent_path() || dir.parent_path() == dir) return false;
        dir = dir.parent_path();
    }
}

}  // namespace

std::uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages = 0, resident = 0;
    if (!(statm >> pages >> resident)) return 0;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

MetricsSampler::MetricsSampler(net::io_context& ioc, const Settings& settings, Hub& hub,
                               const Stats& stats)
    : timer_(ioc),
      settings_(settings),
      hub_(hub),
      stats_(stats),
      started_(std::chrono::steady_clock::now()) {
    if (auto cpu = core::parse_proc_stat(read_file("/proc/stat"))) last_cpu_ = *cpu;
    sample();
    last_roll_ms_ = hub_.clock().now_ms();
}

void MetricsSampler::start() {
    timer_.expires_after(settings_.metrics_interval);
    timer_.async_wait([this](boost::system::error_code ec) { on_tick(ec); });
}

void MetricsSampler::stop() { timer_.cancel(); }

void MetricsSampler::sample() {
    auto& m = host_;
    m.timestamp = hub_.clock().now_ms();
    if (auto cpu = core::parse_proc_stat(read_file("/proc/stat"))) {
        m.cpu.usage = core::cpu_usage_percent(last_cpu_, *cpu);
        last_cpu_ = *cpu;
    }
    m.cpu.cores = std::max(1u, std::thread::hardware_concurrency());
    if (auto mem = core::parse_meminfo(read_file("/proc/meminfo"))) {
        m.memory.total = mem->total;
        m.memory.free = mem->available;
        m.memory.used = mem->total - mem->available;
    }
    struct statvfs fs {};
    if (filesystem_of(settings_.data_dir, fs)) {
        m.disk.total = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
        m.disk.free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
        m.disk.used = static_cast<std::uint64_t>(fs.f_blocks - fs.f_bfree) * fs.f_frsize;
    }
    m.network.bytes_received = stats_.bytes_received;
    m.network.bytes_sent = stats_.bytes_sent;
    m.network.connections = stats_.open_connections;

    // /proc/self/stat: utime and stime are fields 14 and 15, after the parenthesised name.
    const std::string stat = read_file("/proc/self/stat");
    if (auto close = stat.rfind(')'); close != std::string::npos) {
        std::istringstream fields(stat.substr(close + 2));
        std::string field;
        unsigned long long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        }
        m.process.cpu_seconds =
            static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    m.process.rss_bytes = resident_bytes();
    m.process.uptime_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

core::PerformanceMetrics MetricsSampler::with_app(const AppChannel& app) const {
    core::PerformanceMetrics m = host_;
    m.network.bytes_received = stats_.bytes_received;
    m.network.bytes_sent = stats_.bytes_sent;
    m.network.connections = stats_.open_connections;
    // Cluster mode: with the other nodes' connections, as Redis counted them at the last tick.
    m.active_connections = app.members.size() + app.other_nodes_connections;
    m.message_rate = app.rate.message_rate();
    m.error_rate = app.rate.error_rate();
    m.rejected_entries = app.rejected + app.rate_limited;
    return m;
}

SharedFrame MetricsSampler::frame_for(const AppChannel& app) const {
    return std::make_shared<const std::string>(protocol::metrics_frame(with_app(app)));
}

void MetricsSampler::on_tick(boost::system::error_code ec) {
    if (ec) return;
    sample();
    const std::int64_t now_ms = hub_.clock().now_ms();
    const std::int64_t since_ms = std::exchange(last_roll_ms_, now_ms);
    hub_.share_connection_counts();
    for (const auto& [id, app] : hub_.channels()) {
        app->rate.roll(since_ms, now_ms);
        if (!app->watched()) continue;
        hub_.fan_out(*app, frame_for(*app), FrameKind::live);
    }
    // A quiet moment: what a spike left free goes back to the system (docs/performance.md).
    if (const std::size_t released = release_free_memory(kReleaseThreshold)) {
        spdlog::debug("gave {} MiB of free heap back to the system", released >> 20);
    }
    start();
}

}  // namespace smartlog::server
