// Every HTTP ingest path answers 429 with Retry-After while storage is behind, takes nothing,
// and takes entries again once it has caught up: smartlog's own JSON, OTLP/HTTP and the Loki
// push API, through the real routes, with a store that is backlogged on demand.
#include <gtest/gtest.h>

#include <optional>

#include "server/routes/logs_routes.hpp"
#include "server/routes/loki_routes.hpp"
#include "server/routes/otlp_routes.hpp"
#include "tests/support/in_process_server.hpp"
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
        add_logs_routes(server.router, server.ctx);
        add_otlp_routes(server.router, server.ctx);
        add_loki_routes(server.router, server.ctx);
    }

    static Config memory_config() {
        Config config;
        config.settings.durability = Durability::memory;
        return config;
    }

    HttpResponse post(const Request& r) {
        HttpRequest req{http::verb::post, r.target, 11};
        req.set(http::field::content_type, r.content_type);
        req.set("X-Smartlog-App", "shop");
        req.set("X-Scope-OrgID", "shop");
        req.body() = r.body;
        req.prepare_payload();
        std::optional<HttpResponse> answer;
        server.router.handle(req, [&](HttpResponse res) { answer = std::move(res); });
        server.ioc.poll();
        server.ioc.restart();
        EXPECT_TRUE(answer.has_value()) << r.name << ": no answer";
        return answer.value_or(HttpResponse{});
    }

    std::size_t stored_entries() const {
        std::size_t n = 0;
        for (const auto& batch : server.store.appended) n += batch.size();
        return n;
    }

    test_support::InProcessServer<test_support::ControlledStore> server{memory_config()};
};

TEST_P(IngestBackpressure, StorageBehindMeans429WithRetryAfterAndNothingTaken) {
    server.store.backlog = true;
    const HttpResponse refused = post(GetParam());
    EXPECT_EQ(refused.result_int(), 429u) << refused.body();
    EXPECT_EQ(refused[http::field::retry_after], "1");
    EXPECT_EQ(stored_entries(), 0u);
    EXPECT_EQ(server.hub.throttled_requests, 1u);

    server.store.backlog = false;
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
