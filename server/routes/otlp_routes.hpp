// server/routes/otlp_routes.hpp: OTLP/HTTP logs, POST /v1/logs and /otlp/v1/logs
// (docs/ingest.md "OTLP"): protobuf or JSON, gzip allowed, answered in the request's content
// type. Auth as /api/v1/logs (Bearer + X-Smartlog-User + X-Smartlog-App). Net thread only.
#pragma once

#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

void add_otlp_routes(Router& router, ServerContext& ctx);

}  // namespace smartlog::server::routes
