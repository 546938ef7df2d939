#include "protocol/encode.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace smartlog::protocol {
namespace {

namespace json = boost::json;

core::EntryPtr entry(std::string message, std::string metadata = {}, bool plain = false) {
    return core::make_entry({.id = "0190a5d0-0000-7000-8000-000000000001",
                             .timestamp = 1714564800000,
                             .level = "info",
                             .message = message,
                             .metadata = metadata,
                             .app_id = "app456",
                             .user_id = "user123",
                             .message_is_plain = plain});
}

TEST(Encode, EntryIsTheSeedsLogEntry) {
    auto v = json::parse(entry("say \"hi\"\n", R"({"k":[1,2]})")->encoded()).as_object();
    EXPECT_EQ(v.at("id").as_string(), "0190a5d0-0000-7000-8000-000000000001");
    EXPECT_EQ(v.at("timestamp").as_int64(), 1714564800000);
    EXPECT_EQ(v.at("level").as_string(), "info");
    EXPECT_EQ(v.at("message").as_string(), "say \"hi\"\n");
    EXPECT_EQ(v.at("metadata").at("k").as_array().size(), 2u);
    EXPECT_EQ(v.at("appId").as_string(), "app456");
    EXPECT_EQ(v.at("userId").as_string(), "user123");
}

TEST(Encode, APlainMessageIsCopiedAsItIs) {
    const std::string message = "nothing to escape here, \u00e9 included";
    EXPECT_EQ(entry(message, {}, /*plain=*/true)->encoded(), entry(message)->encoded());
}

TEST(Encode, EscapesExactlyLikeBoostJson) {
    for (std::string message : {std::string("plain"), std::string("quote \" back \\ slash"),
                                std::string("tab\tnew\nline"), std::string("nul\0byte", 8),
                                std::string("unicode \u00e9\u2603"), std::string("\x7f del")}) {
        auto e = entry(message);
        auto v = json::parse(e->encoded()).as_object();
        EXPECT_EQ(v.at("message").as_string(), message);
        EXPECT_NE(e->encoded().find(json::serialize(json::string_view(message))),
                  std::string::npos);
    }
}

// The escape scan reads sixteen, then eight bytes at a time: every byte that needs escaping
// must be found at every position of each block and in the tail, and no other byte may be
// taken for one.
TEST(Encode, EscapesEveryByteAtEveryPosition) {
    for (int c = 0; c < 256; ++c) {
        for (std::size_t length : {1u, 7u, 8u, 9u, 16u, 23u, 24u, 31u, 40u}) {
            for (std::size_t at = 0; at < length; ++at) {
                std::string message(length, 'a');
                message[at] = static_cast<char>(c);
                auto e = entry(message);
                const std::string quoted = json::serialize(json::string_view(message));
                ASSERT_NE(e->encoded().find(",\"message\":" + quoted + ","), std::string::npos)
                    << "byte " << c << " at " << at << " of " << length;
            }
        }
    }
}

// Histories keep every encoded entry: one allocation of about its size, not a doubled one.
TEST(Encode, EntryIsEncodedInOneAllocationOfItsSize) {
    auto e = entry(std::string(200, 'm'), R"({"k":"v"})");
    EXPECT_LE(e->bytes(), e->encoded().size() + 256);
}

TEST(Encode, EntryWithoutMetadataHasNoMetadataField) {
    auto v = json::parse(entry("m")->encoded()).as_object();
    EXPECT_FALSE(v.contains("metadata"));
}

TEST(Encode, LogsAndHistoryFrames) {
    std::vector<core::EntryPtr> entries{entry("a"), entry("b")};
    auto live = json::parse(logs_frame(entries)).as_object();
    EXPECT_EQ(live.at("type").as_string(), "logs");
    EXPECT_EQ(live.at("payload").as_array().size(), 2u);
    EXPECT_FALSE(live.contains("history"));

    auto history = json::parse(history_frame(entries, true)).as_object();
    EXPECT_TRUE(history.at("history").as_bool());
    EXPECT_TRUE(history.at("gap").as_bool());
    EXPECT_FALSE(json::parse(history_frame({}, false)).as_object().contains("gap"));
    EXPECT_TRUE(json::parse(history_frame({}, false)).as_object().at("payload").as_array().empty());
}

// The original library reads its history answer as {type:"request_history", payload:{logs}}.
TEST(Encode, HistoryInTheShapeTheClientAskedFor) {
    std::vector<core::EntryPtr> entries{entry("a"), entry("b")};
    auto answer = json::parse(history_frame(entries, false, false, "request_history")).as_object();
    EXPECT_EQ(answer.at("type").as_string(), "request_history");
    EXPECT_TRUE(answer.at("history").as_bool());
    EXPECT_EQ(answer.at("payload").at("logs").as_array().size(), 2u);
    EXPECT_EQ(answer.at("payload").at("logs").as_array()[1].at("message").as_string(), "b");
    auto gap = json::parse(history_frame({}, true, true, "request_history")).as_object();
    EXPECT_TRUE(gap.at("gap").as_bool());
    EXPECT_TRUE(gap.at("more").as_bool());
    EXPECT_TRUE(gap.at("history").as_bool());
    EXPECT_TRUE(gap.at("payload").at("logs").as_array().empty());
    EXPECT_FALSE(answer.contains("more"));
}

TEST(Encode, EncryptedEntryCarriesItsMarkAndKeys) {
    auto e = core::make_entry({.id = "x",
                               .level = "log",
                               .message = "0a1b:c2d3",
                               .encrypted = true,
                               .encryption = R"({"transmissionKey":"t","encryptedKey":"k"})"});
    auto o = json::parse(e->encoded()).as_object();
    EXPECT_TRUE(o.at("encrypted").as_bool());
    EXPECT_EQ(o.at("encryption").at("transmissionKey").as_string(), "t");
    EXPECT_EQ(o.at("encryption").at("encryptedKey").as_string(), "k");
    auto plain = core::make_entry({.message = "m"});
    EXPECT_FALSE(json::parse(plain->encoded()).as_object().contains("encrypted"));
    EXPECT_FALSE(json::parse(plain->encoded()).as_object().contains("encryption"));
}

TEST(Encode, ErrorCarriesCodeMessageAndRef) {
    auto v = json::parse(error_frame(core::errc::forbidden, "no", R"("r1")")).as_object();
    EXPECT_EQ(v.at("type").as_string(), "error");
    EXPECT_EQ(v.at("payload").at("code").as_string(), "forbidden");
    EXPECT_EQ(v.at("payload").at("message").as_string(), "no");
    EXPECT_EQ(v.at("payload").at("ref").as_string(), "r1");
    EXPECT_FALSE(json::parse(error_frame(core::errc::bad_json, "x"))
                     .at("payload")
                     .as_object()
                     .contains("ref"));
}

TEST(Encode, AuthFrames) {
    auto ok = json::parse(auth_success_frame("a", "u", {"read"}, 1000, Mode::viewer)).as_object();
    EXPECT_EQ(ok.at("type").as_string(), "auth_success");
    EXPECT_EQ(ok.at("payload").at("appId").as_string(), "a");
    EXPECT_EQ(ok.at("payload").at("userId").as_string(), "u");
    EXPECT_EQ(ok.at("payload").at("historyLimit").as_int64(), 1000);
    EXPECT_TRUE(ok.at("payload").as_object().contains("serverVersion"));
    auto refused = json::parse(auth_error_frame(core::auth_errc::no_access, "no")).as_object();
    EXPECT_EQ(refused.at("payload").at("code").as_string(), "no_access");
    EXPECT_EQ(refused.at("payload").at("message").as_string(), "no");
}

TEST(Encode, FilterAppliedEchoesTheNormalisedFilter) {
    core::Filter f;
    f.levels = {"error"};
    f.start_time = 5;
    auto v = json::parse(filter_applied_frame(f)).as_object();
    EXPECT_EQ(v.at("payload").at("filters").at("level").as_array().size(), 1u);
    EXPECT_EQ(v.at("payload").at("filters").at("startTime").as_int64(), 5);
    EXPECT_FALSE(v.at("payload").at("filters").as_object().contains("endTime"));
}

TEST(Encode, AckDroppedClearedStatus) {
    auto ack = json::parse(logs_ack_frame("3", 2, {{1, "bad"}})).as_object();
    EXPECT_EQ(ack.at("payload").at("ref").as_int64(), 3);
    EXPECT_EQ(ack.at("payload").at("accepted").as_int64(), 2);
    EXPECT_EQ(ack.at("payload").at("rejected").as_array()[0].at("index").as_int64(), 1);
    auto dropped = json::parse(dropped_frame(7, "id")).as_object();
    EXPECT_EQ(dropped.at("payload").at("count").as_int64(), 7);
    EXPECT_EQ(dropped.at("payload").at("afterId").as_string(), "id");
    auto cleared = json::parse(cleared_frame("a", "u", 9, 4)).as_object();
    EXPECT_EQ(cleared.at("payload").at("clearedBy").as_string(), "u");
    EXPECT_EQ(cleared.at("payload").at("count").as_int64(), 4);
    auto status = json::parse(status_response_frame(false, "x", {})).as_object();
    EXPECT_FALSE(status.at("payload").at("status").at("userExists").as_bool());
}

// The ack without rejections is written directly; it must be the bytes the generic
// serialisation makes, for every kind of ref decode_frame can hand over.
TEST(Encode, AckWithoutRejectionsIsTheGenericSerialisation) {
    for (std::string_view ref : {"", "3", "-7", "1.5E0", "18446744073709551615", "\"batch-1\"",
                                 "\"caf\u00e9 \\\"q\\\"\""}) {
        json::object payload;
        if (!ref.empty()) payload["ref"] = json::parse(ref);
        payload["accepted"] = 100;
        payload["rejected"] = json::array();
        json::object frame;
        frame["type"] = "logs_ack";
        frame["payload"] = std::move(payload);
        EXPECT_EQ(logs_ack_frame(ref, 100, {}), json::serialize(frame)) << ref;
    }
}

TEST(Encode, MetricsHaveEverySeedField) {
    core::PerformanceMetrics m;
    m.cpu.usage = 12.5;
    m.cpu.cores = 2;
    auto p = json::parse(metrics_frame(m)).at("payload").as_object();
    for (auto key : {"timestamp", "cpu", "memory", "disk", "network", "activeConnections",
                     "messageRate", "errorRate"}) {
        EXPECT_TRUE(p.contains(key)) << key;
    }
    for (auto key : {"used", "free", "total"}) {
        EXPECT_TRUE(p.at("memory").as_object().contains(key));
        EXPECT_TRUE(p.at("disk").as_object().contains(key));
    }
    for (auto key : {"bytesReceived", "bytesSent", "connections"})
        EXPECT_TRUE(p.at("network").as_object().contains(key));
    EXPECT_DOUBLE_EQ(p.at("cpu").at("usage").to_number<double>(), 12.5);
}

TEST(Encode, MetricsCarryTheAppsRejectedEntries) {
    core::PerformanceMetrics m;
    m.rejected_entries = 34;
    auto p = json::parse(metrics_frame(m)).at("payload").as_object();
    EXPECT_EQ(p.at("rejectedEntries").to_number<std::uint64_t>(), 34u);
}

}  // namespace
}  // namespace smartlog::protocol
