#include "protocol/otlp_decoder.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "protocol/proto/otlp_logs.pb.h"

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

json::value meta(const IncomingEntry& e) {
    return e.metadata.empty() ? json::value() : json::parse(e.metadata);
}

otlp::ExportLogsServiceRequest sample_request() {
    otlp::ExportLogsServiceRequest req;
    auto* rl = req.add_resource_logs();
    auto* attr = rl->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value("checkout");
    auto* sl = rl->add_scope_logs();
    sl->mutable_scope()->set_name("http");
    sl->mutable_scope()->set_version("1.0");
    auto* r = sl->add_log_records();
    r->set_time_unix_nano(1'700'000'000'123'456'789ull);
    r->set_severity_number(14);
    r->set_severity_text("WARN2");
    r->mutable_body()->set_string_value("disk almost full");
    auto* a = r->add_attributes();
    a->set_key("free");
    a->mutable_value()->set_int_value(-42);
    auto* d = r->add_attributes();
    d->set_key("ratio");
    d->mutable_value()->set_double_value(0.5);
    r->set_trace_id(std::string("\x01\x02\xab\xff", 4));
    r->set_span_id(std::string("\x00\x10", 2));
    r->set_flags(0x101);
    r->set_event_name("disk.check");
    auto* structured = sl->add_log_records();
    structured->set_observed_time_unix_nano(1'700'000'001'000'000'000ull);
    auto* kv = structured->mutable_body()->mutable_kvlist_value()->add_values();
    kv->set_key("msg");
    kv->mutable_value()->set_string_value("from msg");
    auto* arr = structured->mutable_body()->mutable_kvlist_value()->add_values();
    arr->set_key("list");
    arr->mutable_value()->mutable_array_value()->add_values()->set_bool_value(true);
    arr->mutable_value()->mutable_array_value()->add_values()->set_bytes_value("hi");
    return req;
}

TEST(OtlpDecoder, ProtobufRecordsMapOntoEntries) {
    const auto logs = decoded(decode_otlp_protobuf(sample_request().SerializeAsString(), {}));
    ASSERT_EQ(logs.accepted.size(), 2u);
    const auto& e = logs.accepted[0];
    EXPECT_EQ(e.index, 0u);
    EXPECT_EQ(e.timestamp, 1'700'000'000'123);
    EXPECT_EQ(e.level, "warn");
    EXPECT_EQ(e.message, "disk almost full");
    const auto m = meta(e);
    EXPECT_EQ(m.at("attributes"), json::parse(R"({"free":-42,"ratio":0.5})"));
    EXPECT_EQ(m.at("resource"), json::parse(R"({"service.name":"checkout"})"));
    EXPECT_EQ(m.at("scope"), json::parse(R"({"name":"http","version":"1.0"})"));
    EXPECT_EQ(m.at("traceId"), "0102abff");
    EXPECT_EQ(m.at("spanId"), "0010");
    EXPECT_EQ(m.at("traceFlags"), 1);
    EXPECT_EQ(m.at("eventName"), "disk.check");
    EXPECT_EQ(m.at("severityText"), "WARN2");
    EXPECT_EQ(m.at("severityNumber"), 14);

    const auto& s = logs.accepted[1];
    EXPECT_EQ(s.index, 1u);
    EXPECT_EQ(s.timestamp, 1'700'000'001'000);  // observed time when no time
    EXPECT_EQ(s.level, "info");
    EXPECT_EQ(s.message, "from msg");
    EXPECT_EQ(meta(s).at("body"), json::parse(R"({"msg":"from msg","list":[true,"aGk="]})"));
}

TEST(OtlpDecoder, JsonMappingGivesTheSameEntries) {
    const std::string body =
        R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
      "scopeLogs":[{"scope":{"name":"http","version":"1.0"},"logRecords":[
        {"timeUnixNano":"1700000000123456789","severityNumber":14,"severityText":"WARN2","body":{"stringValue":"disk almost full"},
         "attributes":[{"key":"free","value":{"intValue":"-42"}},{"key":"ratio","value":{"doubleValue":0.5}}],
         "traceId":"0102ABFF","spanId":"0010","flags":257,"eventName":"disk.check"},
        {"observed_time_unix_nano":1700000001000000000,"body":{"kvlistValue":{"values":[{"key":"msg","value":{"stringValue":"from msg"}},
          {"key":"list","value":{"arrayValue":{"values":[{"boolValue":true},{"bytesValue":"aGk="}]}}}]}}}]}]}]})";
    const auto from_json = decoded(decode_otlp_json(body, {}));
    const auto from_proto = decoded(decode_otlp_protobuf(sample_request().SerializeAsString(), {}));
    ASSERT_EQ(from_json.accepted.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(from_json.accepted[i].timestamp, from_proto.accepted[i].timestamp);
        EXPECT_EQ(from_json.accepted[i].level, from_proto.accepted[i].level);
        EXPECT_EQ(from_json.accepted[i].message, from_proto.accepted[i].message);
        EXPECT_EQ(meta(from_json.accepted[i]), meta(from_proto.accepted[i]));
    }
}

