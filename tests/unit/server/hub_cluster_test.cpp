// The hub in cluster mode (docs/cluster.md) with a bus the test drives: ingest goes to the bus
// and is acknowledged when the bus answers; histories and live batches come from the bus only;
// history requests wait for the app to be in step; clear goes through the bus.
#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/cluster_id.hpp"
#include "core/errc.hpp"
#include "server/hub.hpp"
#include "tests/unit/server/controlled_store.hpp"
#include "tests/unit/server/incoming_entries.hpp"

namespace smartlog::server {
namespace {

using namespace std::chrono_literals;
using test_support::incoming;

class FakeBus final : public cluster::Bus {
public:
    struct Append {
        std::string app, user;
        std::vector<protocol::IncomingEntry> entries;
        Appended done;
        std::optional<cluster::RetryKey> key;  // append_once
    };
    void set_listener(cluster::BusListener* l) override { listener = l; }
    void open(const std::string& app, std::string_view newest_kept_id) override {
        opened.push_back(app);
        opened_after.emplace_back(newest_kept_id);
    }
    void close(const std::string& app) override { closed.push_back(app); }
    bool ready(const std::string& app) const override { return ready_apps.count(app) > 0; }
    bool ahead(const std::string&, std::string_view id) const override {
        const auto parts = core::parse_cluster_id(id);
        return parts && parts->offset >= next_offset;
    }
    void append(const std::string& app, const std::string& user,
                std::vector<protocol::IncomingEntry> entries, Appended done) override {
        appends.push_back({app, user, std::move(entries), std::move(done), std::nullopt});
    }
    void append_once(const std::string& app, const std::string& user, cluster::RetryKey key,
                     std::vector<protocol::IncomingEntry> entries, Appended done) override {
        appends.push_back({app, user, std::move(entries), std::move(done), std::move(key)});
    }
    void clear(const std::string& app, const std::string& by, std::uint64_t count,
               std::function<void(std::error_code)> done) override {
        clears.push_back({app, by, count});
        clear_done.push_back(std::move(done));
    }
    void publish_app_metrics(const std::string& app, const std::string& user,
                             std::string_view metrics, std::int64_t timestamp,
                             std::function<void(std::error_code)> done) override {
        published.push_back({app, user, std::string(metrics), timestamp});
        publish_done.push_back(std::move(done));
    }
    void share_connections(const std::string& app, std::uint64_t connections,
                           std::function<void(std::optional<std::uint64_t>)> done) override {
        shared.push_back({app, connections});
        share_done.push_back(std::move(done));
    }
    bool available() const override { return true; }
    std::string unavailable_reason() const override { return {}; }
    void stop() override {}

    // Brings `messages` back from Redis at the next offsets, as every node would get them.
    void deliver(const std::string& app, std::vector<std::string> messages, bool live = true) {
        cluster::BusEntries b;
        b.user_id = "producer";
        for (auto& m : messages) {
            protocol::IncomingEntry e;
            e.level = "info";
            e.message = std::move(m);
            e.timestamp = 1000;
            b.entries.push_back(std::move(e));
            b.ids.push_back(core::make_cluster_id({1000, next_offset++, 7}));
        }
        listener->on_bus_entries(app, std::move(b), live);
    }

    cluster::BusListener* listener = nullptr;
    std::vector<std::string> opened, closed;
    std::vector<std::string> opened_after;  // open()'s newest_kept_id, per open
    std::set<std::string> ready_apps;
    std::uint64_t next_offset = 1;
    std::deque<Append> appends;
    struct Clear {
        std::string app, by;
        std::uint64_t count;
    };
    std::vector<Clear> clears;
    std::vector<std::function<void(std::error_code)>> clear_done;
    struct Published {
        std::string app, user, metrics;
        std::int64_t timestamp;
    };
    std::vector<Published> published;
    std::vector<std::function<void(std::error_code)>> publish_done;
    std::vector<std::pair<std::string, std::uint64_t>> shared;
    std::vector<std::function<void(std::optional<std::uint64_t>)>> share_done;
};

class Recorder final : public Subscriber {
public:
    explicit Recorder(bool live = true) : live_(live) {}
    bool receives_live() const noexcept override { return live_; }
    std::size_t offer_batch(std::span<const core::EntryPtr> batch, const SharedFrame&) override {
        for (const auto& e : batch) messages.push_back(e->message());
        return batch.size();
    }
    void offer_frame(const SharedFrame& frame, FrameKind kind) override {
        (kind == FrameKind::notice ? notices : frames).push_back(*frame);
    }
    std::vector<std::string> messages;
    std::vector<std::string> notices;
    std::vector<std::string> frames;  // shared live data: metrics, app_metrics

private:
    bool live_;
};

class HubClusterTest : public ::testing::Test {
protected:
    HubClusterTest() {
        settings.batch_max_entries = 2;
        hub.set_bus(&bus);
    }

