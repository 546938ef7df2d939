// RedisBus against a real redis-server (skipped where none is installed): a batch its producer
// sends again under the same ref is appended once, whichever node it comes through; connection
// counts are summed over nodes and forgotten when a node stops publishing; a producer's metrics
// reach every node following the app.
#include "cluster/redis_bus.hpp"

#include <gtest/gtest.h>

#include <map>

#include "cluster/redis_functions.hpp"
#include "tests/support/redis_process.hpp"

namespace smartlog::cluster {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

struct Recorder final : BusListener {
    void on_bus_entries(const std::string& app, BusEntries b, bool live) override {
        if (!live) return;
        for (auto& e : b.entries) messages[app].push_back(b.user_id + ":" + e.message);
    }
    void on_bus_app_metrics(const std::string& app, const std::string& user, std::string_view m,
                            std::int64_t ts) override {
        metrics[app].push_back(user + " " + std::string(m) + " " + std::to_string(ts));
    }
    void on_bus_cleared(const std::string&, const std::string&, std::int64_t,
                        std::uint64_t) override {}
    void on_bus_reset(const std::string&) override {}
    void on_bus_dropped(const std::string&, std::uint64_t, const std::string&) override {}
    void on_bus_window_lost(const std::string&) override {}
    void on_bus_ready(const std::string&) override {}

    std::map<std::string, std::vector<std::string>> messages;
    std::map<std::string, std::vector<std::string>> metrics;
};

std::vector<protocol::IncomingEntry> entries(std::initializer_list<const char*> messages) {
    std::vector<protocol::IncomingEntry> out;
    for (const char* m : messages) {
        protocol::IncomingEntry e;
        e.index = out.size();
        e.level = "info";
        e.message = m;
        e.timestamp = 1700000000000;
        out.push_back(std::move(e));
    }
    return out;
}

class RedisBusTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::redis_server_path()) GTEST_SKIP() << "redis-server is not installed";
        redis_ = std::make_unique<test::RedisProcess>();
    }
    void TearDown() override {
        // Stopped, not destroyed: their cancelled handlers go with the io_context.
        for (auto& b : buses_) b->stop();
        if (probe_) probe_->stop();
    }

    // A node named `node_id`, once it is connected and follows `apps`.
    RedisBus& node(const std::string& node_id, std::vector<std::string> apps,
                   std::chrono::milliseconds connections_ttl = 15s) {
        RedisBus::Options o;
        o.servers = {parse_redis_url(redis_->url())};
        o.node_id = node_id;
        o.connections_ttl = connections_ttl;
        listeners_.push_back(std::make_unique<Recorder>());
        buses_.push_back(std::make_unique<RedisBus>(ioc_, std::move(o)));
        RedisBus& bus = *buses_.back();
        bus.set_listener(listeners_.back().get());
        bus.start();
        run_until([&] { return bus.available(); }, "connected");
        for (const auto& app : apps) bus.open(app);
        run_until(
            [&] {
                for (const auto& app : apps)
                    if (!bus.ready(app)) return false;
                return true;
            },
            "following its apps");
        return bus;
    }
    Recorder& listener_of(std::size_t i) { return *listeners_[i]; }

    template <class Pred>
    void run_until(Pred pred, const char* what, std::chrono::milliseconds limit = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred()) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "waiting for " << what;
            ioc_.restart();
            ioc_.run_for(5ms);
        }
    }

    // One command on a connection of the test's own; its reply.
    RedisReply command(std::vector<std::string> args) {
        if (!probe_) {
            RedisConnection::Options o;
            o.url = parse_redis_url(redis_->url());
            probe_ = std::make_unique<RedisConnection>(ioc_, o);
            probe_->start();
        }
        run_until([&] { return probe_->ready(); }, "the probe connected");
        std::optional<RedisReply> reply;
        std::vector<std::string_view> views(args.begin(), args.end());
        probe_->command(views, [&](std::error_code, RedisReply r) { reply = std::move(r); });
        run_until([&] { return reply.has_value(); }, "a reply");
        return reply.value_or(RedisReply{});
    }

    // Appends and waits for Redis' answer.
    std::error_code append(RedisBus& bus, const std::string& user,
                           std::vector<protocol::IncomingEntry> batch,
                           std::optional<std::string> ref = std::nullopt) {
        std::optional<std::error_code> result;
        auto done = [&](std::error_code ec, std::string last_id) {
            result = ec;
            last_id_ = std::move(last_id);
        };
        if (ref) {
            RetryKey key{*ref, retry_digest(batch)};
            bus.append_once("shop", user, std::move(key), std::move(batch), done);
        } else {
            bus.append("shop", user, std::move(batch), done);
        }
        run_until([&] { return result.has_value(); }, "the append's answer");
        return result.value_or(std::error_code{});
    }

    net::io_context ioc_;
    std::unique_ptr<test::RedisProcess> redis_;
    std::vector<std::unique_ptr<Recorder>> listeners_;
    std::vector<std::unique_ptr<RedisBus>> buses_;
    std::string last_id_;  // what the last append() answered
    std::unique_ptr<RedisConnection> probe_;
};

