// server/routes/metrics_route.hpp: GET /metrics in the Prometheus text exposition format
// (version 0.0.4): connections, per-app entry counters, bytes, queue depths, storage commit
// latency, process figures. Net thread only; reads the store's thread-safe snapshot.
#pragma once

#include <string>

#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

void add_metrics_route(Router& router, ServerContext& ctx);

// The exposition text itself (for tests).
std::string prometheus_text(const ServerContext& ctx);

}  // namespace smartlog::server::routes
