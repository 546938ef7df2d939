// server/upgrade_check.hpp: what a WebSocket opening handshake must carry before Beast
// completes it (RFC 6455 4.2.1). Beast 1.81 accepts any Sec-WebSocket-Key of at most 24
// characters, the empty one included. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/net.hpp"

namespace smartlog::server {

// True when `key` is the base64 encoding of 16 bytes: 22 characters of the base64 alphabet,
// the last of them carrying no bits past the 128th, then "==".
bool websocket_key_valid(std::string_view key) noexcept;

struct UpgradeRefusal {
    http::status status;
    std::string message;
};

// Why the upgrade request `req` cannot be accepted, or nullopt when it may go to Beast:
// a missing or malformed Sec-WebSocket-Key (400), a Sec-WebSocket-Version other than 13 (426,
// the answer RFC 6455 4.4 asks for, with the version we speak in a header).
std::optional<UpgradeRefusal> check_upgrade(const http::request<http::string_body>& req);

}  // namespace smartlog::server
