// Every HTTP ingest path answers 429 with Retry-After while storage is behind, takes nothing,
// and takes entries again once it has caught up: smartlog's own JSON, OTLP/HTTP and the Loki
// push API, through the real routes, with a store that is backlogged on demand.
#include <gtest/gtest.h>

#include <optional>

#include "core/clock.hpp"
#include "server/access_control.hpp"
#include "server/config.hpp"
#include "server/hub.hpp"
#include "server/metrics_sampler.hpp"
#include "server/router.hpp"
#include "server/routes/logs_routes.hpp"
#include "server/routes/loki_routes.hpp"
#include "server/routes/otlp_routes.hpp"
#include "server/server_context.hpp"
#include "server/stats.hpp"
#include "tests/unit/server/controlled_store.hpp"

namespace smartlog::server::routes {
namespace {

struct Request {
    const char* name;
    const char* target;
    const char* content_type;
    const char* body;
};

// One entry each, for the app "shop", in open mode (no [[users]]: no credentials needed).
const Request kRequests[] = {
    {"smartlog JSON", "/api/v1/logs?app=shop", "application/json", R"([{"message":"one"}])"},
    {"OTLP/HTTP JSON", "/v1/logs", "application/json",
     R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"one"}}]}]}]})"},
    {"Loki push JSON", "/loki/api/v1/push", "application/json",
     R"({"streams":[{"stream":{"job":"x"},"values":[["1700000000000000000","one"]]}]})"},
};

class IngestBackpressure : public ::testing::TestWithParam<Request> {
protected:
    IngestBackpressure() {
        config.settings.durability = Durability::memory;
        add_logs_routes(router, ctx);
        add_otlp_routes(router, ctx);
        add_loki_routes(router, ctx);
    }

    HttpResponse post(const Request& r) {
        HttpRequest req{http::verb::post, r.target, 11};
        req.set(http::field::content_type, r.content_type);
        req.set("X-Smartlog-App", "shop");
        req.set("X-Scope-OrgID", "shop");
        req.body() = r.body;
        req.prepare_payload();
        std::optional<HttpResponse> answer;
        router.handle(req, [&](HttpResponse res) { answer = std::move(res); });
        ioc.poll();
        ioc.restart();
        EXPECT_TRUE(answer.has_value()) << r.name << ": no answer";
        return answer.value_or(HttpResponse{});
    }

    std::size_t stored_entries() const {
        std::size_t n = 0;
        for (const auto& batch : store.appended) n += batch.size();
        return n;
    }

    net::io_context ioc;
    Config config;
    test_support::ControlledStore store;
    core::ManualClock clock;
    Stats stats;
    AccessControl access{config};
    Hub hub{ioc, config.settings, store, clock};
    MetricsSampler metrics{ioc, config.settings, hub, stats};
    Router router;
    ServerContext ctx{
        ioc,
        config.settings,
        access,
        hub,
        stats,
        router,
        metrics,
        protocol::Limits{config.settings.max_message_bytes, config.settings.max_metadata_bytes},
        {},
        {},
        false,
        {},
        nullptr,
        {}};
};

TEST_P(IngestBackpressure, StorageBehindMeans429WithRetryAfterAndNothingTaken) {
    store.backlog = true;
    const HttpResponse refused = post(GetParam());
    EXPECT_EQ(refused.result_int(), 429u) << refused.body();
    EXPECT_EQ(refused[http::field::retry_after], "1");
    EXPECT_EQ(stored_entries(), 0u);
    EXPECT_EQ(hub.throttled_requests, 1u);

    store.backlog = false;
    const HttpResponse taken = post(GetParam());
    EXPECT_LT(taken.result_int(), 300u) << taken.body();
    EXPECT_EQ(stored_entries(), 1u);
}

INSTANTIATE_TEST_SUITE_P(EveryHttpIngestPath, IngestBackpressure, ::testing::ValuesIn(kRequests),
                         [](const auto& info) {
                             std::string name = info.param.name;
                             std::erase_if(name, [](char c) {
                                 return !std::isalnum(static_cast<unsigned char>(c));
                             });
                             return name;
                         });

}  // namespace
}  // namespace smartlog::server::routes
