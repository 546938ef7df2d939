#include "server/origin.hpp"

#include <algorithm>
#include <charconv>

namespace smartlog::server {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

std::uint16_t default_port(std::string_view scheme) {
    if (scheme == "http" || scheme == "ws") return 80;
    if (scheme == "https" || scheme == "wss") return 443;
    return 0;
}

bool valid_scheme(std::string_view s) {
    if (s.empty() || !is_alpha(s.front())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
    });
}

// A registered name or IPv4 address (letters, digits, '-', '.'), or a bracketed IPv6 literal.
// Browsers send host names already in ASCII (punycode), so nothing else is expected.
bool valid_host(std::string_view h) {
    if (h.empty()) return false;
    if (h.front() == '[') {
        if (h.size() < 3 || h.back() != ']') return false;
        return std::all_of(h.begin() + 1, h.end() - 1, [](char c) {
            return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f') || c == ':' || c == '.';
        });
    }
    return std::all_of(h.begin(), h.end(),
                       [](char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.'; });
}

}  // namespace

std::optional<Origin> parse_origin(std::string_view text) {
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    const std::string_view scheme = text.substr(0, sep);
    std::string_view rest = text.substr(sep + 3);
    if (!valid_scheme(scheme)) return std::nullopt;

    Origin origin;
    origin.scheme = lowered(scheme);
    origin.port = default_port(origin.scheme);
    // The port is after the last ':' that is not inside an IPv6 literal.
    const auto bracket = rest.rfind(']');
    const auto colon = rest.rfind(':');
    std::string_view host = rest;
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = rest.substr(0, colon);
        const std::string_view port = rest.substr(colon + 1);
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || value == 0 ||
            value > 65535 || !std::all_of(port.begin(), port.end(), is_digit)) {
            return std::nullopt;
        }
        origin.port = static_cast<std::uint16_t>(value);
    }
    if (!valid_host(host)) return std::nullopt;
    origin.host = lowered(host);
    return origin;
}

bool origin_in(const std::vector<std::string>& allowed, std::string_view header) {
    const auto origin = parse_origin(header);
    if (!origin) return false;
    return std::any_of(allowed.begin(), allowed.end(),
                       [&](const std::string& a) { return parse_origin(a) == origin; });
}

}  // namespace smartlog::server
