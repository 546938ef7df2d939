// core/host_stats.hpp: parsing of /proc/stat and /proc/meminfo text (docs/protocol.md, "Metrics").
// Pure functions: the server reads the files, these turn their text into numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace smartlog::core {

struct CpuTimes {
    std::uint64_t busy = 0;   // jiffies not idle nor iowait
    std::uint64_t total = 0;  // all jiffies
};

struct MemoryFigures {
    std::uint64_t total = 0;      // bytes
    std::uint64_t available = 0;  // bytes
};

// The aggregate "cpu" line of /proc/stat.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);
// MemTotal and MemAvailable of /proc/meminfo, in bytes.
std::optional<MemoryFigures> parse_meminfo(std::string_view text);
// Busy percent (0-100) between two samples; 0 when no time passed.
double cpu_usage_percent(const CpuTimes& before, const CpuTimes& after) noexcept;

}  // namespace smartlog::core
