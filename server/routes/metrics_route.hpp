// server/routes/metrics_route.hpp: GET /metrics in the Prometheus text exposition format
// (version 0.0.4): connections, per-app entry counters, bytes, queue depths, storage commit
// latency, process figures. Net thread only; reads the store's thread-safe snapshot.
#pragma once

#include <string>
#include <vector>

#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

void add_metrics_route(Router& router, ServerContext& ctx);

// The apps whose per-app series `req` may see: every app when metrics_public_apps is set or in
// open mode (anyone may read any app there); otherwise those its X-Smartlog-User and
// `Authorization: Bearer` may read, as GET /api/v1/logs would allow; none without them.
std::vector<const AppChannel*> visible_apps(const ServerContext& ctx, const HttpRequest& req);

// The exposition text itself, with per-app series for `apps` only (for tests).
std::string prometheus_text(const ServerContext& ctx, const std::vector<const AppChannel*>& apps);

}  // namespace smartlog::server::routes
