// core/level.hpp: log levels (docs/protocol.md): canonical names, aliases, ordering.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace smartlog::core {

inline constexpr std::size_t kMaxLevelLength = 32;

// Lower-cases `raw` and maps aliases to canonical names ("WARNING" -> "warn").
// An empty level is "info". Returns nullopt when `raw` is longer than kMaxLevelLength.
std::optional<std::string> normalize_level(std::string_view raw);

// True for the levels counted by `errorRate`: "error" and "fatal".
bool is_error_level(std::string_view normalized) noexcept;

// Rank of a canonical level (trace = 0 ... fatal = 5); -1 for a custom level.
int level_rank(std::string_view normalized) noexcept;

}  // namespace smartlog::core
