// server/routes/loki_routes.hpp: the Loki push API, POST /loki/api/v1/push (docs/ingest.md
// "Loki"): JSON (gzip allowed) or snappy-compressed protobuf; 204 when stored. Auth:
// `Authorization: Basic base64(user:token)`, the app in X-Scope-OrgID or X-Smartlog-App, never
// from labels. Net thread only.
#pragma once

#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

void add_loki_routes(Router& router, ServerContext& ctx);

}  // namespace smartlog::server::routes
