#include "protocol/loki_decoder.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "protocol/proto/loki_push.pb.h"

namespace smartlog::protocol {
namespace {

namespace json = boost::json;

LogsRequest decoded(std::variant<LogsRequest, DecodeError> result) {
    if (auto* e = std::get_if<DecodeError>(&result)) {
        ADD_FAILURE() << e->message;
        return {};
    }
    return std::move(std::get<LogsRequest>(result));
}

TEST(LokiDecoder, JsonStreamsAndValues) {
    const auto logs = decoded(decode_loki_json(R"({"streams":[
        {"stream":{"job":"api","level":"WARNING"},"values":[["1700000000123456789","first"],["1700000000999999999","second",{"trace_id":"t1"}]]},
        {"stream":{"severity":"error"},"values":[["1700000001000000000","third"]]},
        {"values":[["0","no labels"]]}]})",
                                               {}));
    ASSERT_EQ(logs.accepted.size(), 4u);
    EXPECT_EQ(logs.accepted[0].timestamp, 1'700'000'000'123);
    EXPECT_EQ(logs.accepted[0].level, "warn");
    EXPECT_EQ(logs.accepted[0].message, "first");
    EXPECT_EQ(json::parse(logs.accepted[0].metadata),
              json::parse(R"({"labels":{"job":"api","level":"WARNING"}})"));
    EXPECT_EQ(
        json::parse(logs.accepted[1].metadata),
        json::parse(
            R"({"labels":{"job":"api","level":"WARNING"},"structuredMetadata":{"trace_id":"t1"}})"));
    EXPECT_EQ(logs.accepted[1].timestamp, 1'700'000'000'999);
    EXPECT_EQ(logs.accepted[2].level, "error");
    EXPECT_EQ(logs.accepted[2].index, 2u);
    EXPECT_EQ(logs.accepted[3].level, "info");
    EXPECT_FALSE(logs.accepted[3].timestamp);
    EXPECT_TRUE(logs.accepted[3].metadata.empty());
}

TEST(LokiDecoder, LevelFromStructuredMetadataWhenNoLabelSaysSo) {
    const auto logs = decoded(decode_loki_json(
        R"({"streams":[{"stream":{},"values":[["1","x",{"detected_level":"debug"}]]}]})", {}));
    ASSERT_EQ(logs.accepted.size(), 1u);
    EXPECT_EQ(logs.accepted[0].level, "debug");
}

TEST(LokiDecoder, MalformedJson) {
    for (const char* bad :
         {"", "{", "[]", R"({"streams":{}})", R"({"streams":[1]})",
          R"({"streams":[{"stream":{"a":1},"values":[]}]})",
          R"({"streams":[{"values":[["x","line"]]}]})", R"({"streams":[{"values":[["1"]]}]})",
          R"({"streams":[{"values":[["1",2]]}]})",
          R"({"streams":[{"values":[["1","a",{"k":1}]]}]})",
          R"({"streams":[{"values":[["-1","a"]]}]})"}) {
        EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_loki_json(bad, {}))) << bad;
    }
}

TEST(LokiDecoder, Protobuf) {
    loki::PushRequest req;
    auto* s = req.add_streams();
    s->set_labels(R"({job="winston", level="error", note="a \"quoted\" \\ value"})");
    auto* e = s->add_entries();
    e->mutable_timestamp()->set_seconds(1'700'000'000);
    e->mutable_timestamp()->set_nanos(123'456'789);
    e->set_line("boom");
    auto* sm = e->add_structured_metadata();
    sm->set_name("trace_id");
    sm->set_value("t9");
    const auto logs = decoded(decode_loki_protobuf(req.SerializeAsString(), {}));
    ASSERT_EQ(logs.accepted.size(), 1u);
    EXPECT_EQ(logs.accepted[0].timestamp, 1'700'000'000'123);
    EXPECT_EQ(logs.accepted[0].level, "error");
    EXPECT_EQ(logs.accepted[0].message, "boom");
    EXPECT_EQ(
        json::parse(logs.accepted[0].metadata),
        json::parse(
            R"({"labels":{"job":"winston","level":"error","note":"a \"quoted\" \\ value"},"structuredMetadata":{"trace_id":"t9"}})"));

    s->set_labels("{job=winston}");
    EXPECT_TRUE(
        std::holds_alternative<DecodeError>(decode_loki_protobuf(req.SerializeAsString(), {})));
    EXPECT_TRUE(
        std::holds_alternative<DecodeError>(decode_loki_protobuf(std::string("\x0a\xff", 2), {})));
}

TEST(LokiDecoder, Labels) {
    EXPECT_EQ(parse_loki_labels("{}"), (std::map<std::string, std::string>{}));
    EXPECT_EQ(parse_loki_labels(R"( { a="1" , b_2="x\ny" } )"),
              (std::map<std::string, std::string>{{"a", "1"}, {"b_2", "x\ny"}}));
    for (const char* bad : {"", "{", "}", "{a}", "{a=1}", "{a=\"1\"", "{a=\"1\",,}", "{1a=\"x\"}",
                            "{a=\"1\"} x", "{a=\"1\\"}) {
        EXPECT_FALSE(parse_loki_labels(bad)) << bad;
    }
}

TEST(LokiDecoder, OversizedLinesAreRejectedAlone) {
    Limits limits;
    limits.max_message_bytes = 4;
    const auto logs = decoded(
        decode_loki_json(R"({"streams":[{"values":[["1","too long"],["2","ok"]]}]})", limits));
    ASSERT_EQ(logs.accepted.size(), 1u);
    EXPECT_EQ(logs.accepted[0].index, 1u);
    ASSERT_EQ(logs.rejected.size(), 1u);
    EXPECT_EQ(logs.rejected[0].index, 0u);
}

}  // namespace
}  // namespace smartlog::protocol
