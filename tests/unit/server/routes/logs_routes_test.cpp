#include "server/routes/logs_routes.hpp"

#include <gtest/gtest.h>

#include "core/filter.hpp"

#include "server/routes/http_request.hpp"

namespace smartlog::server::routes {
namespace {

HttpRequest post(std::string body, std::string content_type = "") {
    HttpRequest req{http::verb::post, "/api/v1/logs?app=shop", 11};
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

protocol::LogsRequest decoded(const HttpRequest& req) {
    auto r = decode_ingest_body(req, protocol::Limits{});
    EXPECT_TRUE(std::holds_alternative<protocol::LogsRequest>(r)) << req.body();
    return std::holds_alternative<protocol::LogsRequest>(r) ? std::get<protocol::LogsRequest>(r)
                                                            : protocol::LogsRequest{};
}

unsigned refusal_status(const HttpRequest& req) {
    auto r = decode_ingest_body(req, protocol::Limits{});
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(r)) << req.body();
    return std::holds_alternative<HttpResponse>(r) ? std::get<HttpResponse>(r).result_int() : 0;
}

TEST(IngestBody, TakesAnArrayOrALogsObject) {
    EXPECT_EQ(decoded(post(R"([{"message":"a"},{"message":"b"}])")).accepted.size(), 2u);
    auto logs = decoded(post(R"({"logs":[{"message":"a"},{"level":"x"}]})", "application/json"));
    EXPECT_EQ(logs.accepted.size(), 1u);
    ASSERT_EQ(logs.rejected.size(), 1u);
    EXPECT_EQ(logs.rejected[0].index, 1u);
}

TEST(IngestBody, RefusesWhatIsNeitherWithA400) {
    EXPECT_EQ(refusal_status(post("{not json")), 400u);
    EXPECT_EQ(refusal_status(post(R"({"logs":{"message":"a"}})")), 400u);
    EXPECT_EQ(refusal_status(post(R"("text")")), 400u);
    // NDJSON only when the Content-Type says so: as text/plain, each line is a message.
    auto lines = decoded(post("{\"message\":\"a\"}\n{\"message\":\"b\"}\n", "text/plain"));
    ASSERT_EQ(lines.accepted.size(), 2u);
    EXPECT_EQ(lines.accepted[0].message, "{\"message\":\"a\"}");
}

TEST(IngestBody, TextPlainIsLinesUnlessItIsAJsonBody) {
    auto json = decoded(post(R"([{"message":"a","level":"warn"}])", "text/plain;charset=UTF-8"));
    ASSERT_EQ(json.accepted.size(), 1u);
    EXPECT_EQ(json.accepted[0].message, "a");
    EXPECT_EQ(json.accepted[0].level, "warn");
    auto text = decoded(post("[not json] at all\nsecond", "text/plain"));
    ASSERT_EQ(text.accepted.size(), 2u);
    EXPECT_EQ(text.accepted[0].message, "[not json] at all");
    EXPECT_EQ(text.accepted[0].level, "info");
}

TEST(IngestBody, NdjsonRejectsABadLineAloneAndSkipsBlankOnes) {
    auto logs = decoded(post("{\"message\":\"a\"}\n\n \r\nnot json\n{\"message\":\"b\"}",
                             "application/x-ndjson; charset=utf-8"));
    ASSERT_EQ(logs.accepted.size(), 2u);
    EXPECT_EQ(logs.accepted[1].index, 2u);
    ASSERT_EQ(logs.rejected.size(), 1u);
    EXPECT_EQ(logs.rejected[0].index, 1u);
    EXPECT_NE(logs.rejected[0].message.find("line is not valid JSON"), std::string::npos);
    EXPECT_EQ(decoded(post("{\"message\":\"a\"}", "application/jsonl")).accepted.size(), 1u);
}

std::variant<storage::Query, HttpResponse> query(std::string_view query_string) {
    const std::string target = "/api/v1/logs?" + std::string(query_string);
    HttpRequest req{http::verb::get, target, 11};
    return parse_logs_query(req, query_params(target), "shop");
}

TEST(LogsQuery, ReadsEveryParameter) {
    auto r = query("level=WARNING,%20info,,warn&start=5&end=9&q=disk+full&limit=7&before=id1");
    ASSERT_TRUE(std::holds_alternative<storage::Query>(r));
    const auto& q = std::get<storage::Query>(r);
    EXPECT_EQ(q.app_id, "shop");
    EXPECT_EQ(q.filter.levels, (std::vector<std::string>{"warn", "info"}));
    EXPECT_EQ(q.filter.start_time, 5);
    EXPECT_EQ(q.filter.end_time, 9);
    EXPECT_EQ(q.filter.search, "disk full");
    EXPECT_EQ(q.limit, 7u);
    EXPECT_EQ(q.before_id, "id1");
    EXPECT_EQ(std::get<storage::Query>(query("")).limit, kDefaultQueryLimit);
}

TEST(LogsQuery, RefusesOutOfRangeValuesWithA400) {
    for (const char* bad :
         {"limit=0", "limit=1001", "limit=1x", "start=abc", "end=", "start=9&end=5",
          "before=", "level=123456789012345678901234567890123"}) {
        auto r = query(bad);
        ASSERT_TRUE(std::holds_alternative<HttpResponse>(r)) << bad;
        EXPECT_EQ(std::get<HttpResponse>(r).result_int(), 400u) << bad;
    }
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(query("q=" + std::string(1025, 'a'))));
    EXPECT_TRUE(std::holds_alternative<storage::Query>(query("q=" + std::string(1024, 'a'))));
}

TEST(LogsQuery, RefusesAQOfOneOrTwoCharactersThatNoIndexServes) {
    for (const char* bad : {"q=a", "q=ab", "q=%C3%A9t"}) {  // "ét": 2 characters in 3 bytes
        auto r = query(bad);
        ASSERT_TRUE(std::holds_alternative<HttpResponse>(r)) << bad;
        EXPECT_EQ(std::get<HttpResponse>(r).result_int(), 400u) << bad;
        EXPECT_NE(std::get<HttpResponse>(r).body().find("at least 3 characters"), std::string::npos)
            << bad;
    }
    for (const char* good : {"q=", "q=abc", "q=%C3%A9t%C3%A9"}) {
        EXPECT_TRUE(std::holds_alternative<storage::Query>(query(good))) << good;
    }
}

TEST(LogsQuery, CapsTheDistinctLevels) {
    auto levels = [](std::size_t n, std::size_t copies) {
        std::string text = "level=";
        for (std::size_t c = 0; c < copies; ++c) {
            for (std::size_t i = 0; i < n; ++i) text += "l" + std::to_string(i) + ",";
        }
        return text;
    };
    auto ok = query(levels(core::kMaxFilterLevels, 100));
    ASSERT_TRUE(std::holds_alternative<storage::Query>(ok));
    EXPECT_EQ(std::get<storage::Query>(ok).filter.levels.size(), core::kMaxFilterLevels);
    for (std::size_t n : {core::kMaxFilterLevels + 1, std::size_t{100000}}) {
        auto r = query(levels(n, 1));
        ASSERT_TRUE(std::holds_alternative<HttpResponse>(r)) << n;
        EXPECT_EQ(std::get<HttpResponse>(r).result_int(), 400u);
        EXPECT_NE(std::get<HttpResponse>(r).body().find("more than 64 distinct levels"),
                  std::string::npos);
    }
}

}  // namespace
}  // namespace smartlog::server::routes
