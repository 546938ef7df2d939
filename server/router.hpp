// server/router.hpp: HTTP routes on the WebSocket port (SPEC 6), matched by method and path.
// Handlers run on the net thread and must not block.
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

    // Serves `path` (without query string) for `method`.
    void add(http::verb method, std::string path, Handler handler);
    // Asked for GET requests no route matched (the dashboard's files); may answer 404.
    void set_fallback(Handler handler);

    // The response to `req`: its route's, 405 for a known path with another method, else 404.
    HttpResponse handle(const HttpRequest& req) const;

private:
    std::map<std::pair<std::string, http::verb>, Handler> routes_;
    Handler fallback_;
};

// The path of a request target, without the query string.
std::string_view target_path(std::string_view target);

}  // namespace smartlog::server
