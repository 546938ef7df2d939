// protocol/timestamp.hpp: ISO-8601 timestamps as producers send them (docs/protocol.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace smartlog::protocol {

// "2024-05-01T12:00:00Z", with optional fraction ("...:00.123Z") and offset ("+02:00",
// "-0530"); no zone means UTC. ' ' may stand for 'T'. Returns ms since the Unix epoch.
// (g++ 12 has no std::chrono::parse, hence this small parser.)
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

// A JSON number as whole milliseconds (a fraction is truncated); nullopt when out of range.
// One rule for every reader of numbers: the document decoder (codec.cpp) and the entry
// parser (entry_parser.cpp).
std::optional<std::int64_t> millis_of(std::int64_t i) noexcept;
std::optional<std::int64_t> millis_of(std::uint64_t u) noexcept;
std::optional<std::int64_t> millis_of(double d) noexcept;

}  // namespace smartlog::protocol
