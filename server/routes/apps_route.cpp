#include "server/routes/apps_route.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "server/routes/http_request.hpp"

namespace smartlog::server::routes {

namespace json = boost::json;

namespace {

// One app as listed: its rates are those of the last metrics interval (0 before the first).
json::object app_json(const std::string& id, const std::string& name, bool active,
                      const Grant& grant, const AppChannel* channel) {
    json::array permissions;
    for (const auto& p : grant.names()) permissions.emplace_back(p);
    return json::object{{"id", id},
                        {"name", name.empty() ? id : name},
                        {"active", active},
                        {"permissions", std::move(permissions)},
                        {"messageRate", channel ? channel->rate.message_rate() : 0.0},
                        {"errorRate", channel ? channel->rate.error_rate() : 0.0}};
}

HttpResponse list_apps(ServerContext& ctx, const HttpRequest& req) {
    auto read = read_credentials(ctx.access, req);
    if (auto* refusal = std::get_if<HttpResponse>(&read)) return std::move(*refusal);
    const auto& credentials = std::get<protocol::Credentials>(read);
    json::array apps;
    // Checked once the caller is known, as on /api/v1/logs: ?token= is no token, 401 first.
    auto check_params = [&]() {
        return refuse_unknown_params(req, query_params(req.target()), {});
    };
    if (ctx.access.open_mode()) {
        if (auto refusal = check_params()) return std::move(*refusal);
        // Open mode: every app anyone has used, with every permission.
        const Grant all{{Permission::read, Permission::write, Permission::clear}};
        for (const auto& [id, channel] : ctx.hub.channels())
            apps.push_back(app_json(id, id, true, all, channel.get()));
    } else {
        auto granted = ctx.access.apps_of(credentials.user_id, token_digest(credentials));
        if (!granted) {
            auto res = json_error(req, http::status::unauthorized, "invalid_credentials",
                                  "unknown user or wrong token");
            res.set(http::field::www_authenticate, "Bearer");
            return res;
        }
        if (auto refusal = check_params()) return std::move(*refusal);
        for (const auto& a : *granted) {
            apps.push_back(
                app_json(a.app->id, a.app->name, a.app->active, a.grant, ctx.hub.find(a.app->id)));
        }
    }
    return json_ok(req, json::serialize(json::object{{"userId", credentials.user_id},
                                                     {"apps", std::move(apps)}}));
}

}  // namespace

void add_apps_route(Router& router, ServerContext& ctx) {
    router.add(http::verb::get, "/api/v1/apps",
               [&ctx](const HttpRequest& req) { return list_apps(ctx, req); });
}

}  // namespace smartlog::server::routes
