// smartlog::Client and the spdlog sink against the real smartlogd, including a server restart.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <map>
#include <mutex>
#include <smartlog/client.hpp>
#include <smartlog/spdlog_sink.hpp>

#include "proxy.hpp"
#include "support.hpp"

namespace smartlog::test {
namespace {

ClientOptions options_for(const Server& s, Mode mode) {
    ClientOptions o;
    o.url = s.url();
    o.user_id = "alice";
    o.app_id = "shop";
    o.mode = mode;
    // Short and deterministic enough for a test: the restart below takes well under a second.
    o.reconnect_initial = std::chrono::milliseconds(20);
    o.reconnect_max = std::chrono::milliseconds(200);
    o.batch_max_delay = std::chrono::milliseconds(5);
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.close_timeout = std::chrono::milliseconds(2000);
    return o;
}

// Collects what a viewer receives, live or resumed.
class Recorder {
public:
    // Declare the Recorder before the Client, so it outlives the client's callbacks.
    void attach(Client& c) {
        c.on_logs([this](const std::vector<LogEntry>& entries) {
            std::lock_guard lock(mu_);
            for (const auto& e : entries) entries_.push_back(e);
        });
        c.on_dropped([this](const Dropped& d) {
            std::lock_guard lock(mu_);
            dropped_.push_back(d);
        });
    }
    std::size_t size() const {
        std::lock_guard lock(mu_);
        return entries_.size();
    }
    std::vector<LogEntry> entries() const {
        std::lock_guard lock(mu_);
        return entries_;
    }
    std::vector<Dropped> dropped() const {
        std::lock_guard lock(mu_);
        return dropped_;
    }

private:
    mutable std::mutex mu_;
    std::vector<LogEntry> entries_;
    std::vector<Dropped> dropped_;
};

std::map<std::string, int> count_messages(const std::vector<LogEntry>& entries,
                                          const std::string& prefix) {
    std::map<std::string, int> counts;
    for (const auto& e : entries) {
        if (e.message.rfind(prefix, 0) == 0) ++counts[e.message];
    }
    return counts;
}

// Whether more is still coming cannot be seen by waiting: the producer logs `marker` after
// everything else and the viewer waits for it. Per app the server delivers in order, so once the
// marker is in, whatever was sent before it (a duplicate included) is in too.
void send_and_await_marker(Client& producer, const Recorder& seen, const std::string& marker) {
    ASSERT_TRUE(producer.log("info", marker));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    ASSERT_TRUE(eventually([&] {
        for (const auto& e : seen.entries())
            if (e.message == marker) return true;
        return false;
    })) << "the marker never arrived";
}

// Everything before the marker (which must be the last entry, and only once).
std::vector<LogEntry> before_marker(std::vector<LogEntry> entries, const std::string& marker) {
    EXPECT_FALSE(entries.empty());
    if (entries.empty()) return entries;
    EXPECT_EQ(entries.back().message, marker) << "nothing may follow the marker";
    entries.pop_back();
    return entries;
}

// The library keeps producing while the server is down; after the restart every entry queued
// within the bound arrives exactly once, in order, as a live viewer counts them. `durability`
// decides whether the server's history survives the restart, and so whether the viewer's resume
// finds its last id (no gap) or not (a gap it reports).
void restart_scenario(const std::string& durability, bool history_survives) {
    // History must hold everything sent after the restart, whichever client reconnects first.
    Server server({"--history-limit", "5000", "--durability", durability});
    Recorder seen;
    Client viewer(options_for(server, Mode::viewer));
    seen.attach(viewer);
    viewer.start();
    ASSERT_EQ(viewer.wait_ready(10s), ConnectionState::ready);

    auto producer_options = options_for(server, Mode::producer);
    producer_options.max_queued_entries = 1000;
    std::atomic<std::uint64_t> reported_drops{0};
    Client producer(producer_options);
    producer.on_dropped([&](const Dropped& d) {
        if (d.kind == Dropped::Kind::local_queue) reported_drops += d.count;
    });
    producer.start();
    ASSERT_EQ(producer.wait_ready(10s), ConnectionState::ready);

    for (int i = 0; i < 100; ++i) ASSERT_TRUE(producer.log("info", "before " + std::to_string(i)));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    ASSERT_TRUE(eventually([&] { return seen.size() == 100; })) << seen.size();

    server.stop();
    ASSERT_TRUE(eventually([&] { return producer.state() != ConnectionState::ready; }));
    // The server is down: log() still returns, queues up to the bound and refuses past it.
    // (That these calls return at all, with the server not restarted until after them, shows
    // that log() does not wait on the network.)
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(producer.log("warn", "during " + std::to_string(i)));
    for (int i = 0; i < 150; ++i)
        EXPECT_FALSE(producer.log("warn", "over the bound " + std::to_string(i)));
    EXPECT_EQ(producer.stats().dropped, 150u);
    EXPECT_EQ(producer.stats().queued, 1000u);

    server.restart();
    ASSERT_TRUE(producer.wait_acknowledged(20s)) << producer.stats().queued;
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(producer.log("error", "after " + std::to_string(i)));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    ASSERT_NO_FATAL_FAILURE(send_and_await_marker(producer, seen, "end"));

    const auto entries = before_marker(seen.entries(), "end");
    ASSERT_EQ(entries.size(), 100u + 1000u + 50u);
    const auto before = count_messages(entries, "before ");
    const auto during = count_messages(entries, "during ");
    const auto after = count_messages(entries, "after ");
    EXPECT_EQ(before.size(), 100u);
    EXPECT_EQ(during.size(), 1000u);
    EXPECT_EQ(after.size(), 50u);
    for (const auto* m : {&before, &during, &after}) {
        for (const auto& [message, n] : *m) EXPECT_EQ(n, 1) << message;
    }
    EXPECT_TRUE(count_messages(entries, "over the bound").empty());
    // Order is kept across the restart, and ids keep increasing.
    int next = 0;
    for (const auto& e : entries) {
        if (e.message.rfind("during ", 0) == 0) {
            EXPECT_EQ(e.message, "during " + std::to_string(next++));
        }
    }
    for (std::size_t i = 1; i < entries.size(); ++i) EXPECT_LT(entries[i - 1].id, entries[i].id);
    EXPECT_TRUE(eventually([&] { return reported_drops.load() == 150u; })) << reported_drops.load();
    EXPECT_EQ(producer.stats().acked, 100u + 1000u + 50u + 1u);
    EXPECT_EQ(producer.stats().resent, 0u) << "nothing was in flight when the server stopped";
    EXPECT_GE(producer.stats().reconnects, 1u);
    // The viewer resumed from its last id: a server without history no longer knows it, and the
    // viewer says so; a server with history answers exactly what came after it.
    bool gap_reported = false;
    for (const auto& d : seen.dropped()) gap_reported |= d.kind == Dropped::Kind::resume_gap;
    EXPECT_EQ(gap_reported, !history_survives);
}

TEST(Client, KeepsProducingThroughAServerRestartAndDeliversEachQueuedEntryExactlyOnce) {
    restart_scenario("memory", false);
}

TEST(Client, KeepsProducingThroughARestartOfAServerWithStorageAndResumesWithoutGap) {
    restart_scenario("batch", true);
}

TEST(Client, ViewerResumesAfterALostConnectionWithNoGapAndNoDuplicate) {
    Server server({"--history-limit", "10000"});
    Proxy proxy(server.port());
    auto viewer_options = options_for(server, Mode::viewer);
    viewer_options.url = proxy.url();
    Recorder seen;
    Client viewer(viewer_options);
    seen.attach(viewer);
    viewer.start();
    ASSERT_EQ(viewer.wait_ready(10s), ConnectionState::ready);
    Client producer(options_for(server, Mode::producer));
    producer.start();
    ASSERT_EQ(producer.wait_ready(10s), ConnectionState::ready);

    for (int i = 0; i < 200; ++i) producer.log("info", "m " + std::to_string(i));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    ASSERT_TRUE(eventually([&] { return seen.size() == 200; }));
    // The viewer hears nothing more, then loses its connection: it comes back through the
    // proxy, fetches what it missed by afterId, then continues live.
    proxy.deafen();
    for (int i = 200; i < 500; ++i) producer.log("info", "m " + std::to_string(i));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    proxy.cut();
    ASSERT_TRUE(eventually([&] { return seen.size() >= 500; })) << seen.size();
    for (int i = 500; i < 600; ++i) producer.log("info", "m " + std::to_string(i));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    ASSERT_NO_FATAL_FAILURE(send_and_await_marker(producer, seen, "end"));

    const auto entries = before_marker(seen.entries(), "end");
    ASSERT_EQ(entries.size(), 600u);
    for (int i = 0; i < 600; ++i) EXPECT_EQ(entries[i].message, "m " + std::to_string(i));
    EXPECT_TRUE(seen.dropped().empty()) << "the server still had every missed entry";
}

// The guarantee for a batch in flight when the connection drops is at-least-once: the server
// stored it, the ack was lost, so the client cannot know and sends it again (docs/client.md).
TEST(Client, ResendsABatchWhoseAckWasLostSoItMayBeStoredTwice) {
    Server server;
    Proxy proxy(server.port());
    Recorder seen;
    Client viewer(options_for(server, Mode::viewer));
    seen.attach(viewer);
    viewer.start();
    ASSERT_EQ(viewer.wait_ready(10s), ConnectionState::ready);
    auto producer_options = options_for(server, Mode::producer);
    producer_options.url = proxy.url();
    Client producer(producer_options);
    producer.start();
    ASSERT_EQ(producer.wait_ready(10s), ConnectionState::ready);

    for (int i = 0; i < 10; ++i) producer.log("info", "acked " + std::to_string(i));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    proxy.deafen();
    for (int i = 0; i < 5; ++i) producer.log("info", "ack lost " + std::to_string(i));
    producer.flush();
    ASSERT_TRUE(eventually([&] { return seen.size() == 15; })) << "the server stored them";
    EXPECT_EQ(producer.stats().queued, 5u) << "but their ack never arrived";
    proxy.cut();
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    ASSERT_NO_FATAL_FAILURE(send_and_await_marker(producer, seen, "end"));

    const auto entries = before_marker(seen.entries(), "end");
    EXPECT_EQ(entries.size(), 20u);
    for (const auto& [message, n] : count_messages(entries, "acked ")) EXPECT_EQ(n, 1) << message;
    for (const auto& [message, n] : count_messages(entries, "ack lost "))
        EXPECT_EQ(n, 2) << message;
    EXPECT_EQ(producer.stats().resent, 5u);
}

// Handlers left in the stopped io_context (a cancelled flush timer, a cancelled reconnection)
// must not hold the client: destroying it frees everything at once, with no loop run to drain
// them. A token captured by a callback shows whether the client's state was freed.
TEST(Client, DestroyingAStoppedClientFreesItWhileItsTimersAreStillQueued) {
    Server server;
    auto o = options_for(server, Mode::producer);
    o.batch_max_delay = std::chrono::hours(1);    // the flush timer is armed and stays so
    o.reconnect_initial = std::chrono::hours(1);  // the reconnection waits when we close
    o.reconnect_max = std::chrono::hours(1);
    o.close_timeout = std::chrono::milliseconds(1);
    auto token = std::make_shared<int>(0);
    {
        Client producer(o);
        producer.on_state([token](ConnectionState, const std::string&) {});
        producer.start();
        ASSERT_EQ(producer.wait_ready(10s), ConnectionState::ready);
        ASSERT_TRUE(producer.log("info", "waits for the batch delay"));
        server.stop();
        ASSERT_TRUE(eventually([&] { return producer.state() == ConnectionState::disconnected; }));
        EXPECT_EQ(token.use_count(), 2);
    }
    EXPECT_EQ(token.use_count(), 1) << "something queued in the io_context kept the client";
}

TEST(Client, StopsOnRefusedCredentialsAndSaysWhy) {
    Server server({}, R"(
[[apps]]
id = "shop"
[[users]]
id = "alice"
token_sha256 = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
apps = { shop = ["read", "write"] }
)");
    auto o = options_for(server, Mode::viewer);
    o.token = "wrong";
    Client c(o);
    c.start();
    EXPECT_EQ(c.wait_ready(10s), ConnectionState::auth_failed);
    EXPECT_FALSE(c.last_error().empty());
}

TEST(SpdlogSink, DeliversALoggersLinesWithTheirLevelsAndLoggerName) {
    Server server;
    Recorder seen;
    Client viewer(options_for(server, Mode::viewer));
    seen.attach(viewer);
    viewer.start();
    ASSERT_EQ(viewer.wait_ready(10s), ConnectionState::ready);

    auto client = std::make_shared<Client>(options_for(server, Mode::producer));
    client->start();
    auto sink = std::make_shared<spdlog_sink_mt>(client);
    spdlog::logger logger("checkout", sink);
    logger.set_level(spdlog::level::trace);
    logger.trace("t {}", 1);
    logger.debug("d {}", 2);
    logger.info("i {}", 3);
    logger.warn("w {}", 4);
    logger.error("e {}", 5);
    logger.critical("c {}", 6);
    logger.flush();
    ASSERT_TRUE(client->wait_acknowledged(10s));
    ASSERT_TRUE(eventually([&] { return seen.size() == 6; })) << seen.size();

    const auto entries = seen.entries();
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"trace", "t 1"}, {"debug", "d 2"}, {"info", "i 3"},
        {"warn", "w 4"},  {"error", "e 5"}, {"fatal", "c 6"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(entries[i].level, expected[i].first);
        EXPECT_EQ(entries[i].message, expected[i].second);
        auto metadata = boost::json::parse(entries[i].metadata).as_object();
        EXPECT_EQ(metadata.at("logger").as_string(), "checkout");
    }
    EXPECT_EQ(sink->refused(), 0u);
}

}  // namespace
}  // namespace smartlog::test
