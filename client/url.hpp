// client/url.hpp: ws:// and wss:// URLs. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace smartlog::client {

struct WsUrl {
    bool tls = false;
    std::string host;          // without brackets for IPv6
    std::string port;          // explicit, or 80 / 443
    std::string target = "/";  // path and query
    // "host:port" as the Host header wants it (brackets around IPv6).
    std::string host_header() const;
};

// Parses ws://HOST[:PORT][/PATH] and wss://...; http:// and https:// are accepted as aliases,
// since smartlogd prints its address as http://. nullopt for anything else.
std::optional<WsUrl> parse_ws_url(std::string_view url);

}  // namespace smartlog::client
