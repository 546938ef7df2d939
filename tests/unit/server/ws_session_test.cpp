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

class Client {
public:
    // `receive_buffer`: SO_RCVBUF of the client's socket, to make a peer that reads little.
    explicit Client(unsigned short port, std::optional<int> receive_buffer = std::nullopt) {
        auto& socket = beast::get_lowest_layer(ws_).socket();
        socket.open(tcp::v4());
        if (receive_buffer)
            socket.set_option(net::socket_base::receive_buffer_size(*receive_buffer));
        socket.connect({net::ip::make_address("127.0.0.1"), port});
        // Small request, small answer, wait: without this each round trip waits for a delayed ACK.
        socket.set_option(tcp::no_delay(true));
        ws_.handshake("127.0.0.1", "/ws");
    }

    void send(const json::value& message) { ws_.write(net::buffer(json::serialize(message))); }

    // The next message, or nothing when the server closed the connection (close_code() says
    // how). Fails the test when nothing comes within kPatience.
    std::optional<json::object> read() {
        buffer_.clear();
        std::optional<beast::error_code> result;
        ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) { result = ec; });
        ioc_.restart();
        ioc_.run_for(kPatience);
        if (!result) {
            ADD_FAILURE() << "no message within the test's patience";
            beast::get_lowest_layer(ws_).close();
            ioc_.restart();
            ioc_.run();
            return std::nullopt;
        }
        if (*result) return std::nullopt;
        return json::parse(beast::buffers_to_string(buffer_.data())).as_object();
    }

    // The next message of `type`, skipping others (metrics may come at any time).
    std::optional<json::object> read(std::string_view type) {
        while (auto message = read()) {
            if (message->at("type").as_string() == type) return message;
        }
        return std::nullopt;
    }

    json::object auth(std::string_view mode = "viewer") {
        send({{"type", "auth"},
              {"data",
               {{"userId", "alice"}, {"appId", "shop"}, {"token", "test"}, {"mode", mode}}}});
        auto reply = read("auth_success");
        EXPECT_TRUE(reply.has_value());
        return reply.value_or(json::object{});
    }

    // Sends `messages` as one `logs` message and waits for its acknowledgement.
    void produce(const std::vector<std::string>& messages) {
        json::array logs;
        for (const auto& m : messages)
            logs.push_back(json::object{{"level", "info"}, {"message", m}});
        send({{"type", "logs"}, {"ref", ++refs_}, {"data", {{"logs", std::move(logs)}}}});
        auto ack = read("logs_ack");
        ASSERT_TRUE(ack.has_value());
        EXPECT_EQ(ack->at("payload").at("accepted").to_number<std::size_t>(), messages.size());
    }

    websocket::close_reason close_reason() const { return ws_.reason(); }

private:
    net::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_{ioc_};
    beast::flat_buffer buffer_;
    std::int64_t refs_ = 0;
};

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
    Client client(server.port());
    for (int i = 0; i < 11; ++i) client.send({{"type", "filter"}});
    int refused = 0;
    while (auto message = client.read()) {
        EXPECT_EQ(message->at("type").as_string(), "error");
        EXPECT_EQ(message->at("payload").at("code").as_string(), "unauthenticated");
        ++refused;
    }
    EXPECT_EQ(refused, 11) << "ten refusals, then the eleventh's with the close";
    EXPECT_EQ(client.close_reason().code, websocket::close_code::policy_error);
}

TEST(WsSession, HistoryMeetsLiveWithNoEntryTwiceAndNoneMissing) {
    // The batch stays pending until it is full: the history answer is given while it waits.
    LiveServer server(config_with([](Settings& s) {
        s.batch_max_entries = 5;
        s.batch_max_delay = std::chrono::milliseconds(60'000);
    }));
    Client producer(server.port());
    producer.auth("producer");
    Client viewer(server.port());
    viewer.auth();

    producer.produce({"a", "b"});
    viewer.send({{"type", "request_history"}});
    auto history = viewer.read("logs");
    ASSERT_TRUE(history.has_value());
    EXPECT_TRUE(history->at("history").as_bool());
    EXPECT_EQ(messages_of(history->at("payload").as_array()), (std::vector<std::string>{"a", "b"}))
        << "the pending batch is part of the history";

    producer.produce({"c", "d", "e"});  // fills the batch: a, b, c, d, e leave together
    auto live = viewer.read("logs");
    ASSERT_TRUE(live.has_value());
    EXPECT_FALSE(live->contains("history"));
    EXPECT_EQ(messages_of(live->at("payload").as_array()),
              (std::vector<std::string>{"c", "d", "e"}));
}

TEST(WsSession, AViewerThatFellBehindIsToldHowManyItMissedThenGetsLiveEntriesAgain) {
    LiveServer server(config_with([](Settings& s) {
        s.max_outbound_bytes = 64 << 10;
        s.batch_max_entries = 16;
    }));
    Client producer(server.port());
    producer.auth("producer");
    Client viewer(server.port(), 4096);
    viewer.auth();

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
        producer.produce(batch);
    }

    std::size_t received = 0;
    std::string last_id;
    std::optional<json::object> dropped;
    while (!dropped) {
        auto message = viewer.read();
        ASSERT_TRUE(message.has_value());
        if (message->at("type").as_string() == "dropped") {
            dropped = message;
        } else if (message->at("type").as_string() == "logs") {
            const auto& entries = message->at("payload").as_array();
            received += entries.size();
            last_id = std::string(entries.back().at("id").as_string());
        }
    }
    const auto missed = dropped->at("payload").at("count").to_number<std::size_t>();
    EXPECT_GT(missed, 0u);
    EXPECT_EQ(received + missed, std::size_t{kBatches} * kPerBatch)
        << "every entry arrived or was counted";
    EXPECT_EQ(dropped->at("payload").at("afterId").as_string(), last_id);

    std::vector<std::string> after(kPerBatch, "after catching up");
    producer.produce(after);
    auto live = viewer.read("logs");
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(messages_of(live->at("payload").as_array()), after);
}

TEST(WsSession, ShutdownSendsThePendingBatchBeforeClosingWith1001) {
    auto server = std::make_unique<LiveServer>(
        config_with([](Settings& s) { s.batch_max_delay = std::chrono::milliseconds(60'000); }));
    Client producer(server->port());
    producer.auth("producer");
    Client viewer(server->port());
    viewer.auth();
    producer.produce({"last words"});

    server->stop();
    auto live = viewer.read("logs");
    ASSERT_TRUE(live.has_value()) << "the pending batch left before the close";
    EXPECT_EQ(messages_of(live->at("payload").as_array()), std::vector<std::string>{"last words"});
    EXPECT_FALSE(viewer.read().has_value());
    EXPECT_EQ(viewer.close_reason().code, websocket::close_code::going_away);
}

}  // namespace
}  // namespace smartlog::server
