// server/routes/apps_route.hpp: GET /api/v1/apps, the caller's apps (README, "HTTP API"): what
// the dashboard's app switcher lists. Net thread only.
#pragma once

#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

void add_apps_route(Router& router, ServerContext& ctx);

}  // namespace smartlog::server::routes
