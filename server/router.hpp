// server/router.hpp: HTTP routes on the WebSocket port (README, "HTTP API"), matched by method and
// path. Handlers run on the net thread and must not block: one that waits for another thread (the
// store) is asynchronous and answers later through its Respond, again on the net thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "server/net.hpp"

namespace smartlog::server {

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// {"error":{"code","message"}} with `status`; the shape of every HTTP error.
HttpResponse json_error(const HttpRequest& req, http::status status, std::string_view code,
                        std::string_view message);
HttpResponse text_response(const HttpRequest& req, http::status status, std::string content_type,
                           std::string body);

class Router {
public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;
    // Called exactly once with the answer, on the net thread.
    using Respond = std::function<void(HttpResponse)>;
    // REQUIRES: calls `respond` exactly once, now or later; `req` lives until then.
    using AsyncHandler = std::function<void(const HttpRequest& req, Respond respond)>;

    // Serves `path` (without query string) for `method`.
    void add(http::verb method, std::string path, Handler handler);
    void add_async(http::verb method, std::string path, AsyncHandler handler);
    // Asked for GET requests no route matched (the dashboard's files); may answer 404.
    void set_fallback(Handler handler);

    // Answers `req` through `respond`: its route's answer, 405 for a known path with another
    // method, else 404. REQUIRES: `req` lives until `respond` has run.
    void handle(const HttpRequest& req, Respond respond) const;
    // The same for routes that answer at once (tests); an asynchronous route must not be asked.
    HttpResponse handle(const HttpRequest& req) const;

private:
    std::map<std::pair<std::string, http::verb>, AsyncHandler> routes_;
    Handler fallback_;
};

// The path of a request target, without the query string.
std::string_view target_path(std::string_view target);

}  // namespace smartlog::server
