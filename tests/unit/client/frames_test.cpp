// The client's frames, checked against the server's own decoder and encoder.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/filter.hpp"
#include "protocol/codec.hpp"
#include "protocol/encode.hpp"
#include "protocol/requests.hpp"
#include "protocol/server_frames.hpp"

namespace smartlog::protocol {
namespace {

Request decode_text(const std::string& text) {
    auto frame = decode_frame(text, Limits{});
    EXPECT_TRUE(frame) << text;
    EXPECT_TRUE(frame->request) << text << ": " << frame->request.error().message;
    return *frame->request;
}

TEST(ClientFrames, AuthAndLogsAreWhatTheServerDecodes) {
    auto auth =
        std::get<AuthRequest>(decode_text(auth_request({"u\"1", "app", "tok"}, Mode::producer)));
    EXPECT_EQ(auth.credentials.user_id, "u\"1");
    EXPECT_EQ(auth.credentials.token, "tok");
    EXPECT_EQ(auth.mode, Mode::producer);

    std::vector<std::string> entries = {entry_object(1700000000123, "warning", "a\nb", ""),
                                        entry_object(5, "error", "x", R"({"k":[1,2]})")};
    const std::string text = logs_request(42, entries);
    EXPECT_EQ(decode_frame(text, Limits{})->ref, "42");
    auto logs = std::get<LogsRequest>(decode_text(text));
    ASSERT_EQ(logs.accepted.size(), 2u);
    EXPECT_EQ(logs.accepted[0].level, "warn");
    EXPECT_EQ(logs.accepted[0].message, "a\nb");
    EXPECT_EQ(logs.accepted[0].timestamp, 1700000000123);
    EXPECT_EQ(logs.accepted[1].metadata, R"({"k":[1,2]})");
}

TEST(ClientFrames, InvalidUtf8BecomesReplacementCharactersNotABrokenFrame) {
    const std::string raw = std::string("ok \xff\xfe bad \xc3\x28 end \xe2\x82\xac") + '\x01';
    const std::string text =
        logs_request(1, std::vector<std::string>{entry_object(1, "info", raw, "")});
    auto logs = std::get<LogsRequest>(decode_text(text));
    ASSERT_EQ(logs.accepted.size(), 1u);
    EXPECT_EQ(logs.accepted[0].message,
              "ok \xEF\xBF\xBD\xEF\xBF\xBD bad \xEF\xBF\xBD( end \xe2\x82\xac\x01");
}

TEST(ClientFrames, FilterAndHistoryRequestsRoundTrip) {
    core::Filter f;
    f.levels = {"error", "fatal"};
    f.start_time = 10;
    f.search = "pay";
    auto filter = std::get<FilterRequest>(decode_text(filter_request(f)));
    EXPECT_EQ(filter.filter, f);
    auto history = std::get<HistoryRequest>(decode_text(history_request(50, "0190-abc")));
    EXPECT_EQ(history.limit, 50u);
    EXPECT_EQ(history.after_id, "0190-abc");
    auto plain = std::get<HistoryRequest>(decode_text(history_request(std::nullopt, "")));
    EXPECT_FALSE(plain.limit);
    EXPECT_FALSE(plain.after_id);
}

TEST(ServerFrames, DecodesWhatTheServerEncodes) {
    auto e = core::make_entry({.id = "id1",
                               .timestamp = 7,
                               .level = "warn",
                               .message = "m",
                               .metadata = R"({"a":1})",
                               .app_id = "app",
                               .user_id = "u"});
    std::vector<core::EntryPtr> entries = {e};

    auto live = std::get<LogsFrame>(*decode_server_frame(logs_frame(entries)));
    EXPECT_FALSE(live.history);
    ASSERT_EQ(live.entries.size(), 1u);
    EXPECT_EQ(live.entries[0].id, "id1");
    EXPECT_EQ(live.entries[0].metadata, R"({"a":1})");
    EXPECT_EQ(boost::json::parse(live.entries[0].encoded), boost::json::parse(e->encoded()));

    auto history = std::get<LogsFrame>(*decode_server_frame(history_frame(entries, true)));
    EXPECT_TRUE(history.history);
    EXPECT_TRUE(history.gap);

    auto ack =
        std::get<LogsAckFrame>(*decode_server_frame(logs_ack_frame("9", 3, {{1, "too big"}})));
    EXPECT_EQ(ack.ref, "9");
    EXPECT_EQ(ack.accepted, 3u);
    ASSERT_EQ(ack.rejected.size(), 1u);
    EXPECT_EQ(ack.rejected[0].message, "too big");

    auto err =
        std::get<ErrorFrame>(*decode_server_frame(error_frame(core::errc::forbidden, "no", "4")));
    EXPECT_EQ(err.code, "forbidden");
    EXPECT_EQ(err.ref, "4");

    auto dropped = std::get<DroppedFrame>(*decode_server_frame(dropped_frame(12, "")));
    EXPECT_EQ(dropped.count, 12u);
    EXPECT_EQ(dropped.after_id, "");

    auto auth = std::get<AuthErrorFrame>(
        *decode_server_frame(auth_error_frame(core::auth_errc::no_access, "x")));
    EXPECT_EQ(auth.code, "no_access");
    auto ok = std::get<AuthSuccessFrame>(
        *decode_server_frame(auth_success_frame("app", "u", {"read"}, 1000, Mode::viewer)));
    EXPECT_EQ(ok.history_limit, 1000u);
    EXPECT_EQ(ok.permissions, std::vector<std::string>{"read"});

    EXPECT_TRUE(
        std::holds_alternative<UnknownFrame>(*decode_server_frame(R"({"type":"future_thing"})")));
    EXPECT_FALSE(decode_server_frame("not json"));
    EXPECT_FALSE(decode_server_frame(R"({"type":"logs","payload":{}})"));
}

}  // namespace
}  // namespace smartlog::protocol
