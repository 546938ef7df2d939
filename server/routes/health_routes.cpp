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
        // Cluster mode: without Redis this node can take no entry (docs/cluster.md, "Failures").
        if (const cluster::Bus* bus = ctx.hub.bus(); bus && !bus->available()) {
            return json_error(req, http::status::service_unavailable, "unavailable",
                              "Redis: " + bus->unavailable_reason());
        }
        return text_response(req, http::status::ok, "application/json", R"({"status":"ready"})");
    });
}

}  // namespace smartlog::server::routes
