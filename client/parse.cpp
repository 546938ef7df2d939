// client/parse.cpp: smartlog/parse.hpp, the server's own rules (core, protocol) behind the
// installed API, so users of the library never include the server's headers.
#include <smartlog/parse.hpp>

#include "core/level.hpp"
#include "core/units.hpp"
#include "protocol/timestamp.hpp"

namespace smartlog {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    return core::parse_duration(text);
}

std::optional<std::int64_t> parse_time(std::string_view text) {
    return protocol::parse_iso8601_ms(text);
}

std::optional<std::string> normalize_level(std::string_view raw) {
    return core::normalize_level(raw);
}

std::vector<std::string> levels_at_or_above(std::string_view level) {
    return core::levels_at_or_above(level);
}

}  // namespace smartlog
