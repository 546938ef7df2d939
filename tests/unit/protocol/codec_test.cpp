#include "protocol/codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <boost/json/monotonic_resource.hpp>

namespace smartlog::protocol {
namespace {

using core::errc;

boost::system::result<Request, ProtocolError> decode_text(std::string_view text,
                                                          Limits limits = {}) {
    auto frame = decode_frame(text, limits);
    if (!frame) return frame.error();
    return frame->request;
}

std::string ref_of(std::string_view text) {
    auto frame = decode_frame(text, Limits{});
    EXPECT_TRUE(frame) << text;
    return frame ? frame->ref : std::string();
}

errc error_of(std::string_view text, Limits limits = {}) {
    auto r = decode_text(text, limits);
    EXPECT_FALSE(r.has_value()) << text;
    return r.has_value() ? errc{} : r.error().code;
}

TEST(Codec, InvalidJsonIsBadJson) {
    for (std::string_view text :
         {"{not json", R"({"type":"logs","data":{"logs":[]}} x)", R"({"type":"ping"} {})"}) {
        auto e = decode_frame(text, Limits{});
        ASSERT_FALSE(e) << text;
        EXPECT_EQ(e.error().code, errc::bad_json);
    }
}

TEST(Codec, NonObjectsAndMissingTypeAreBadRequest) {
    EXPECT_EQ(error_of("[1,2]"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"data":{}})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":5})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"launch_missiles"})"), errc::bad_request);
}

TEST(Codec, UnknownTypeIsQuotedWithoutCuttingACharacter) {
    // 63 ASCII bytes then "é" (2 bytes): a 64-byte cut would keep half of it.
    const std::string type = std::string(63, 'x') + "\xC3\xA9";
    auto r = decode_text(R"({"type":")" + type + R"("})");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message, "unknown message type \"" + std::string(63, 'x') + "\"");
}

TEST(Codec, KeepsRefAsJson) {
    // Both ways a frame is read (logs straight from the text, the others through a document)
    // give the same ref.
    for (std::string type : {"ping", "logs"}) {
        const std::string head = R"({"type":")" + type + R"(","data":{"logs":[]},"ref":)";
        EXPECT_EQ(ref_of(head + R"("abc"})"), R"("abc")") << type;
        EXPECT_EQ(ref_of(head + R"("a\u00e9\/"})"), "\"a\u00e9/\"") << type;
        EXPECT_EQ(ref_of(head + "7}"), "7") << type;
        EXPECT_EQ(ref_of(head + "-0}"), "0") << type;
        EXPECT_EQ(ref_of(head + "1.5}"), "1.5E0") << type;
        EXPECT_EQ(ref_of(head + "18446744073709551615}"), "18446744073709551615") << type;
        EXPECT_EQ(ref_of(head + R"({"x":1}})"), "") << type;
        EXPECT_EQ(ref_of(head + "null}"), "") << type;
        EXPECT_EQ(ref_of(head + R"("first","ref":2})"), "2") << type;
        // Out of double's range it would print as Infinity, which is not JSON: dropped.
        EXPECT_EQ(ref_of(head + "1e400}"), "") << type;
    }
}

TEST(Codec, OnlyAuthCheckStatusAndPingBeforeAuth) {
    EXPECT_TRUE(allowed_before_auth("auth"));
    EXPECT_TRUE(allowed_before_auth("check_status"));
    EXPECT_TRUE(allowed_before_auth("ping"));
    EXPECT_FALSE(allowed_before_auth("logs"));
    EXPECT_FALSE(allowed_before_auth(""));
}

TEST(Codec, DecodesTheSeedsAuth) {
    auto r = decode_text(R"({"type":"auth","data":{"userId":"user123","appId":"app456"}})");
    ASSERT_TRUE(r);
    const auto& auth = std::get<AuthRequest>(*r);
    EXPECT_EQ(auth.credentials.user_id, "user123");
    EXPECT_EQ(auth.credentials.app_id, "app456");
    EXPECT_FALSE(auth.credentials.token);
    EXPECT_EQ(auth.mode, Mode::viewer);
}

TEST(Codec, AuthWithTokenAndProducerMode) {
    auto r = decode_text(
        R"({"type":"auth","data":{"userId":"u","appId":"a","token":"t","mode":"producer"}})");
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<AuthRequest>(*r).credentials.token, "t");
    EXPECT_EQ(std::get<AuthRequest>(*r).mode, Mode::producer);
}

