// server/routes/logs_routes.hpp: /api/v1/logs (README, "HTTP API"): ingest (POST), query (GET) and
// clear (DELETE) over HTTP. Handlers run on the net thread; queries and sync-mode writes wait for
// the storage thread, whose answer is posted back to the net thread.
#pragma once

#include <map>
#include <string>
#include <variant>

#include "protocol/limits.hpp"
#include "protocol/messages.hpp"
#include "server/router.hpp"
#include "server/server_context.hpp"
#include "storage/store.hpp"

namespace smartlog::server::routes {

inline constexpr std::size_t kDefaultQueryLimit = 100;
inline constexpr std::size_t kMaxQueryLimit = 1000;

void add_logs_routes(Router& router, ServerContext& ctx);

// The parsers of the routes' untrusted input, pure functions of it (the fuzz targets call them
// too). Both answer a 400 whose message says what is wrong.

// The entries of a POST body, each validated like one of a WebSocket `logs` message: a JSON
// array, {"logs": [...]}, or NDJSON when the Content-Type says so (a line that is not JSON is
// rejected alone; blank lines are skipped). A body that is none of these is a 400. text/plain:
// one entry per line that is not blank, of the `level` query parameter (default info), unless
// the body is a JSON array or {"logs": [...]}, read as JSON; `as_text` tells which it was.
std::variant<protocol::LogsRequest, HttpResponse> decode_ingest_body(const HttpRequest& req,
                                                                     const protocol::Limits& limits,
                                                                     bool* as_text = nullptr);

// The storage query of a GET from its query parameters (see query_params): level (a comma list),
// start and end (ms), q, limit (1 to kMaxQueryLimit, default kDefaultQueryLimit) and before.
std::variant<storage::Query, HttpResponse> parse_logs_query(
    const HttpRequest& req, const std::map<std::string, std::string>& params,
    const std::string& app_id);

}  // namespace smartlog::server::routes
