// tests/integration/smartlogd_test.cpp: the real smartlogd driven by a Beast WebSocket client:
// auth, a producer -> viewer round trip over many batches, history resume, the frame limit and
// a clean shutdown. The Node tests (protocol_*.test.js) cover the rest of docs/protocol.md.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/support/smartlogd_process.hpp"
#include "tests/support/ws_client.hpp"

namespace smartlog::test {
namespace {

// sha256("alice-token"), sha256("reader-token"), sha256("writer-token").
constexpr const char* kConfig = R"(
[[apps]]
id = "app1"

[[apps]]
id = "app2"

[[apps]]
id = "dormant"
active = false

[[users]]
id = "alice"
token_sha256 = "9c220f200955d76c0a38d308225e0ef10c5f971acaf2f8d1d8f732affa5bd1dc"
apps = { app1 = ["read", "write", "clear"], dormant = ["read"] }

[[users]]
id = "reader"
token_sha256 = "ba5005a40cf5212e4ac0190104cc127edab013294bb71279a975b27a80982d45"
apps = { app1 = ["read"] }

[[users]]
id = "writer"
token_sha256 = "3590c0a59f72ce02700194a05f228a725c1f135a6dcb3ded9b2d86ab6a6f52cb"
apps = { app1 = ["write"] }
)";

json::object auth_message(const std::string& user, const std::string& app, const std::string& token,
                          const char* mode = "viewer") {
    return {{"type", "auth"},
            {"data", {{"userId", user}, {"appId", app}, {"token", token}, {"mode", mode}}}};
}

// Connects and authenticates; fails the test unless auth_success comes back.
std::unique_ptr<WsClient> connect_as(const SmartlogdProcess& server, const std::string& user,
                                     const std::string& app, const char* mode = "viewer") {
    auto client = std::make_unique<WsClient>(server.port());
    client->send(auth_message(user, app, user + "-token", mode));
    const auto reply = client->next("auth_success");
    EXPECT_EQ(std::string(reply.at("payload").at("appId").as_string()), app);
    return client;
}

json::object logs_message(int first, int count, const std::string& prefix) {
    json::array logs;
    for (int i = first; i < first + count; ++i) {
        logs.push_back({{"message", prefix + std::to_string(i)}, {"level", "info"}});
    }
    return {{"type", "logs"}, {"data", {{"logs", std::move(logs)}}}};
}

// Live entries (not history answers) read from `client` until `count` have arrived.
std::vector<json::object> live_entries(WsClient& client, std::size_t count,
                                       std::vector<std::size_t>* sizes = nullptr) {
    std::vector<json::object> out;
    while (out.size() < count) {
        json::object msg = client.next("logs");
        if (msg.contains("history")) continue;
        const auto& payload = msg.at("payload").as_array();
        if (sizes) sizes->push_back(payload.size());
        for (const auto& e : payload) out.push_back(e.as_object());
    }
    return out;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

// Sends `request` and returns the answer: the next `logs` carrying "history": true (live
// batches read on the way are dropped).
json::object history_answer(WsClient& client, json::object request) {
    client.send(request);
    for (;;) {
        json::object msg = client.next("logs");
        if (msg.contains("history") && msg.at("history").as_bool()) return msg;
    }
}

TEST(SmartlogdAuth, SuccessCarriesAppUserPermissionsHistoryLimitAndVersion) {
    SmartlogdProcess server(kConfig, {"--history-limit", "42"});
    WsClient client(server.port());
    const auto reply = client.request(auth_message("alice", "app1", "alice-token"), "auth_success");
    const auto& p = reply.at("payload").as_object();
    EXPECT_EQ(str(p.at("appId")), "app1");
    EXPECT_EQ(str(p.at("userId")), "alice");
    std::set<std::string> permissions;
    for (const auto& v : p.at("permissions").as_array()) permissions.insert(str(v));
    EXPECT_EQ(permissions, (std::set<std::string>{"read", "write", "clear"}));
    EXPECT_EQ(p.at("historyLimit").to_number<int>(), 42);
    ASSERT_TRUE(p.at("serverVersion").is_string());
    EXPECT_FALSE(p.at("serverVersion").as_string().empty());
    EXPECT_EQ(server.stop(), 0) << server.output();
}

TEST(SmartlogdAuth, RefusalsAreCodedIndistinguishableAndLeaveTheConnectionOpen) {
    SmartlogdProcess server(kConfig);
    WsClient client(server.port());
    auto code_of = [&](const json::object& msg) {
        const auto reply = client.request(msg, "auth_error");
        return std::pair{str(reply.at("payload").at("code")), json::serialize(reply)};
    };
    const auto unknown_user = code_of(auth_message("mallory", "app1", "alice-token"));
    const auto wrong_token = code_of(auth_message("alice", "app1", "guess"));
    EXPECT_EQ(unknown_user.first, "invalid_credentials");
    EXPECT_EQ(unknown_user.second, wrong_token.second);
    const auto unknown_app = code_of(auth_message("reader", "nope", "reader-token"));
    const auto no_permission = code_of(auth_message("reader", "app2", "reader-token"));
    EXPECT_EQ(unknown_app.first, "no_access");
    EXPECT_EQ(unknown_app.second, no_permission.second);
    EXPECT_EQ(code_of(auth_message("alice", "dormant", "alice-token")).first, "app_inactive");
    EXPECT_EQ(code_of({{"type", "auth"}, {"data", {{"userId", 5}}}}).first, "bad_request");

    // Still open, still unauthenticated, and a good auth still works.
    const auto err = client.request({{"type", "request_history"}}, "error");
    EXPECT_EQ(str(err.at("payload").at("code")), "unauthenticated");
    client.request(auth_message("alice", "app1", "alice-token"), "auth_success");
    client.sync();
    EXPECT_FALSE(client.closed());
}

TEST(SmartlogdLive, ProducerToViewerInOrderWithoutDuplicatesOverManyBatches) {
    SmartlogdProcess server(kConfig, {"--batch-max-entries", "7", "--batch-max-delay", "10ms"});
    auto viewer = connect_as(server, "reader", "app1");
    auto producer = connect_as(server, "writer", "app1", "producer");
    constexpr int kMessages = 10, kPerMessage = 25, kTotal = kMessages * kPerMessage;
    for (int m = 0; m < kMessages; ++m)
        producer->send(logs_message(m * kPerMessage, kPerMessage, "seq-"));
    for (int m = 0; m < kMessages; ++m) {
        const auto ack = producer->next("logs_ack");
        EXPECT_EQ(ack.at("payload").at("accepted").to_number<int>(), kPerMessage);
        EXPECT_TRUE(ack.at("payload").at("rejected").as_array().empty());
    }
    std::vector<std::size_t> sizes;
    const auto entries = live_entries(*viewer, kTotal, &sizes);
    ASSERT_EQ(entries.size(), static_cast<std::size_t>(kTotal));
    std::set<std::string> ids;
    for (int i = 0; i < kTotal; ++i) {
        const auto& e = entries[i];
        EXPECT_EQ(str(e.at("message")), "seq-" + std::to_string(i));
        EXPECT_EQ(str(e.at("appId")), "app1");
        EXPECT_EQ(str(e.at("userId")), "writer");
        ids.insert(str(e.at("id")));
        if (i > 0) {
            EXPECT_LT(str(entries[i - 1].at("id")), str(e.at("id"))) << "at " << i;
        }
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kTotal)) << "an id was repeated";
    EXPECT_GE(sizes.size(), static_cast<std::size_t>(kTotal / 7));
    for (auto n : sizes) EXPECT_LE(n, 7u);
    // Nothing twice: no more live entries after the last one.
    viewer->sync();
    for (const auto& m : viewer->inbox) EXPECT_NE(WsClient::type_of(m), "logs");
    // The producer got acks only.
    producer->sync();
    for (const auto& m : producer->inbox) EXPECT_NE(WsClient::type_of(m), "logs");
}

// The client (Beast's defaults) cuts each message into 4 KiB frames, and the messages are sent
// back to back: the server reads up to 64 KiB per recv and keeps what a read had no room for
// (server/flex_stream.hpp), so frame and message boundaries fall anywhere in its buffer.
TEST(SmartlogdLive, LargeFragmentedMessagesSentBackToBackArriveWholeAndInOrder) {
    SmartlogdProcess server(kConfig);
    auto viewer = connect_as(server, "reader", "app1");
    auto producer = connect_as(server, "writer", "app1", "producer");
    constexpr int kMessages = 8, kPerMessage = 150, kTotal = kMessages * kPerMessage;
    const std::string padding(380, 'x');  // about 60 KiB per message
    for (int m = 0; m < kMessages; ++m) {
        producer->send(logs_message(m * kPerMessage, kPerMessage, "frag-" + padding + "-"));
    }
    for (int m = 0; m < kMessages; ++m) {
        const auto ack = producer->next("logs_ack");
        EXPECT_EQ(ack.at("payload").at("accepted").to_number<int>(), kPerMessage);
        EXPECT_TRUE(ack.at("payload").at("rejected").as_array().empty());
    }
    const auto entries = live_entries(*viewer, kTotal);
    ASSERT_EQ(entries.size(), static_cast<std::size_t>(kTotal));
    for (int i = 0; i < kTotal; ++i) {
        EXPECT_EQ(str(entries[i].at("message")), "frag-" + padding + "-" + std::to_string(i))
            << "at " << i;
    }
}

TEST(SmartlogdHistory, AfterIdResumesWithExactlyWhatWasMissed) {
    SmartlogdProcess server(kConfig, {"--history-limit", "30"});
    auto producer = connect_as(server, "writer", "app1", "producer");
    // Entries still in a pending batch are left out of history (they arrive live): the witness
    // sees each send delivered before history is asked for.
    auto witness = connect_as(server, "alice", "app1");
    producer->request(logs_message(0, 20, "h-"), "logs_ack");
    live_entries(*witness, 20);
    std::string last_seen;
    {
        auto viewer = connect_as(server, "reader", "app1");
        const auto answer = history_answer(*viewer, {{"type", "request_history"}});
        EXPECT_TRUE(answer.at("history").as_bool());
        const auto& payload = answer.at("payload").as_array();
        ASSERT_EQ(payload.size(), 20u);
        last_seen = str(payload.at(9).at("id"));  // it saw h-0 .. h-9, then went away
    }
    producer->request(logs_message(20, 5, "h-"), "logs_ack");
    live_entries(*witness, 5);

    auto viewer = connect_as(server, "reader", "app1");
    auto answer = history_answer(*viewer, {{"type", "request_history"}, {"afterId", last_seen}});
    EXPECT_FALSE(answer.contains("gap") && answer.at("gap").as_bool());
    const auto& payload = answer.at("payload").as_array();
    ASSERT_EQ(payload.size(), 15u);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        EXPECT_EQ(str(payload[i].at("message")), "h-" + std::to_string(10 + i));
    }