TEST(Codec, RefusesMalformedAuth) {
    EXPECT_EQ(error_of(R"({"type":"auth"})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"auth","data":{"userId":"u"}})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"auth","data":{"userId":1,"appId":"a"}})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"auth","data":{"userId":"","appId":"a"}})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"auth","data":{"userId":"u","appId":"a","mode":"admin"}})"),
              errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"auth","data":{"userId":"u","appId":"a","token":5}})"),
              errc::bad_request);
}

TEST(Codec, DecodesTheSeedsFilterAndNormalisesLevels) {
    auto r = decode_text(
        R"({"type":"filter","filters":{"level":["ERROR","warning","error"],"startTime":10,"endTime":20,"search":"db"}})");
    ASSERT_TRUE(r);
    const auto& f = std::get<FilterRequest>(*r).filter;
    EXPECT_EQ(f.levels, (std::vector<std::string>{"error", "warn"}));
    EXPECT_EQ(f.start_time, 10);
    EXPECT_EQ(f.end_time, 20);
    EXPECT_EQ(f.search, "db");
}

TEST(Codec, AcceptsTheWebClientsDataFormOfFilter) {
    auto r = decode_text(R"({"type":"filter","data":{"level":["info"]}})");
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<FilterRequest>(*r).filter.levels, (std::vector<std::string>{"info"}));
}

TEST(Codec, EmptyFilterResets) {
    auto r = decode_text(R"({"type":"filter","filters":{"level":[]}})");
    ASSERT_TRUE(r);
    EXPECT_TRUE(std::get<FilterRequest>(*r).filter.accepts_all());
}

TEST(Codec, RefusesBadFilters) {
    EXPECT_EQ(error_of(R"({"type":"filter","filters":"error"})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"filter","filters":{"level":"error"}})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"filter","filters":{"level":[1]}})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"filter","filters":{"startTime":"yesterday"}})"),
              errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"filter","filters":{"startTime":20,"endTime":10}})"),
              errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"filter","filters":{"search":[]}})"), errc::bad_request);
}

// `n` distinct levels ("l0", "l1", ...), each sent `copies` times, as a filter message.
std::string filter_with_levels(std::size_t n, std::size_t copies = 1) {
    std::string text = R"({"type":"filter","filters":{"level":[)";
    for (std::size_t c = 0; c < copies; ++c) {
        for (std::size_t i = 0; i < n; ++i)
            text += (c || i ? ",\"l" : "\"l") + std::to_string(i) + "\"";
    }
    return text + "]}}";
}

TEST(Codec, CapsTheDistinctLevelsOfAFilter) {
    auto r = decode_text(filter_with_levels(core::kMaxFilterLevels));
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<FilterRequest>(*r).filter.levels.size(), core::kMaxFilterLevels);
    auto refused = decode_text(filter_with_levels(core::kMaxFilterLevels + 1));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, errc::bad_request);
    EXPECT_EQ(refused.error().message, "filters.level names more than 64 distinct levels");
    // 100,000 distinct levels: refused at the 65th, however long the rest.
    EXPECT_EQ(error_of(filter_with_levels(100000)), errc::bad_request);
    // Repeats are not counted: 64 levels sent 1,000 times each pass, in linear time.
    auto repeated = decode_text(filter_with_levels(core::kMaxFilterLevels, 1000));
    ASSERT_TRUE(repeated);
    EXPECT_EQ(std::get<FilterRequest>(*repeated).filter.levels.size(), core::kMaxFilterLevels);
}

TEST(Codec, CapsTheSearchLength) {
    const std::string head = R"({"type":"filter","filters":{"search":")";
    EXPECT_TRUE(decode_text(head + std::string(core::kMaxSearchBytes, 'a') + "\"}}"));
    EXPECT_EQ(error_of(head + std::string(core::kMaxSearchBytes + 1, 'a') + "\"}}"),
              errc::bad_request);
}

