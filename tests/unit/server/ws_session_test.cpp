// A WebSocket session's rules, in process: a Server on a loopback port run by a thread of this
// test, and Beast clients on the test's thread. Nothing here waits for time to pass: every step
// waits for the message that proves it, with a generous bound that only a broken rule reaches.
//
// Beast's test::stream would spare the sockets, but it accepts every write at once: a peer that
// reads nothing never holds anything back, so the rules about slow peers (the gate, `dropped`)
// cannot be expressed on it. Loopback sockets with a small receive buffer can.
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "storage/memory_store.hpp"
#include "tests/support/ws_client.hpp"

namespace smartlog::server {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// alice's token is "test".
constexpr std::string_view kToml = R"(
[server]
listen = "127.0.0.1:0"
durability = "memory"
[[apps]]
id = "shop"
[[users]]
id = "alice"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
apps = { shop = ["read", "write", "clear"] }
)";

// The bound on any one wait: far above what any step takes, reached only when a rule is broken.
constexpr auto kPatience = 20s;

// One smartlogd in this process, serving on its own thread until the fixture ends.
class LiveServer {
public:
    explicit LiveServer(Config config)
        : config_(std::move(config)), server_(config_, store_, clock_) {
        thread_ = std::thread([this] { server_.run(); });
    }
    ~LiveServer() {
        stop();
        thread_.join();
    }
    unsigned short port() const { return server_.local_endpoint().port(); }
    // Begins the shutdown of SIGTERM.
    void stop() {
        net::post(server_.context().ioc, [this] { server_.stop(); });
    }

private:
    Config config_;
    storage::MemoryStore store_;
    core::SystemClock clock_;
    Server server_;
    std::thread thread_;
};

using test::WsClient;

void auth(WsClient& client, std::string_view mode = "viewer") {
    client.request(
        {{"type", "auth"},
         {"data", {{"userId", "alice"}, {"appId", "shop"}, {"token", "test"}, {"mode", mode}}}},
        "auth_success", kPatience);
}

// Sends `messages` as one `logs` message and waits for its acknowledgement.
void produce(WsClient& producer, const std::vector<std::string>& messages) {
    json::array logs;
    for (const auto& m : messages) logs.push_back(json::object{{"level", "info"}, {"message", m}});
    const auto ack = producer.request({{"type", "logs"}, {"data", {{"logs", std::move(logs)}}}},
                                      "logs_ack", kPatience);
    EXPECT_EQ(ack.at("payload").at("accepted").to_number<std::size_t>(), messages.size());
}

Config config_with(void (*adjust)(Settings&) = nullptr) {
    Config config;
    apply_toml(config, kToml, "session_test.toml");
    if (adjust) adjust(config.settings);
    return config;
}

std::vector<std::string> messages_of(const json::array& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.emplace_back(e.at("message").as_string());
    return out;
}

TEST(WsSession, TheEleventhMessageBeforeAuthClosesWith1008) {
    LiveServer server(config_with());
    WsClient client(server.port());
    for (int i = 0; i < 11; ++i) client.send({{"type", "filter"}});
    const auto reason = client.wait_close(kPatience);
    for (const auto& message : client.inbox) {
        EXPECT_EQ(message.at("type").as_string(), "error");
        EXPECT_EQ(message.at("payload").at("code").as_string(), "unauthenticated");
    }
    EXPECT_EQ(client.inbox.size(), 11u) << "ten refusals, then the eleventh's with the close";
    EXPECT_EQ(reason.code, websocket::close_code::policy_error);
}

// RFC 6455 8.1: a text message that is not UTF-8 closes the connection with 1007, however the
// session reads it (large messages in large pieces; the check is websocket/utf8_checker.cpp).
TEST(WsSession, TextThatIsNotUtf8ClosesWith1007) {
    LiveServer server(config_with());
    WsClient producer(server.port());
    auth(producer, "producer");
    producer.send_text(R"({"type":"logs","data":{"logs":[{"message":")" + std::string(40000, 'x') +
                       "caf\xC3\xA9 \xC3\x28" + R"("}]}})");
    EXPECT_EQ(producer.wait_close(kPatience).code, websocket::close_code::bad_payload);
}

// "Fail fast": a message whose first part ends inside a sequence no byte can complete (0xED 0xA0
// begins a UTF-16 surrogate) is refused before the rest of it comes.
TEST(WsSession, TextThatCannotBecomeUtf8ClosesBeforeTheMessageEnds) {
    LiveServer server(config_with());
    WsClient client(server.port());
    client.send_fragment("{\"type\":\"ping\",\"x\":\"\xED\xA0", false);
    EXPECT_EQ(client.wait_close(kPatience).code, websocket::close_code::bad_payload);
}