    // Once that id has left the ring (30 kept), the answer says there is a gap.
    producer->request(logs_message(25, 30, "h-"), "logs_ack");
    live_entries(*witness, 30);
    answer = history_answer(*viewer, {{"type", "request_history"}, {"afterId", last_seen}});
    ASSERT_TRUE(answer.contains("gap"));
    EXPECT_TRUE(answer.at("gap").as_bool());
    const auto& kept = answer.at("payload").as_array();
    ASSERT_EQ(kept.size(), 30u);
    EXPECT_EQ(str(kept.front().at("message")), "h-25");
    EXPECT_EQ(str(kept.back().at("message")), "h-54");
}

TEST(SmartlogdLimits, FrameOverMaxFrameBytesGetsTooLargeThenClose1009) {
    SmartlogdProcess server(kConfig, {"--max-frame-bytes", "4KiB"});
    auto client = connect_as(server, "alice", "app1");
    // Exactly at the limit: fine.
    const std::string base = R"({"type":"ping","pad":""})";
    client->send_text(R"({"type":"ping","pad":")" + std::string(4096 - base.size(), 'p') + "\"}");
    client->next("pong");
    client->send_text(R"({"type":"ping","pad":")" + std::string(5000, 'p') + "\"}");
    const auto err = client->next("error");
    EXPECT_EQ(str(err.at("payload").at("code")), "too_large");
    const auto reason = client->wait_close();
    EXPECT_EQ(reason.code, 1009);
    EXPECT_FALSE(reason.reason.empty());
    EXPECT_EQ(server.stop(), 0) << server.output();
}

TEST(SmartlogdShutdown, SigtermFlushesPendingBatchesThenCloses1001) {
    // Batches wait 30 s: only the shutdown can make them leave in time.
    SmartlogdProcess server(kConfig, {"--batch-max-entries", "1000", "--batch-max-delay", "30s"});
    auto viewer = connect_as(server, "reader", "app1");
    auto producer = connect_as(server, "writer", "app1", "producer");
    producer->request(logs_message(0, 5, "pending-"), "logs_ack");
    viewer->sync();
    for (const auto& m : viewer->inbox)
        ASSERT_NE(WsClient::type_of(m), "logs") << "the batch left early";

    const auto stopped_at = std::chrono::steady_clock::now();
    server.send_signal(SIGTERM);
    const auto entries = live_entries(*viewer, 5);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(str(entries[i].at("message")), "pending-" + std::to_string(i));
    const auto reason = viewer->wait_close();
    EXPECT_EQ(reason.code, 1001);
    EXPECT_FALSE(reason.reason.empty());
    EXPECT_EQ(producer->wait_close().code, 1001);
    EXPECT_EQ(server.wait(), 0) << server.output();
    EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 5s);
}

}  // namespace
}  // namespace smartlog::test
