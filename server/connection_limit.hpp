// server/connection_limit.hpp: max_connections (docs/protocol.md, "Limits"). A connection
// accepted over the limit is answered 503 and closed at once, before anything is parsed, and
// costs one small object for at most a second. Net thread only.
#pragma once

#include "server/net.hpp"
#include "server/server_context.hpp"

namespace smartlog::server {

// True when max_connections client connections are open: the next one must be refused.
bool at_connection_limit(const ServerContext& ctx) noexcept;

// Answers `socket` with 503 and Retry-After, then closes it once the client has closed its side
// or after a short bounded linger, whichever comes first (the linger keeps the client's unread
// request from turning our close into a reset that would lose the 503). Counts the refusal.
void refuse_connection(tcp::socket socket, ServerContext& ctx);
// The same with `message` as the reason in the 503's JSON body. REQUIRES: `message` needs no
// JSON escaping.
void refuse_connection(tcp::socket socket, ServerContext& ctx, std::string_view message);

// Raises the soft limit on open descriptors (RLIMIT_NOFILE) as far as the hard limit allows,
// up to what `max_connections` connections, lingering refusals and the store need, so the
// server answers 503 at its limit rather than failing to accept. Warns when the hard limit is
// too low. Start-up only.
void reserve_descriptors(std::size_t max_connections);

}  // namespace smartlog::server
