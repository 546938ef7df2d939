#include "server/routes/http_request.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

#include "core/closest_name.hpp"
#include "protocol/limits.hpp"

namespace smartlog::server::routes {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
                   hex_digit(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string header(const HttpRequest& req, std::string_view name) {
    auto it = req.find(name);
    return it == req.end() ? std::string() : std::string(it->value());
}

}  // namespace

std::map<std::string, std::string> query_params(std::string_view target) {
    std::map<std::string, std::string> out;
    const auto q = target.find('?');
    if (q == std::string_view::npos) return out;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) {
            out[percent_decode(pair)] = "";
        } else {
            out[percent_decode(pair.substr(0, eq))] = percent_decode(pair.substr(eq + 1));
        }
    }
    return out;
}

std::variant<protocol::Credentials, HttpResponse> read_credentials(const AccessControl& access,
                                                                   const HttpRequest& req) {
    protocol::Credentials credentials;
    credentials.user_id = header(req, "X-Smartlog-User");
    if (credentials.user_id.size() > protocol::kMaxIdBytes) {
        return json_error(
            req, http::status::bad_request, "bad_request",
            fmt::format("X-Smartlog-User is longer than {} bytes", protocol::kMaxIdBytes));
    }
    std::string authorization = header(req, "Authorization");
    while (!authorization.empty() && authorization.back() == ' ') authorization.pop_back();
    // "Bearer" with no token (an unset $TOKEN pasted into curl) is no token at all.
    if (authorization.size() == 6 && (authorization[0] == 'B' || authorization[0] == 'b') &&
        authorization.substr(1) == "earer") {
        authorization.clear();
    }
    if (!authorization.empty()) {
        constexpr std::string_view kBearer = "Bearer ";
        // As unsigned char: std::tolower of a negative char (any byte >= 0x80) is undefined.
        const auto same = [](unsigned char a, unsigned char b) {
            return std::tolower(a) == std::tolower(b);
        };
        if (authorization.size() <= kBearer.size() ||
            authorization.size() > kBearer.size() + protocol::kMaxTokenBytes ||
            !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(), same)) {
            auto res = json_error(req, http::status::unauthorized, "unauthenticated",
                                  "Authorization must be \"Bearer <token>\"");
            res.set(http::field::www_authenticate, "Bearer");
            return res;
        }
        credentials.token = authorization.substr(kBearer.size());
    }
    if (access.open_mode()) {
        if (credentials.user_id.empty()) credentials.user_id = "http";
    } else if (credentials.user_id.empty()) {
        auto res = json_error(req, http::status::unauthorized, "unauthenticated",
                              "X-Smartlog-User and Authorization: Bearer <token> are required");
        res.set(http::field::www_authenticate, "Bearer");
        return res;
    }
    return credentials;
}

std::variant<Caller, HttpResponse> authorize(const ServerContext& ctx, const HttpRequest& req,
                                             const std::string& app_id, Permission needed) {
    return authorize(ctx.access, req, app_id, needed);
}

std::variant<Caller, HttpResponse> authorize(const AccessControl& access, const HttpRequest& req,
                                             const std::string& app_id, Permission needed) {
    if (app_id.empty()) {
        return json_error(req, http::status::bad_request, "bad_request",
                          "the app is required: ?app=<appId> or the X-Smartlog-App header");
    }
    if (app_id.size() > protocol::kMaxIdBytes) {
        return json_error(req, http::status::bad_request, "bad_request",
                          fmt::format("the app id is longer than {} bytes", protocol::kMaxIdBytes));
    }
    auto read = read_credentials(access, req);
    if (auto* refusal = std::get_if<HttpResponse>(&read)) return std::move(*refusal);
    protocol::Credentials credentials = std::move(std::get<protocol::Credentials>(read));
    credentials.app_id = app_id;
    return check_access(access, req, std::move(credentials), needed, "Bearer");
}

std::variant<Caller, HttpResponse> check_access(const AccessControl& access, const HttpRequest& req,
                                                protocol::Credentials credentials,
                                                Permission needed, std::string_view challenge) {
    const std::string app_id = credentials.app_id;
    auto grant = access.authenticate(credentials);
    if (!grant) {
        switch (grant.error()) {
            case core::auth_errc::invalid_credentials: {
                auto res = json_error(req, http::status::unauthorized, "invalid_credentials",
                                      "unknown user or wrong token");
                res.set(http::field::www_authenticate, challenge);
                return res;
            }
            case core::auth_errc::app_inactive:
                return json_error(req, http::status::forbidden, "app_inactive",
                                  "this app is inactive");
            default:
                return json_error(req, http::status::forbidden, "no_access",
                                  "no access to this app");
        }
    }
    if (!grant->has(needed)) {
        return json_error(req, http::status::forbidden, "forbidden",
                          fmt::format("this needs the \"{}\" permission on app \"{}\"",
                                      permission_name(needed), app_id));
    }
    return Caller{std::move(credentials.user_id), app_id, std::move(*grant)};
}

std::optional<HttpResponse> refuse_unknown_params(const HttpRequest& req,
                                                  const std::map<std::string, std::string>& params,
                                                  const std::vector<std::string>& known) {
    for (const auto& [name, value] : params) {
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        const auto match = core::closest_name(name, known);
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return json_error(
            req, http::status::bad_request, "bad_request",
            fmt::format("unknown query parameter \"{}\"{}; this route takes {}", name,
                        match ? "; did you mean \"" + *match + "\"?" : std::string(), list));
    }
    return std::nullopt;
}

HttpResponse json_ok(const HttpRequest& req, std::string body) {
    return text_response(req, http::status::ok, "application/json", std::move(body));
}

}  // namespace smartlog::server::routes
