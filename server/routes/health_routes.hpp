// server/routes/health_routes.hpp: GET /readyz (README, "HTTP API"): ready while the store reports
// no error (docs/storage.md, "Faults") and the server is not shutting down. Net thread only.
#pragma once

#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

void add_health_routes(Router& router, ServerContext& ctx);

}  // namespace smartlog::server::routes