TEST_F(RedisBusTest, ABatchSentAgainUnderItsRefIsAppendedOnceWhateverNodeTakesIt) {
    RedisBus& a = node("a", {"shop"});
    RedisBus& b = node("b", {"shop"});
    EXPECT_FALSE(append(a, "alice", entries({"one", "two"}), "\"r1\""));
    const std::string first_last_id = last_id_;
    EXPECT_FALSE(first_last_id.empty());
    // The producer lost the acknowledgement (its node died) and sends it again elsewhere.
    EXPECT_FALSE(append(b, "alice", entries({"one", "two"}), "\"r1\"")) << "acknowledged again";
    EXPECT_EQ(last_id_, first_last_id) << "the ids of the first append";
    // Another batch under the same ref, the same batch of another user, and one without a ref.
    EXPECT_FALSE(append(b, "alice", entries({"three"}), "\"r1\""));
    EXPECT_FALSE(append(a, "bob", entries({"three"}), "\"r1\""));
    EXPECT_FALSE(append(a, "alice", entries({"end"})));
    const std::vector<std::string> expected{"alice:one", "alice:two", "alice:three", "bob:three",
                                            "alice:end"};
    for (std::size_t i = 0; i < 2; ++i) {
        run_until([&] { return listener_of(i).messages["shop"].size() >= expected.size(); },
                  "every batch on both nodes");
        EXPECT_EQ(listener_of(i).messages["shop"], expected) << "node " << i;
    }
    EXPECT_EQ(command({"XLEN", stream_key("shop")}).integer, 4);
    EXPECT_EQ(command({"HGET", meta_key("shop"), "top"}).str, "5");
    // Remembered for about a minute, not for ever.
    const auto ttl = command({"PTTL", retry_key("shop", "alice", "\"r1\"",
                                                retry_digest(entries({"one", "two"})))})
                         .integer;
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 60000);
}

TEST_F(RedisBusTest, ConnectionCountsAreSummedOverNodesAndForgottenWhenANodeStops) {
    RedisBus& a = node("a", {});
    RedisBus& b = node("b", {});
    RedisBus& c = node("c", {}, /*connections_ttl=*/3s);
    auto share = [&](RedisBus& bus, std::uint64_t n) {
        std::optional<std::optional<std::uint64_t>> result;
        bus.share_connections("shop", n,
                              [&](std::optional<std::uint64_t> others) { result = others; });
        run_until([&] { return result.has_value(); }, "the count");
        return result->value_or(999);
    };
    EXPECT_EQ(share(a, 3), 0u);
    EXPECT_EQ(share(b, 2), 3u);
    EXPECT_EQ(share(a, 3), 2u);
    EXPECT_EQ(share(b, 0), 3u) << "b's own count never counts for b";
    EXPECT_EQ(share(a, 3), 0u) << "b took its count back";
    EXPECT_EQ(share(c, 4), 3u);
    EXPECT_EQ(share(a, 3), 4u);
    // c stops publishing (a node that died): once its count expires, a no longer adds it.
    run_until([&] { return share(a, 3) == 0u; }, "c's count to expire", 10s);
    EXPECT_EQ(command({"HLEN", connections_key("shop")}).integer, 1) << "only a's count is left";
}

TEST_F(RedisBusTest, AProducersMetricsReachEveryNodeFollowingTheApp) {
    RedisBus& a = node("a", {"shop"});
    node("b", {"shop"});
    node("c", {"other"});
    std::optional<std::error_code> done;
    a.publish_app_metrics("shop", "alice", R"({"cpu":1})", 42,
                          [&](std::error_code ec) { done = ec; });
    run_until([&] { return done.has_value(); }, "published");
    EXPECT_FALSE(*done);
    for (std::size_t i = 0; i < 2; ++i) {
        run_until([&] { return !listener_of(i).metrics["shop"].empty(); }, "the metrics");
        EXPECT_EQ(listener_of(i).metrics["shop"],
                  (std::vector<std::string>{R"(alice {"cpu":1} 42)"}));
    }
    // A barrier: an append published after the metrics reaches c, which follows another app.
    RedisBus& c = *buses_[2];
    std::optional<std::error_code> appended;
    c.append("other", "bob", entries({"x"}),
             [&](std::error_code ec, std::string) { appended = ec; });
    run_until([&] { return listener_of(2).messages["other"].size() == 1; }, "c's own app");
    EXPECT_TRUE(listener_of(2).metrics.empty()) << "nothing of an app c does not follow";
}

}  // namespace
}  // namespace smartlog::cluster
