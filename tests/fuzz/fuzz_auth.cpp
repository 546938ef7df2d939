// libFuzzer target: the caller's identity over HTTP (authorize): Authorization, X-Smartlog-User
// and X-Smartlog-App against a small fixed configuration, with users or in open mode. The first
// input byte picks the mode and the permission asked for; the next lines are the three headers
// in that order (a header missing from the input is absent from the request).
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "server/access_control.hpp"
#include "server/config.hpp"
#include "server/routes/http_request.hpp"
#include "tests/fuzz/http_checks.hpp"

using namespace smartlog;
using fuzz::check;
using server::Permission;

namespace {

// alice's token is "test" (its digest below), bob has none.
constexpr std::string_view kUsersToml = R"(
[[apps]]
id = "shop"
[[apps]]
id = "old"
active = false
[[apps]]
id = "other"

[[users]]
id = "alice"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
apps = { shop = ["read", "write", "clear"], old = ["read"] }

[[users]]
id = "bob"
token_sha256 = "none"
apps = { shop = ["read"] }
)";

// The same configuration, told plainly: what a request that gets through may have been.
struct KnownUser {
    std::optional<std::string_view> token;
    std::map<std::string_view, std::set<Permission>> apps;
};
const std::map<std::string_view, KnownUser> kUsers = {
    {"alice",
     {"test",
      {{"shop", {Permission::read, Permission::write, Permission::clear}},
       {"old", {Permission::read}}}}},
    {"bob", {std::nullopt, {{"shop", {Permission::read}}}}},
};
const std::set<std::string_view> kInactiveApps = {"old"};

server::AccessControl make_access(std::string_view toml) {
    server::Config config;
    server::apply_toml(config, toml, "fuzz.toml");
    return server::AccessControl(config);
}

// The token an Authorization header carries, as docs/protocol.md words it: "Bearer <token>", the
// scheme case-insensitive, trailing spaces ignored.
std::optional<std::string> bearer_token(std::string_view h) {
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    if (h.size() <= 7) return std::nullopt;
    std::string scheme(h.substr(0, 7));
    for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (scheme != "bearer ") return std::nullopt;
    return std::string(h.substr(7));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const server::AccessControl users = make_access(kUsersToml);
    static const server::AccessControl open = make_access("");
    if (size == 0) return 0;
    const bool open_mode = data[0] & 1;
    const Permission needed =
        std::array{Permission::read, Permission::write, Permission::clear}[(data[0] >> 1) % 3];

    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::array<std::optional<std::string_view>, 3> headers;  // Authorization, user, app
    for (auto& h : headers) {
        if (rest.empty()) break;
        const auto nl = rest.find('\n');
        h = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    server::HttpRequest req{boost::beast::http::verb::get, "/api/v1/logs", 11};
    if (headers[0]) req.set(boost::beast::http::field::authorization, *headers[0]);
    if (headers[1]) req.set("X-Smartlog-User", *headers[1]);
    if (headers[2]) req.set("X-Smartlog-App", *headers[2]);
    // As stored, which is what the routes read: Beast trims a value's surrounding whitespace.
    const auto stored = [&req](std::string_view name) -> std::optional<std::string> {
        auto it = req.find(name);
        return it == req.end() ? std::nullopt : std::optional<std::string>(it->value());
    };
    const std::optional<std::string> authorization = stored("Authorization");
    const std::string user = stored("X-Smartlog-User").value_or("");
    const std::string app = stored("X-Smartlog-App").value_or("");

    auto who = server::routes::authorize(open_mode ? open : users, req, app, needed);
    if (auto* refusal = std::get_if<server::HttpResponse>(&who)) {
        fuzz::check_error_response(*refusal, {400, 401, 403});
        if (refusal->result_int() == 401)
            check((*refusal)[boost::beast::http::field::www_authenticate] == "Bearer");
        if (open_mode) check(refusal->result_int() != 403);
        // A known user with the right token, on an active app that grants the permission, gets in.
        if (auto known = kUsers.find(user); !open_mode && known != kUsers.end()) {
            auto grant = known->second.apps.find(app);
            const bool right_token =
                known->second.token ? authorization == "Bearer " + std::string(*known->second.token)
                                    : !authorization;
            check(!(right_token && grant != known->second.apps.end() &&
                    grant->second.count(needed) && !kInactiveApps.count(app)));
        }
        return 0;
    }
    const auto& caller = std::get<server::routes::Caller>(who);
    check(caller.app_id == app && !app.empty() && app.size() <= 128 && caller.grant.has(needed));
    if (open_mode) {
        check(caller.user_id == (user.empty() ? "http" : user));
        return 0;
    }
    auto known = kUsers.find(caller.user_id);
    check(caller.user_id == user && known != kUsers.end());
    if (known->second.token)
        check(authorization && bearer_token(*authorization) == known->second.token);
    auto grant = known->second.apps.find(app);
    check(grant != known->second.apps.end() && grant->second.count(needed) &&
          !kInactiveApps.count(app));
    check(caller.grant.permissions == grant->second);
    return 0;
}
