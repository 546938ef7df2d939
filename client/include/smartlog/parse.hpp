// smartlog/parse.hpp: what people type, read by the server's own rules (installed API): a
// command-line tool or a config file builds a Filter or a timeout from these.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog {

// A whole number followed by ms, s, m, h or d ("250ms", "10m", "7d"); nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// An ISO-8601 time ("2024-05-01T12:00:00Z", with an optional fraction and offset; no zone means
// UTC) as ms since the Unix epoch; nullopt when `text` is not one.
std::optional<std::int64_t> parse_time(std::string_view text);

// The level as the server stores it: lower-cased, aliases mapped ("WARNING" -> "warn"), empty
// -> "info". nullopt when `raw` is longer than the server accepts (32 characters).
std::optional<std::string> normalize_level(std::string_view raw);

// `level` (normalised) and every ranked level above it, in the order trace debug log info warn
// error fatal ("warn" -> warn, error, fatal); empty when `level` is not a ranked one.
std::vector<std::string> levels_at_or_above(std::string_view level);

}  // namespace smartlog
