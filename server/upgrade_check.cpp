#include "server/upgrade_check.hpp"

namespace smartlog::server {

namespace {

// The 6-bit value of a base64 character, or -1.
int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

bool websocket_key_valid(std::string_view key) noexcept {
    // 16 bytes are 128 bits: 21 full characters, a 22nd holding 2 bits, and "==".
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (std::size_t i = 0; i < 22; ++i) {
        if (base64_value(key[i]) < 0) return false;
    }
    return (base64_value(key[21]) & 0x0F) == 0;
}

std::optional<UpgradeRefusal> check_upgrade(const http::request<http::string_body>& req) {
    const auto key = req.find(http::field::sec_websocket_key);
    if (key == req.end() || !websocket_key_valid(key->value())) {
        return UpgradeRefusal{
            http::status::bad_request,
            "Sec-WebSocket-Key must be the base64 encoding of 16 bytes (RFC 6455 4.1)"};
    }
    const auto version = req.find(http::field::sec_websocket_version);
    if (version == req.end() || version->value() != "13") {
        return UpgradeRefusal{http::status::upgrade_required, "Sec-WebSocket-Version must be 13"};
    }
    return std::nullopt;
}

}  // namespace smartlog::server
