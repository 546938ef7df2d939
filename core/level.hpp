// core/level.hpp: log levels (docs/protocol.md): canonical names, aliases, ordering.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog::core {

inline constexpr std::size_t kMaxLevelLength = 32;

// Lower-cases `raw` and maps aliases to canonical names ("WARNING" -> "warn").
// An empty level is "info". Returns nullopt when `raw` is longer than kMaxLevelLength.
std::optional<std::string> normalize_level(std::string_view raw);

// True for the levels counted by `errorRate`: "error" and "fatal".
bool is_error_level(std::string_view normalized) noexcept;

// The ranked levels, least severe first: the six canonical ones and, between debug and info,
// `log`, the original NehonixSmartLogger library's default level.
inline constexpr std::string_view kRankedLevels[] = {"trace", "debug", "log",  "info",
                                                     "warn",  "error", "fatal"};

// Rank of a ranked level (trace = 0, debug = 1, log = 2, info = 3 ... fatal = 6); -1 for any
// other level, which only its exact name selects.
int level_rank(std::string_view normalized) noexcept;

// `normalized` and every ranked level above it ("this level and above"); empty when
// `normalized` has no rank.
std::vector<std::string> levels_at_or_above(std::string_view normalized);

}  // namespace smartlog::core