TEST(WsSession, LargeMessagesOfNonAsciiTextAreReadWhole) {
    LiveServer server(config_with());
    WsClient producer(server.port());
    auth(producer, "producer");
    std::vector<std::string> messages;
    for (int i = 0; i < 300; ++i) {
        messages.push_back("caf\xC3\xA9 \xE2\x82\xAC " + std::to_string(i) + std::string(200, 'y') +
                           "\xF0\x9F\x98\x80");
    }
    produce(producer, messages);  // one message of about 70 KB
    WsClient viewer(server.port());
    auth(viewer);
    const auto history = viewer.request({{"type", "request_history"}}, "logs", kPatience);
    EXPECT_EQ(messages_of(history.at("payload").as_array()).back(), messages.back());
}

TEST(WsSession, HistoryMeetsLiveWithNoEntryTwiceAndNoneMissing) {
    // The batch stays pending until it is full: the history answer is given while it waits.
    LiveServer server(config_with([](Settings& s) {
        s.batch_max_entries = 5;
        s.batch_max_delay = std::chrono::milliseconds(60'000);
    }));
    WsClient producer(server.port());
    auth(producer, "producer");
    WsClient viewer(server.port());
    auth(viewer);

    produce(producer, {"a", "b"});
    const auto history = viewer.request({{"type", "request_history"}}, "logs", kPatience);
    EXPECT_TRUE(history.at("history").as_bool());
    EXPECT_EQ(messages_of(history.at("payload").as_array()), (std::vector<std::string>{"a", "b"}))
        << "the pending batch is part of the history";

    produce(producer, {"c", "d", "e"});  // fills the batch: a, b, c, d, e leave together
    const auto live = viewer.next("logs", kPatience);
    EXPECT_FALSE(live.contains("history"));
    EXPECT_EQ(messages_of(live.at("payload").as_array()),
              (std::vector<std::string>{"c", "d", "e"}));
}

TEST(WsSession, AViewerThatFellBehindIsToldHowManyItMissedThenGetsLiveEntriesAgain) {
    LiveServer server(config_with([](Settings& s) {
        s.max_outbound_bytes = 64 << 10;
        s.batch_max_entries = 16;
    }));
    WsClient producer(server.port());
    auth(producer, "producer");
    WsClient viewer(server.port(), "/ws", 4096);
    auth(viewer);

    // More than the socket buffers on both sides and the gate can hold (a loopback send buffer
    // grows to 4 MiB; about 2.5 MB got through when measured): the viewer, which reads nothing
    // meanwhile, must miss some.
    const std::string padding(1000, 'x');
    constexpr int kBatches = 400;
    constexpr int kPerBatch = 16;
    for (int b = 0; b < kBatches; ++b) {
        std::vector<std::string> batch;
        for (int i = 0; i < kPerBatch; ++i)
            batch.push_back(std::to_string(b * kPerBatch + i) + padding);
        produce(producer, batch);
    }

    // What came before the notice stays in the inbox, in arrival order.
    const auto dropped = viewer.next("dropped", kPatience);
    std::size_t received = 0;
    std::string last_id;
    for (const auto& message : viewer.inbox) {
        if (message.at("type").as_string() != "logs") continue;
        const auto& entries = message.at("payload").as_array();
        received += entries.size();
        last_id = std::string(entries.back().at("id").as_string());
    }
    viewer.inbox.clear();
    const auto missed = dropped.at("payload").at("count").to_number<std::size_t>();
    EXPECT_GT(missed, 0u);
    EXPECT_EQ(received + missed, std::size_t{kBatches} * kPerBatch)
        << "every entry arrived or was counted";
    EXPECT_EQ(dropped.at("payload").at("afterId").as_string(), last_id);

    std::vector<std::string> after(kPerBatch, "after catching up");
    produce(producer, after);
    const auto live = viewer.next("logs", kPatience);
    EXPECT_EQ(messages_of(live.at("payload").as_array()), after);
}

TEST(WsSession, ShutdownSendsThePendingBatchBeforeClosingWith1001) {
    auto server = std::make_unique<LiveServer>(
        config_with([](Settings& s) { s.batch_max_delay = std::chrono::milliseconds(60'000); }));
    WsClient producer(server->port());
    auth(producer, "producer");
    WsClient viewer(server->port());
    auth(viewer);
    produce(producer, {"last words"});

    server->stop();
    const auto reason = viewer.wait_close(kPatience);
    std::vector<std::string> shown;
    for (const auto& message : viewer.inbox) {
        if (message.at("type").as_string() == "logs") {
            for (const auto& m : messages_of(message.at("payload").as_array())) shown.push_back(m);
        }
    }
    EXPECT_EQ(shown, std::vector<std::string>{"last words"})
        << "the pending batch left before the close";
    EXPECT_EQ(reason.code, websocket::close_code::going_away);
}

}  // namespace
}  // namespace smartlog::server
