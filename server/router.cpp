#include "server/router.hpp"

#include <optional>

#include "protocol/requests.hpp"

namespace smartlog::server {

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

HttpResponse text_response(const HttpRequest& req, http::status status, std::string content_type,
                           std::string body) {
    HttpResponse res{status, req.version()};
    res.set(http::field::server, "smartlogd/" SMARTLOG_VERSION);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    // A JSON answer ends with a newline, so that curl's output does not run into the prompt.
    if (content_type == "application/json" && (body.empty() || body.back() != '\n')) body += '\n';
    res.set(http::field::content_type, std::move(content_type));
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

HttpResponse json_error(const HttpRequest& req, http::status status, std::string_view code,
                        std::string_view message) {
    // json_quote, not serialize(): a message may echo request bytes (a path, an id) that are not
    // UTF-8, which serialize() copies as they are into JSON no client can parse.
    return text_response(req, status, "application/json",
                         "{\"error\":{\"code\":" + protocol::json_quote(code) +
                             ",\"message\":" + protocol::json_quote(message) + "}}");
}

void Router::add(http::verb method, std::string path, Handler handler) {
    add_async(method, std::move(path),
              [handler = std::move(handler)](const HttpRequest& req, Respond respond) {
                  respond(handler(req));
              });
}

void Router::add_async(http::verb method, std::string path, AsyncHandler handler) {
    routes_[{std::move(path), method}] = std::move(handler);
}

void Router::set_fallback(Handler handler) { fallback_ = std::move(handler); }

void Router::handle(const HttpRequest& req, Respond respond) const {
    const std::string path(target_path(req.target()));
    // HEAD is answered like GET; Beast leaves the body out when serialising.
    const http::verb method = req.method() == http::verb::head ? http::verb::get : req.method();
    if (auto it = routes_.find({path, method}); it != routes_.end())
        return it->second(req, std::move(respond));
    std::string allowed;
    for (const auto& [key, handler] : routes_) {
        if (key.first == path) {
            allowed += (allowed.empty() ? "" : ", ") + std::string(http::to_string(key.second));
        }
    }
    if (!allowed.empty()) {
        auto res = json_error(req, http::status::method_not_allowed, "method_not_allowed",
                              "method not allowed on " + path);
        res.set(http::field::allow, allowed);
        return respond(std::move(res));
    }
    if (method == http::verb::get && fallback_) return respond(fallback_(req));
    respond(json_error(req, http::status::not_found, "not_found", "no such route: " + path));
}

HttpResponse Router::handle(const HttpRequest& req) const {
    std::optional<HttpResponse> answer;
    handle(req, [&answer](HttpResponse res) { answer = std::move(res); });
    if (!answer) {
        return json_error(req, http::status::internal_server_error, "internal",
                          "asynchronous route");
    }
    return std::move(*answer);
}

}  // namespace smartlog::server
