// server/routes/logs_routes.hpp: /api/v1/logs (SPEC 6): ingest (POST), query (GET) and clear
// (DELETE) over HTTP. Handlers run on the net thread; queries and sync-mode writes wait for the
// storage thread, whose answer is posted back to the net thread.
#pragma once

#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

inline constexpr std::size_t kDefaultQueryLimit = 100;
inline constexpr std::size_t kMaxQueryLimit = 1000;

void add_logs_routes(Router& router, ServerContext& ctx);

}  // namespace smartlog::server::routes
