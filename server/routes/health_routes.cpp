#include "server/routes/health_routes.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace smartlog::server::routes {

void add_health_routes(Router& router, ServerContext& ctx) {
    router.add(http::verb::get, "/readyz", [&ctx](const HttpRequest& req) {
        if (ctx.stopping) {
            return json_error(req, http::status::service_unavailable, "shutting_down",
                              "the server is shutting down");
        }
        const storage::Store& store = ctx.hub.store();
        if (!store.healthy()) {
            return json_error(req, http::status::service_unavailable, "storage_error",
                              store.health_message());
        }
        return text_response(req, http::status::ok, "application/json", R"({"status":"ready"})");
    });
}

}  // namespace smartlog::server::routes
