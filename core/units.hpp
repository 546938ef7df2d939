// core/units.hpp: durations ("250ms", "5s", "2m", "7d") and sizes ("64KiB", "8MiB") in settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smartlog::core {

// A whole number followed by ms, s, m, h or d. nullopt when `text` is anything else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// A whole number of bytes, optionally followed by B, KiB, MiB, GiB (powers of 1024) or
// KB, MB, GB (powers of 1000). nullopt when `text` is anything else or overflows.
std::optional<std::uint64_t> parse_size(std::string_view text);

// The shortest exact spelling of a duration or size ("1500ms", "8MiB"), for --help and logs.
std::string format_duration(std::chrono::milliseconds d);
std::string format_size(std::uint64_t bytes);

}  // namespace smartlog::core
