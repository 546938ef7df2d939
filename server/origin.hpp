// server/origin.hpp: browser Origins (RFC 6454) as `allowed_origins` compares them: the tuple
// (scheme, host, port), never the raw text. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog::server {

struct Origin {
    std::string scheme;      // lower-cased
    std::string host;        // lower-cased; an IPv6 literal keeps its brackets
    std::uint16_t port = 0;  // explicit, or the scheme's default (80, 443); 0: none known

    bool operator==(const Origin&) const = default;
};

// Parses a serialized origin, `scheme://host[:port]`. Scheme and host compare
// case-insensitively, and a default port equals no port ("http://a:80" is "http://a").
// Anything else is not an origin and gives nullopt: "null", a path or a trailing slash,
// a query, a fragment, user info, an empty host or port, a port over 65535.
std::optional<Origin> parse_origin(std::string_view text);

// True when the Origin header `header` names one of `allowed` (each a serialized origin that
// parse_origin accepts; those it does not are skipped). "null" and malformed headers never match.
bool origin_in(const std::vector<std::string>& allowed, std::string_view header);

}  // namespace smartlog::server