TEST(OtlpDecoder, SeverityNumberRangesThenTextThenInfo) {
    const char* expected[] = {"trace", "debug", "info", "warn", "error", "fatal"};
    for (int n = 1; n <= 24; ++n) EXPECT_EQ(otlp_level(n, "ignored"), expected[(n - 1) / 4]) << n;
    EXPECT_EQ(otlp_level(0, "WARNING"), "warn");
    EXPECT_EQ(otlp_level(25, "crit"), "fatal");
    EXPECT_EQ(otlp_level(-3, ""), "info");
    EXPECT_EQ(otlp_level(0, std::string(40, 'x')), "info");
    const auto logs = decoded(decode_otlp_json(
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"SEVERITY_NUMBER_ERROR3"},{"severityNumber":"SEVERITY_NUMBER_TRACE"}]}]}]})",
        {}));
    ASSERT_EQ(logs.accepted.size(), 2u);
    EXPECT_EQ(logs.accepted[0].level, "error");
    EXPECT_EQ(logs.accepted[1].level, "trace");
    EXPECT_FALSE(logs.accepted[0].timestamp);  // the server's receive time
}

TEST(OtlpDecoder, OversizedRecordsAreRejectedAloneWithTheirIndex) {
    Limits limits;
    limits.max_message_bytes = 10;
    limits.max_metadata_bytes = 40;
    const auto logs = decoded(decode_otlp_json(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[
        {"body":{"stringValue":"this message is too long"}},{"body":{"stringValue":"ok"}}]},
        {"logRecords":[{"body":{"stringValue":"ok"},"attributes":[{"key":"k","value":{"stringValue":"a long attribute value here"}}]}]}]}]})",
                                               limits));
    ASSERT_EQ(logs.accepted.size(), 1u);
    EXPECT_EQ(logs.accepted[0].index, 1u);
    ASSERT_EQ(logs.rejected.size(), 2u);
    EXPECT_EQ(logs.rejected[0].index, 0u);
    EXPECT_NE(logs.rejected[0].message.find("max_message_bytes"), std::string::npos);
    EXPECT_EQ(logs.rejected[1].index, 2u);
    EXPECT_NE(logs.rejected[1].message.find("max_metadata_bytes"), std::string::npos);
}

TEST(OtlpDecoder, MalformedRequestsAreErrors) {
    for (const char* bad :
         {"", "{", "[]", R"({"resourceLogs":{}})", R"({"resourceLogs":[1]})",
          R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"12x"}]}]}]})",
          R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":-1}]}]}]})",
          R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"abc"}]}]}]})",
          R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"boolValue":"yes"}}]}]}]})",
          R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"bytesValue":"@@"}}]}]}]})",
          R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":1.5}]}]}]})"}) {
        EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_otlp_json(bad, {}))) << bad;
    }
    for (std::string bad :
         {std::string("\x0a\xff\xff", 3), std::string("\x0a\x05\x12", 3), std::string("\xff")}) {
        EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_otlp_protobuf(bad, {})));
    }
    // proto3 strings must be UTF-8 (bytes fields may hold anything).
    auto bad_utf8 = sample_request();
    bad_utf8.mutable_resource_logs(0)
        ->mutable_scope_logs(0)
        ->mutable_log_records(0)
        ->mutable_body()
        ->set_string_value("a\xff");
    EXPECT_TRUE(std::holds_alternative<DecodeError>(
        decode_otlp_protobuf(bad_utf8.SerializeAsString(), {})));
    // An empty request is a request with nothing in it.
    EXPECT_TRUE(decoded(decode_otlp_json("{}", {})).accepted.empty());
    EXPECT_TRUE(decoded(decode_otlp_protobuf("", {})).accepted.empty());
}

TEST(OtlpDecoder, NonFiniteDoublesStayValidJson) {
    const auto logs = decoded(decode_otlp_json(
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"ab"},
        "attributes":[{"key":"n","value":{"doubleValue":"NaN"}},{"key":"i","value":{"doubleValue":"-Infinity"}}]}]}]}]})",
        {}));
    ASSERT_EQ(logs.accepted.size(), 1u);
    EXPECT_EQ(meta(logs.accepted[0]).at("attributes"),
              json::parse(R"({"n":"NaN","i":"-Infinity"})"));
}

TEST(OtlpDecoder, ResponsesInBothEncodings) {
    EXPECT_EQ(otlp_response_json(0, ""), "{}");
    EXPECT_EQ(
        json::parse(otlp_response_json(2, "too big")),
        json::parse(R"({"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too big"}})"));
    EXPECT_EQ(otlp_response_protobuf(0, ""), "");
    otlp::ExportLogsServiceResponse response;
    ASSERT_TRUE(response.ParseFromString(otlp_response_protobuf(3, "x")));
    EXPECT_EQ(response.partial_success().rejected_log_records(), 3);
    EXPECT_EQ(json::parse(otlp_status_json(3, "bad")),
              json::parse(R"({"code":3,"message":"bad"})"));
}

}  // namespace
}  // namespace smartlog::protocol