    net::io_context ioc;
    Settings settings;
    test_support::ControlledStore store;
    core::ManualClock clock;
    Hub hub{ioc, settings, store, clock};
    FakeBus bus;
};

TEST_F(HubClusterTest, IngestGoesToTheBusAndIsAcknowledgedWhenItAnswers) {
    AppChannel& app = hub.channel("shop");
    EXPECT_EQ(bus.opened, (std::vector<std::string>{"shop"})) << "followed from its first use";
    Recorder viewer;
    hub.join(app, viewer);
    std::error_code acked = core::make_error_code(core::errc::bad_request);
    hub.ingest(app, "alice", incoming({"one", "two"}), [&](std::error_code ec) { acked = ec; });

    ASSERT_EQ(bus.appends.size(), 1u);
    EXPECT_EQ(bus.appends[0].user, "alice");
    EXPECT_TRUE(bus.appends[0].entries[0].timestamp.has_value()) << "the receive time is set";
    EXPECT_EQ(app.history.size(), 0u) << "kept only when the bus brings it back";
    EXPECT_TRUE(viewer.messages.empty());
    EXPECT_EQ(acked, core::errc::bad_request) << "not acknowledged before Redis answers";
    bus.appends[0].done({}, core::make_cluster_id({1000, 2, 7}));
    EXPECT_FALSE(acked);

    bus.deliver("shop", {"one", "two"});
    EXPECT_EQ(viewer.messages, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(app.history.size(), 2u);
    EXPECT_EQ(app.ingested, 2u) << "counted from the bus";
    ASSERT_EQ(store.appended.size(), 1u) << "the node's own store gets what the bus delivered";
    EXPECT_EQ(store.appended[0].size(), 2u);
}

TEST_F(HubClusterTest, RedisRefusingIsTheProducersError) {
    AppChannel& app = hub.channel("shop");
    std::error_code acked;
    hub.ingest(app, "alice", incoming({"x"}), [&](std::error_code ec) { acked = ec; });
    bus.appends[0].done(core::make_error_code(core::errc::unavailable), {});
    EXPECT_EQ(acked, core::errc::unavailable);
    EXPECT_EQ(app.history.size(), 0u);
}

TEST_F(HubClusterTest, SyncAcknowledgesOnceThisNodeCommittedWhatRedisAppended) {
    settings.durability = Durability::sync;
    AppChannel& app = hub.channel("shop");
    std::optional<std::error_code> acked;
    hub.ingest(app, "alice", incoming({"one", "two"}), [&](std::error_code ec) { acked = ec; });
    bus.appends[0].done({}, core::make_cluster_id({1000, 2, 7}));
    EXPECT_FALSE(acked) << "Redis has them, this node has not committed them";

    bus.deliver("shop", {"one"});
    store.complete_next();
    ioc.poll();
    ioc.restart();
    EXPECT_FALSE(acked) << "only the first of the two is committed";
    bus.deliver("shop", {"two"});
    store.complete_next();
    ioc.poll();
    ASSERT_TRUE(acked);
    EXPECT_FALSE(*acked);
}

TEST_F(HubClusterTest, SyncAcknowledgesAtOnceWhatWasCommittedBeforeRedisAnswered) {
    settings.durability = Durability::sync;
    AppChannel& app = hub.channel("shop");
    std::optional<std::error_code> acked;
    hub.ingest(app, "alice", incoming({"one"}), [&](std::error_code ec) { acked = ec; });
    // The bus message can overtake the command's reply: they come on two connections.
    bus.deliver("shop", {"one"});
    store.complete_next();
    ioc.poll();
    bus.appends[0].done({}, core::make_cluster_id({1000, 1, 7}));
    ASSERT_TRUE(acked);
    EXPECT_FALSE(*acked);
}

TEST_F(HubClusterTest, SyncFailsTheWaitWhenRedisLostTheEntries) {
    settings.durability = Durability::sync;
    AppChannel& app = hub.channel("shop");
    std::optional<std::error_code> acked;
    hub.ingest(app, "alice", incoming({"one"}), [&](std::error_code ec) { acked = ec; });
    bus.appends[0].done({}, core::make_cluster_id({1000, 1, 7}));
    bus.listener->on_bus_reset("shop");
    ASSERT_TRUE(acked);
    EXPECT_EQ(*acked, core::errc::unavailable) << "retryable: the producer sends them again";
}

TEST_F(HubClusterTest, TheFirstFillIsHistoryAndStorageNotLive) {
    AppChannel& app = hub.channel("shop");
    Recorder viewer;
    hub.join(app, viewer);
    bus.deliver("shop", {"old1", "old2"}, /*live=*/false);
    EXPECT_TRUE(viewer.messages.empty());
    EXPECT_EQ(app.history.size(), 2u);
    ASSERT_EQ(store.appended.size(), 1u) << "each node's storage follows what the bus brings";
    EXPECT_EQ(store.appended[0].size(), 2u);
}

TEST_F(HubClusterTest, HistoryWaitsUntilTheAppIsInStepAndHoldsTheResumedId) {
    AppChannel& app = hub.channel("shop");
    EXPECT_FALSE(hub.history_ready(app, std::nullopt));
    int answered = 0;
    hub.when_history_ready(app, std::nullopt, [&] { ++answered; });
    bus.ready_apps.insert("shop");
    bus.listener->on_bus_ready("shop");
    EXPECT_EQ(answered, 1);

    // An id this node has not received yet (the viewer came from a node ahead of it).
    const std::string ahead = core::make_cluster_id({1000, 2, 7});
    EXPECT_FALSE(hub.history_ready(app, ahead));
    hub.when_history_ready(app, ahead, [&] { ++answered; });
    bus.deliver("shop", {"first"});
    EXPECT_EQ(answered, 1) << "offset 2 not here yet";
    bus.deliver("shop", {"second"});
    EXPECT_EQ(answered, 2);
}

TEST_F(HubClusterTest, ClearGoesThroughTheBusAndEmptiesWhenItComesBack) {
    AppChannel& app = hub.channel("shop");
    Recorder viewer, producer(/*live=*/false);
    hub.join(app, viewer);
    hub.join(app, producer);
    bus.deliver("shop", {"a", "b", "c"});
    hub.flush(app);
    EXPECT_EQ(hub.clear(app, "alice", producer), 3u);
    ASSERT_EQ(bus.clears.size(), 1u);
    EXPECT_EQ(bus.clears[0].count, 3u);
    EXPECT_EQ(app.history.size(), 3u) << "nothing forgotten before Redis has a new epoch";

    bus.listener->on_bus_cleared("shop", "alice", 5000, 3);
    EXPECT_EQ(app.history.size(), 0u);
    ASSERT_EQ(viewer.notices.size(), 1u);
    EXPECT_NE(viewer.notices[0].find("\"clearedBy\":\"alice\""), std::string::npos);
    ASSERT_EQ(producer.notices.size(), 1u) << "the requester hears it though it takes no live data";
}

TEST_F(HubClusterTest, AClearRedisRefusesIsTheRequestersError) {
    AppChannel& app = hub.channel("shop");
    Recorder viewer;
    hub.join(app, viewer);
    std::error_code failed;
    hub.clear(app, "alice", viewer, [&](std::error_code ec) { failed = ec; });
    bus.clear_done[0](core::make_error_code(core::errc::unavailable));
    EXPECT_EQ(failed, core::errc::unavailable);
}

core::EntryPtr stored_entry(const std::string& id, const char* message) {
    return core::make_entry({.id = id,
                             .timestamp = 1000,
                             .level = "info",
                             .message = message,
                             .app_id = "shop",
                             .user_id = "producer"});
}

TEST_F(HubClusterTest, RestoreLoadsTheStoredWindowAndTheBusTakesOverAfterIt) {
    const std::string first = core::make_cluster_id({1000, 1, 7});
    const std::string second = core::make_cluster_id({1000, 2, 7});
    store.recent.push_back({"shop", {stored_entry(first, "a"), stored_entry(second, "b")}});
    EXPECT_EQ(hub.restore(100), 2u);
    ASSERT_EQ(bus.opened, std::vector<std::string>{"shop"});
    EXPECT_EQ(bus.opened_after[0], second) << "Redis is asked only for what came after";
    AppChannel* app = hub.find("shop");
    ASSERT_NE(app, nullptr);
    EXPECT_EQ(app->history.size(), 2u);

    // An app opened later (a viewer's first use) has nothing restored to go on.
    hub.channel("other");
    EXPECT_EQ(bus.opened_after.back(), "");
}

TEST_F(HubClusterTest, AWindowLostWhileDownEmptiesTheHistoryButKeepsTheStoredRows) {
    store.recent.push_back({"shop", {stored_entry(core::make_cluster_id({1000, 1, 7}), "a")}});
    hub.restore(100);
    bus.listener->on_bus_window_lost("shop");
    EXPECT_EQ(hub.find("shop")->history.size(), 0u);
    EXPECT_TRUE(store.cleared.empty());
}

TEST_F(HubClusterTest, EntriesTrimmedBeforeThisNodeReadThemAreAnnouncedBetweenTheirNeighbours) {
    AppChannel& app = hub.channel("shop");
    Recorder viewer;
    hub.join(app, viewer);
    bus.deliver("shop", {"before"});  // waits in the live batch (batch_max_entries = 2)
    EXPECT_TRUE(viewer.messages.empty());
    bus.listener->on_bus_dropped("shop", 7, "the-last-id");
    EXPECT_EQ(viewer.messages, (std::vector<std::string>{"before"})) << "sent before the notice";
    ASSERT_EQ(viewer.notices.size(), 1u);
    EXPECT_NE(viewer.notices[0].find("\"type\":\"dropped\""), std::string::npos);
    EXPECT_NE(viewer.notices[0].find("\"count\":7"), std::string::npos);
    EXPECT_NE(viewer.notices[0].find("\"afterId\":\"the-last-id\""), std::string::npos);
    bus.deliver("shop", {"after1", "after2"});
    EXPECT_EQ(viewer.messages, (std::vector<std::string>{"before", "after1", "after2"}));

    bus.listener->on_bus_dropped("shop", 3, "");
    ASSERT_EQ(viewer.notices.size(), 2u);
    EXPECT_NE(viewer.notices[1].find("\"afterId\":null"), std::string::npos);
}

TEST_F(HubClusterTest, AResetEmptiesTheHistoryAndTellsTheViewers) {
    AppChannel& app = hub.channel("shop");
    Recorder viewer;
    hub.join(app, viewer);
    bus.deliver("shop", {"a", "b", "c"});
    bus.listener->on_bus_reset("shop");
    EXPECT_EQ(viewer.messages, (std::vector<std::string>{"a", "b", "c"})) << "sent first";
    EXPECT_EQ(app.history.size(), 0u);
    ASSERT_EQ(viewer.notices.size(), 1u);
    EXPECT_NE(viewer.notices[0].find("\"type\":\"cleared\""), std::string::npos);
    EXPECT_NE(viewer.notices[0].find("\"clearedBy\":\"\""), std::string::npos);
    EXPECT_NE(viewer.notices[0].find("\"count\":3"), std::string::npos);
}

TEST_F(HubClusterTest, ANamedBatchIsAppendedOnceWithItsRefAndADigestOfWhatWasSent) {
    AppChannel& app = hub.channel("shop");
    std::vector<std::error_code> acks;
    auto batch = incoming({"one", "two"});
    batch[1].timestamp = 1234;
    hub.ingest_once(app, "alice", "\"r1\"", batch, [&](std::error_code ec) { acks.push_back(ec); });
    clock.advance(5000);
    // The same batch again, later (its first entry gets another receive time).
    hub.ingest_once(app, "alice", "\"r1\"", batch, [&](std::error_code ec) { acks.push_back(ec); });
    ASSERT_EQ(bus.appends.size(), 2u);
    ASSERT_TRUE(bus.appends[0].key && bus.appends[1].key);
    EXPECT_EQ(bus.appends[0].key->ref, "\"r1\"");
    EXPECT_EQ(bus.appends[0].key->digest, cluster::retry_digest(batch));
    EXPECT_EQ(bus.appends[1].key->digest, bus.appends[0].key->digest)
        << "the receive time is not part of what the producer sent";
    EXPECT_NE(bus.appends[0].entries[0].timestamp, bus.appends[1].entries[0].timestamp);
    EXPECT_EQ(bus.appends[0].entries[1].timestamp, 1234);
    bus.appends[0].done({}, {});
    bus.appends[1].done({}, {});
    EXPECT_EQ(acks, (std::vector<std::error_code>{{}, {}}));

    // Without a ref there is nothing to know a retry by.
    hub.ingest_once(app, "alice", "", incoming({"x"}), [](std::error_code) {});
    ASSERT_EQ(bus.appends.size(), 3u);
    EXPECT_FALSE(bus.appends[2].key);
}

TEST_F(HubClusterTest, ProducerMetricsGoOverTheBusAndReachTheViewersWhenTheyComeBack) {
    AppChannel& app = hub.channel("shop");
    Recorder viewer;
    hub.join(app, viewer);
    hub.send_app_metrics(app, "alice", R"({"cpu":3})", 777);
    ASSERT_EQ(bus.published.size(), 1u);
    EXPECT_EQ(bus.published[0].metrics, R"({"cpu":3})");
    EXPECT_EQ(bus.published[0].timestamp, 777);
    EXPECT_TRUE(viewer.frames.empty()) << "delivered from the bus, as on every other node";
    bus.publish_done[0]({});
    EXPECT_TRUE(viewer.frames.empty());

    bus.listener->on_bus_app_metrics("shop", "alice", R"({"cpu":3})", 777);
    ASSERT_EQ(viewer.frames.size(), 1u);
    EXPECT_NE(viewer.frames[0].find(R"("type":"app_metrics")"), std::string::npos);
    EXPECT_NE(viewer.frames[0].find(R"("metrics":{"cpu":3})"), std::string::npos);

    // Redis cannot take them: this node's viewers get them all the same.
    hub.send_app_metrics(app, "alice", R"({"cpu":4})", 778);
    bus.publish_done[1](core::make_error_code(core::errc::unavailable));
    ASSERT_EQ(viewer.frames.size(), 2u);
    EXPECT_NE(viewer.frames[1].find(R"("metrics":{"cpu":4})"), std::string::npos);
}

TEST_F(HubClusterTest, ConnectionCountsAreSharedAndTheOtherNodesAreAdded) {
    AppChannel& shop = hub.channel("shop");
    hub.channel("quiet");
    Recorder a, b;
    hub.join(shop, a);
    hub.join(shop, b);
    hub.share_connection_counts();
    ASSERT_EQ(bus.shared.size(), 1u) << "an app with no connection anywhere costs no call";
    EXPECT_EQ(bus.shared[0], (std::pair<std::string, std::uint64_t>{"shop", 2}));
    bus.share_done[0](5);
    EXPECT_EQ(shop.other_nodes_connections, 5u);

    // Gone from this node: its count is taken back once, then nothing more is sent.
    hub.leave(shop, a);
    hub.leave(shop, b);
    hub.share_connection_counts();
    ASSERT_EQ(bus.shared.size(), 2u);
    EXPECT_EQ(bus.shared[1].second, 0u);
    hub.share_connection_counts();
    EXPECT_EQ(bus.shared.size(), 2u);
    // Redis did not answer: the other nodes are not counted rather than counted wrong forever.
    bus.share_done[1](std::nullopt);
    EXPECT_EQ(shop.other_nodes_connections, 0u);
}

}  // namespace
}  // namespace smartlog::server