TEST(Codec, DecodesHistoryAndItsAlias) {
    auto r = decode_text(R"({"type":"request_history","limit":5,"afterId":"x"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<HistoryRequest>(*r).limit, 5u);
    EXPECT_EQ(std::get<HistoryRequest>(*r).after_id, "x");
    EXPECT_TRUE(decode_text(R"({"type":"history"})"));
    EXPECT_EQ(error_of(R"({"type":"request_history","limit":-1})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"request_history","limit":1.5})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"request_history","afterId":3})"), errc::bad_request);
}

TEST(Codec, LogsRejectEntriesOneByOne) {
    Limits limits;
    limits.max_message_bytes = 10;
    limits.max_metadata_bytes = 12;
    auto r = decode_text(R"({"type":"logs","data":{"logs":[
        {"message":"ok","level":"WARNING","metadata":{"a":1},"timestamp":5},
        {"level":"info"},
        {"message":"x","level":5},
        "just a string",
        {"message":"this message is too long"},
        {"message":"m","metadata":{"big":"0123456789"}},
        {"message":"m","level":"0123456789012345678901234567890123"},
        {"message":"m","timestamp":"last tuesday"},
        {"message":"iso","timestamp":"2024-05-01T12:00:00.250Z"}
    ]}})",
                         limits);
    ASSERT_TRUE(r);
    const auto& logs = std::get<LogsRequest>(*r);
    ASSERT_EQ(logs.accepted.size(), 2u);
    EXPECT_EQ(logs.accepted[0].index, 0u);
    EXPECT_EQ(logs.accepted[0].level, "warn");
    EXPECT_EQ(logs.accepted[0].metadata, R"({"a":1})");
    EXPECT_EQ(logs.accepted[0].timestamp, 5);
    EXPECT_EQ(logs.accepted[1].index, 8u);
    EXPECT_EQ(logs.accepted[1].timestamp, 1714564800250);
    EXPECT_EQ(logs.accepted[1].level, "info");
    std::vector<std::size_t> rejected;
    for (const auto& x : logs.rejected) rejected.push_back(x.index);
    EXPECT_EQ(rejected, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(Codec, NullMetadataAndMetricsAreKeptAsSent) {
    auto logs = decode_text(
        R"({"type":"logs","data":{"logs":[{"message":"m","metadata":null},{"message":"n"}]}})");
    ASSERT_TRUE(logs);
    EXPECT_EQ(std::get<LogsRequest>(*logs).accepted[0].metadata, "null");
    EXPECT_EQ(std::get<LogsRequest>(*logs).accepted[1].metadata, "");
    auto metrics = decode_text(R"({"type":"send_metrics","data":{"metrics":null}})");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(std::get<SendMetricsRequest>(*metrics).metrics, "null");
}

TEST(Codec, LogsWithoutAnArrayAreBadRequest) {
    EXPECT_EQ(error_of(R"({"type":"logs"})"), errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"logs","data":{"logs":{}}})"), errc::bad_request);
}

TEST(Codec, SendMetricsKeepsAnyJsonUpToTheMetadataLimit) {
    auto r = decode_text(R"({"type":"send_metrics","data":{"metrics":{"queue":3},"timestamp":9}})");
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<SendMetricsRequest>(*r).metrics, R"({"queue":3})");
    EXPECT_EQ(std::get<SendMetricsRequest>(*r).timestamp, 9);
    Limits small;
    small.max_metadata_bytes = 4;
    EXPECT_EQ(error_of(R"({"type":"send_metrics","data":{"metrics":{"queue":3}}})", small),
              errc::too_large);
    EXPECT_EQ(error_of(R"({"type":"send_metrics","data":{}})"), errc::bad_request);
    // Out of double's range a number would be written as Infinity, which is not JSON.
    EXPECT_EQ(error_of(R"({"type":"send_metrics","data":{"metrics":{"a":[1,-1e400]}}})"),
              errc::bad_request);
}

// Every time field takes ms or ISO-8601, as entries do: the original library sends
// `timestamp: new Date().toISOString()` with its metrics (src/logger.ts, handleMetrics).
TEST(Codec, TimeFieldsTakeMillisecondsOrIso8601) {
    auto metrics = decode_text(
        R"({"type":"send_metrics","data":{"userId":"u","appId":"a","metrics":{"cpu":1},"timestamp":"2024-05-01T12:00:00.250Z"}})");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(std::get<SendMetricsRequest>(*metrics).timestamp, 1714564800250);
    EXPECT_EQ(error_of(R"({"type":"send_metrics","data":{"metrics":1,"timestamp":"soon"}})"),
              errc::bad_request);
    EXPECT_EQ(error_of(R"({"type":"send_metrics","data":{"metrics":1,"timestamp":true}})"),
              errc::bad_request);

    auto filter = decode_text(
        R"({"type":"filter","filters":{"startTime":"2024-05-01T12:00:00Z","endTime":"2024-05-01T14:00:00+02:00"}})");
    ASSERT_TRUE(filter);
    EXPECT_EQ(std::get<FilterRequest>(*filter).filter.start_time, 1714564800000);
    EXPECT_EQ(std::get<FilterRequest>(*filter).filter.end_time, 1714564800000);
    EXPECT_EQ(
        error_of(
            R"({"type":"filter","filters":{"startTime":"2024-05-01T13:00:00Z","endTime":1714564800000}})"),
        errc::bad_request);
}

