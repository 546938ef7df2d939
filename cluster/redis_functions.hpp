// cluster/redis_functions.hpp: the Redis Function library every node loads at connect
// (FUNCTION LOAD REPLACE; Redis keeps it across restarts), and the keys it works on.
// docs/cluster.md, "In Redis". Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace smartlog::cluster {

// The library's source (Lua): smartlog_append, smartlog_clear, smartlog_read,
// smartlog_connections.
std::string_view function_library();

// The app's keys. The {app} hash tag keeps both on one slot, should the server be a cluster.
std::string meta_key(std::string_view app);    // hash: epoch, top offset, last id time
std::string stream_key(std::string_view app);  // stream: one entry per batch, id <first>-0
// string, for about a minute: "<epoch> <first> <time>" of a batch its producer named `ref`;
// the digest in the key keeps apart two producers that name different batches alike.
std::string retry_key(std::string_view app, std::string_view user_id, std::string_view ref,
                      std::uint64_t digest);
std::string connections_key(std::string_view app);  // hash: node id -> "<count> <expiry ms>"
// The channel every node of one Redis server subscribes to.
inline constexpr std::string_view kBusChannel = "smartlog:bus";

}  // namespace smartlog::cluster
