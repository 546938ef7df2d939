// cluster/redis_url.hpp: the Redis servers of cluster_redis (docs/cluster.md, "Settings"):
// redis://[[user]:password@]host[:port]. Header-only and pure, so that the server's settings
// can check them (server/config.cpp) without linking the Redis client. Any thread.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog::cluster {

struct RedisUrl {
    std::string host;
    std::uint16_t port = 6379;
    std::string user;      // empty: AUTH with the password alone
    std::string password;  // empty: no AUTH
    // host:port, for logs, the hash ring and messages: never the password.
    std::string address() const {
        return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
               std::to_string(port);
    }
};

// Parses one URL. Throws std::invalid_argument saying what is wrong.
inline RedisUrl parse_redis_url(std::string_view text) {
    constexpr std::string_view kScheme = "redis://";
    if (text.substr(0, kScheme.size()) != kScheme) {
        throw std::invalid_argument("expected redis://[:password@]host[:port]");
    }
    std::string_view rest = text.substr(kScheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos) {
        throw std::invalid_argument("no path or database number: each server holds its apps in "
                                    "database 0");
    }
    RedisUrl url;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const std::string_view credentials = rest.substr(0, at);
        rest = rest.substr(at + 1);
        const auto colon = credentials.find(':');
        if (colon == std::string_view::npos) {
            throw std::invalid_argument("credentials must read :password@ or user:password@");
        }
        url.user = std::string(credentials.substr(0, colon));
        url.password = std::string(credentials.substr(colon + 1));
        if (url.password.empty()) throw std::invalid_argument("empty password");
    }
    std::string_view port_text;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) throw std::invalid_argument("unclosed [ in host");
        url.host = std::string(rest.substr(1, close - 1));
        rest = rest.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') throw std::invalid_argument("expected :port after ]");
            port_text = rest.substr(1);
        }
    } else {
        const auto colon = rest.find(':');
        url.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    }
    if (url.host.empty()) throw std::invalid_argument("no host");
    if (!port_text.empty() || rest.find(':') != std::string_view::npos) {
        unsigned port = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
            port > 65535) {
            throw std::invalid_argument("the port must be a number from 1 to 65535");
        }
        url.port = static_cast<std::uint16_t>(port);
    }
    return url;
}

// Parses a comma-separated list (spaces around items ignored, empty items skipped). Throws
// std::invalid_argument naming the URL at fault, or when two name the same server.
inline std::vector<RedisUrl> parse_redis_urls(const std::string& text) {
    std::vector<RedisUrl> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (item.empty()) continue;
        RedisUrl url;
        try {
            url = parse_redis_url(item);
        } catch (const std::invalid_argument& e) {
            // The password stays out of the message: it goes to logs and terminals.
            const auto at = item.rfind('@');
            const std::string shown =
                at == std::string::npos ? item : "redis://***@" + item.substr(at + 1);
            throw std::invalid_argument("\"" + shown + "\": " + e.what());
        }
        for (const RedisUrl& seen : out) {
            if (seen.address() == url.address()) {
                throw std::invalid_argument(url.address() + " is listed twice");
            }
        }
        out.push_back(std::move(url));
    }
    return out;
}

}  // namespace smartlog::cluster