// The original library asks {type:"history", ws_sent_config:{response_type:"request_history"}}.
TEST(Codec, HistoryKeepsTheResponseTypeTheClientAsksFor) {
    auto r = decode_text(
        R"({"type":"history","ws_sent_config":{"response_type":"request_history"},"data":{"userId":"u","appId":"a"}})");
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<HistoryRequest>(*r).response_type, "request_history");
    EXPECT_EQ(std::get<HistoryRequest>(*r).response_type.size(), 15u);
    EXPECT_EQ(std::get<HistoryRequest>(*decode_text(R"({"type":"history"})")).response_type, "");
    EXPECT_EQ(std::get<HistoryRequest>(*decode_text(R"({"type":"history","ws_sent_config":{}})"))
                  .response_type,
              "");
    for (std::string_view bad :
         {R"("ws_sent_config":"x")", R"("ws_sent_config":{"response_type":5})",
          R"("ws_sent_config":{"response_type":""})",
          R"("ws_sent_config":{"response_type":"a\"b"})",
          R"("ws_sent_config":{"response_type":"a b"})"}) {
        EXPECT_EQ(error_of(R"({"type":"history",)" + std::string(bad) + "}"), errc::bad_request)
            << bad;
    }
    EXPECT_EQ(error_of(R"({"type":"history","ws_sent_config":{"response_type":")" +
                       std::string(65, 'x') + "\"}}"),
              errc::bad_request);
}

TEST(Codec, MalformedMessageKeysRefuseTheWholeLogsMessage) {
    auto r = decode_text(R"({"type":"logs","data":{"logs":[{"message":"x"}],"encryption":"on"}})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_request);
    EXPECT_NE(r.error().message.find("data.encryption"), std::string::npos) << r.error().message;
}

TEST(Codec, IgnoresUnknownFields) {
    EXPECT_TRUE(decode_text(R"({"type":"ping","extra":{"deep":[1,2,3]}})"));
}

}  // namespace
}  // namespace smartlog::protocol

namespace smartlog::protocol {
namespace {

// Counts what an arena takes from the heap beyond its buffer.
class CountingResource final : public boost::json::memory_resource {
public:
    std::size_t bytes = 0;

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        bytes += n;
        return ::operator new(n, std::align_val_t(align));
    }
    void do_deallocate(void* p, std::size_t, std::size_t align) override {
        // Unsized: the arena may give back a size other than it asked for.
        ::operator delete(p, std::align_val_t(align));
    }
    bool do_is_equal(const memory_resource& other) const noexcept override {
        return this == &other;
    }
};

// Regression: the server once reused one monotonic_resource with release() between messages;
// in Boost 1.81 its next block size doubles at every refill, and after a few hundred messages
// bigger than the first block it asked for 32 GiB. What the server calls for every message
// (with_decoded_frame, over one buffer) must take as much from the heap for the 2,000th large
// frame as for the first.
TEST(Codec, EveryMessageGetsAFreshArenaSoTheHeapTakenPerMessageStaysFlat) {
    // `logs` frames take no document; other messages do, so the frame is a big send_metrics.
    std::array<unsigned char, 4096> buffer;
    const std::string head = R"({"type":"send_metrics","data":{"metrics":)";
    std::string frame = head + "[";
    for (int i = 0; i < 200; ++i)
        frame +=
            std::string(i ? "," : "") + R"({"name":"counter number )" + std::to_string(i) + R"("})";
    frame += "]}}";
    const Limits limits{.max_message_bytes = 1024, .max_metadata_bytes = 64 * 1024};
    CountingResource heap;
    std::size_t first = 0;
    for (int i = 0; i < 2000; ++i) {
        const std::size_t before = heap.bytes;
        with_decoded_frame(
            frame, limits, buffer, false,
            [&](boost::system::result<Frame, ProtocolError> decoded) {
                ASSERT_TRUE(decoded);
                ASSERT_TRUE(decoded->request);
                ASSERT_EQ(std::get<SendMetricsRequest>(*decoded->request).metrics,
                          frame.substr(head.size(), frame.size() - head.size() - 2));
            },
            boost::json::storage_ptr(&heap));
        const std::size_t taken = heap.bytes - before;
        if (i == 0) first = taken;
        ASSERT_GT(taken, 0u) << "the frame is larger than the buffer";
        ASSERT_EQ(taken, first) << "message " << i;
    }
}

}  // namespace
}  // namespace smartlog::protocol
