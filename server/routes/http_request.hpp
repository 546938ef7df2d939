// server/routes/http_request.hpp: what the HTTP API routes share: query strings, the caller's
// identity from its headers (README, "HTTP API"), and JSON answers. Net thread only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "server/access_control.hpp"
#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server::routes {

// The query string of `target`, percent-decoded ('+' is a space). A repeated key keeps its last
// value; a malformed escape is kept as written.
std::map<std::string, std::string> query_params(std::string_view target);

// A 400 naming the first parameter of `params` that is not one of `known` (with a "did you
// mean" when it looks like a typo), or nullopt when every parameter is known.
std::optional<HttpResponse> refuse_unknown_params(const HttpRequest& req,
                                                  const std::map<std::string, std::string>& params,
                                                  const std::vector<std::string>& known);

// Who is calling, once AccessControl accepted them.
struct Caller {
    std::string user_id;
    std::string app_id;
    Grant grant;
};

// The user and token of a request (X-Smartlog-User, `Authorization: Bearer`), not yet checked;
// in open mode the user defaults to "http". On refusal the 400 or 401 to answer.
std::variant<protocol::Credentials, HttpResponse> read_credentials(const AccessControl& access,
                                                                   const HttpRequest& req);

// Identifies the caller for `app_id` (from the query or X-Smartlog-App) by X-Smartlog-User and
// `Authorization: Bearer <token>`, and checks it holds `needed` on that app. In open mode the
// user defaults to "http". On refusal returns the error response: 400 (no app), 401 (unknown
// user, missing or wrong token), 403 (no access to the app, inactive app, missing permission).
std::variant<Caller, HttpResponse> authorize(const ServerContext& ctx, const HttpRequest& req,
                                             const std::string& app_id, Permission needed);
// The same against `access` alone: what the routes call it with, and the fuzz target.
std::variant<Caller, HttpResponse> authorize(const AccessControl& access, const HttpRequest& req,
                                             const std::string& app_id, Permission needed);

// The checks `authorize` ends with, for credentials a route read its own way (the Loki push
// API's Basic auth): 401 with `WWW-Authenticate: <challenge>` for unknown user or wrong token,
// 403 for no access or a missing permission.
std::variant<Caller, HttpResponse> check_access(const AccessControl& access, const HttpRequest& req,
                                                protocol::Credentials credentials,
                                                Permission needed, std::string_view challenge);

// A JSON 200 answer.
HttpResponse json_ok(const HttpRequest& req, std::string body);

}  // namespace smartlog::server::routes
