#include "client/url.hpp"

#include <algorithm>
#include <cctype>

namespace smartlog::client {

std::string WsUrl::host_header() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    const bool default_port = (tls && port == "443") || (!tls && port == "80");
    return default_port ? h : h + ":" + port;
}

std::optional<WsUrl> parse_ws_url(std::string_view url) {
    WsUrl out;
    auto starts = [&](std::string_view p) {
        if (url.size() < p.size()) return false;
        return std::equal(p.begin(), p.end(), url.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        });
    };
    if (starts("ws://")) {
        url.remove_prefix(5);
    } else if (starts("wss://")) {
        out.tls = true;
        url.remove_prefix(6);
    } else if (starts("http://")) {
        url.remove_prefix(7);
    } else if (starts("https://")) {
        out.tls = true;
        url.remove_prefix(8);
    } else {
        return std::nullopt;
    }
    const auto slash = url.find_first_of("/?");
    std::string_view authority = url.substr(0, slash);
    if (slash != std::string_view::npos) {
        out.target = std::string(url.substr(slash));
        if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
    }
    if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            if (authority.find(':') != colon) return std::nullopt;  // bare IPv6 needs brackets
            port = authority.substr(colon + 1);
            authority = authority.substr(0, colon);
        }
        out.host = std::string(authority);
    }
    if (out.host.empty()) return std::nullopt;
    if (port.empty()) {
        out.port = out.tls ? "443" : "80";
    } else {
        if (port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::nullopt;
        }
        if (std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0)
            return std::nullopt;
        out.port = std::string(port);
    }
    return out;
}

}  // namespace smartlog::client
