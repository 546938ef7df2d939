// The hub's rules, with recording subscribers, a manual clock and a store that answers when the
// test says so: batching, fan-out, ordering and isolation per app, history before live, clear,
// durability and backpressure. No socket, no waiting for time to pass.
#include "server/hub.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "core/level.hpp"
#include "protocol/encode.hpp"
#include "tests/unit/server/controlled_store.hpp"
#include "tests/unit/server/incoming_entries.hpp"

namespace smartlog::server {
namespace {

using namespace std::chrono_literals;
using test_support::incoming;

// Records what the hub offers it, as a session would be offered it.
class RecordingSubscriber final : public Subscriber {
public:
    explicit RecordingSubscriber(bool live = true) : live_(live) {}

    bool receives_live() const noexcept override { return live_; }
    std::size_t offer_batch(std::span<const core::EntryPtr> batch,
                            const SharedFrame& frame) override {
        batches.emplace_back(batch.begin(), batch.end());
        frames.push_back(frame);
        if (on_batch) on_batch(batch);
        return batch.size();
    }
    void offer_frame(const SharedFrame& frame, FrameKind kind) override {
        (kind == FrameKind::notice ? notices : shared).push_back(frame);
    }

    // Messages of every entry offered, in the order offered.
    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (const auto& batch : batches) {
            for (const auto& e : batch) out.push_back(e->message());
        }
        return out;
    }

    std::vector<std::vector<core::EntryPtr>> batches;
    std::vector<SharedFrame> frames;
    std::vector<SharedFrame> shared;
    std::vector<SharedFrame> notices;
    std::function<void(std::span<const core::EntryPtr>)> on_batch;

private:
    bool live_;
};

class HubTest : public ::testing::Test {
protected:
    HubTest() {
        settings.batch_max_entries = 3;
        settings.batch_max_delay = 20ms;
    }

    Hub& hub() {
        if (!hub_) hub_ = std::make_unique<Hub>(ioc, settings, store, clock);
        return *hub_;
    }
    // Ingests `messages` into `app` and returns whether `done` has run.
    bool ingest(AppChannel& app, std::initializer_list<const char*> messages) {
        bool acked = false;
        hub().ingest(app, "producer", incoming(messages),
                     [&acked](std::error_code) { acked = true; });
        ioc.poll();
        return acked;
    }

    net::io_context ioc;
    Settings settings;
    test_support::ControlledStore store;
    core::ManualClock clock;

private:
    std::unique_ptr<Hub> hub_;
};

TEST_F(HubTest, AFullBatchLeavesAtOnceAsOneSharedFrame) {
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber a, b;
    hub().join(app, a);
    hub().join(app, b);

    ingest(app, {"one", "two"});
    EXPECT_TRUE(a.batches.empty()) << "a batch that is not full waits for its delay";
    ingest(app, {"three"});

    ASSERT_EQ(a.batches.size(), 1u);
    EXPECT_EQ(a.messages(), (std::vector<std::string>{"one", "two", "three"}));
    ASSERT_EQ(b.frames.size(), 1u);
    EXPECT_EQ(a.frames[0], b.frames[0]) << "one frame, serialised once, shared by every viewer";
    EXPECT_NE(a.frames[0]->find("\"three\""), std::string::npos);
    EXPECT_EQ(app.delivered, 6u);
}

TEST_F(HubTest, ALiveFrameStaysWithinOneWrite) {
    // 256 entries of about 1 KiB would be a 256 KiB frame; each frame must fit in the 65,536
    // bytes one write takes, with its 4-byte WebSocket header.
    settings.batch_max_entries = 256;
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber viewer;
    hub().join(app, viewer);
    std::vector<protocol::IncomingEntry> entries(300);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entries[i].level = "info";
        entries[i].message = std::to_string(i) + std::string(1000, 'x');
    }
    hub().ingest(app, "producer", std::move(entries), [](std::error_code) {});
    hub().flush_all();

    ASSERT_GT(viewer.frames.size(), 4u);
    std::size_t next = 0;
    for (std::size_t f = 0; f < viewer.frames.size(); ++f) {
        EXPECT_LE(viewer.frames[f]->size() + 4, 65536u) << "frame " << f;
        EXPECT_EQ(*viewer.frames[f], protocol::logs_frame(viewer.batches[f]));
        if (f + 1 < viewer.frames.size()) {
            // Full: the next batch's first entry would not have fitted.
            EXPECT_GT(viewer.frames[f]->size() + viewer.batches[f + 1][0]->encoded().size() + 1 + 4,
                      65536u);
        }
        for (const auto& e : viewer.batches[f]) {
            EXPECT_EQ(e->message().substr(0, std::to_string(next).size()), std::to_string(next));
            ++next;
        }
    }
    EXPECT_EQ(next, 300u) << "every entry, once, in order";
}

TEST_F(HubTest, APendingBatchLeavesWhenItsDelayHasPassedOnTheClock) {
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber viewer;
    hub().join(app, viewer);
    ingest(app, {"alone"});

    // The flush timer fires in real time, but the injected clock judges the deadline: however
    // long this runs, a batch whose delay has not passed on the clock stays pending.
    ioc.run_for(3 * settings.batch_max_delay);
    EXPECT_TRUE(viewer.batches.empty());
    EXPECT_FALSE(app.batcher.empty());

    clock.advance(settings.batch_max_delay.count());
    ioc.run_one();  // the timer's next round
    ASSERT_EQ(viewer.batches.size(), 1u);
    EXPECT_EQ(viewer.messages(), std::vector<std::string>{"alone"});
    EXPECT_TRUE(app.batcher.empty());
}

TEST_F(HubTest, EachAppsViewersGetOnlyThatAppsEntriesInArrivalOrder) {
    settings.batch_max_entries = 1;
    AppChannel& shop = hub().channel("shop");
    AppChannel& bank = hub().channel("bank");
    RecordingSubscriber shop_viewer, bank_viewer;
    hub().join(shop, shop_viewer);
    hub().join(bank, bank_viewer);

    ingest(shop, {"s1"});
    ingest(bank, {"b1"});
    ingest(shop, {"s2", "s3"});
    ingest(bank, {"b2"});
    ingest(shop, {"s4"});

    EXPECT_EQ(shop_viewer.messages(), (std::vector<std::string>{"s1", "s2", "s3", "s4"}));
    EXPECT_EQ(bank_viewer.messages(), (std::vector<std::string>{"b1", "b2"}));
    for (const auto& batch : shop_viewer.batches) {
        for (const auto& e : batch) EXPECT_EQ(e->app_id(), "shop");
    }
    // Ids grow within an app: resume by afterId depends on it.
    const auto& batches = shop_viewer.batches;
    for (std::size_t i = 1; i < batches.size(); ++i)
        EXPECT_LT(batches[i - 1][0]->id(), batches[i][0]->id());
}

TEST_F(HubTest, AnEntryIsInHistoryBeforeAnyViewerIsOfferedIt) {
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber viewer;
    std::vector<std::uint64_t> history_sizes;
    viewer.on_batch = [&](std::span<const core::EntryPtr>) {
        history_sizes.push_back(app.history.size());
    };
    hub().join(app, viewer);

    ingest(app, {"a", "b"});
    // Pending entries are history already: a history answer given now holds them, and the
    // session skips them when the batch comes live (history meets live, no gap).
    EXPECT_EQ(app.history.size(), 2u);
    EXPECT_TRUE(viewer.batches.empty());
    ingest(app, {"c"});
    EXPECT_EQ(history_sizes, std::vector<std::uint64_t>{3});
}

TEST_F(HubTest, OnlyMembersThatTakeLiveDataAreOfferedIt) {
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber viewer;
    RecordingSubscriber producer(false);
    hub().join(app, viewer);
    hub().join(app, producer);

    ingest(app, {"1", "2", "3"});
    hub().fan_out(app, std::make_shared<const std::string>("metrics"), FrameKind::live);

    EXPECT_EQ(viewer.batches.size(), 1u);
    EXPECT_EQ(viewer.shared.size(), 1u);
    EXPECT_TRUE(producer.batches.empty());
    EXPECT_TRUE(producer.shared.empty());
}

TEST_F(HubTest, AnAppWithProducersOnlyIsNotWatched) {
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber producer(false);
    hub().join(app, producer);
    EXPECT_FALSE(app.watched()) << "no frame is built for nobody";

    ingest(app, {"1", "2"});
    hub().flush_all();
    EXPECT_EQ(app.delivered, 0u);
    EXPECT_EQ(app.history.size(), 2u) << "kept all the same";

    RecordingSubscriber viewer;
    hub().join(app, viewer);
    EXPECT_TRUE(app.watched());
    hub().leave(app, viewer);
    EXPECT_FALSE(app.watched());
}

TEST_F(HubTest, ClearSendsThePendingBatchThenForgetsThenNotifies) {
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber viewer;
    RecordingSubscriber requester(false);
    hub().join(app, viewer);
    hub().join(app, requester);
    ingest(app, {"kept until now", "also"});

    const std::size_t forgotten = hub().clear(app, "admin", requester);

    EXPECT_EQ(forgotten, 2u);
    EXPECT_EQ(viewer.messages(), (std::vector<std::string>{"kept until now", "also"}))
        << "what was pending is sent before the notice, so nothing arrives after `cleared`";
    ASSERT_EQ(viewer.notices.size(), 1u);
    EXPECT_NE(viewer.notices[0]->find("\"cleared\""), std::string::npos);
    EXPECT_NE(viewer.notices[0]->find("\"admin\""), std::string::npos);
    EXPECT_EQ(requester.notices.size(), 1u) << "who asked is told, viewer or not";
    EXPECT_EQ(app.history.size(), 0u);
    EXPECT_EQ(store.cleared, std::vector<std::string>{"shop"});
}

TEST_F(HubTest, AMemberLeavingDuringFanOutDoesNotStopTheOthers) {
    settings.batch_max_entries = 1;
    AppChannel& app = hub().channel("shop");
    RecordingSubscriber first, second, third;
    first.on_batch = [&](std::span<const core::EntryPtr>) {
        hub().leave(app, first);
        hub().leave(app, second);
    };
    hub().join(app, first);
    hub().join(app, second);
    hub().join(app, third);

    ingest(app, {"x"});
    EXPECT_EQ(third.batches.size(), 1u);
    ingest(app, {"y"});
    EXPECT_EQ(first.messages(), std::vector<std::string>{"x"});
    EXPECT_EQ(third.messages(), (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(app.members.size(), 1u);
}

TEST_F(HubTest, SyncDurabilityAcknowledgesOnlyOnceTheStoreHasCommitted) {
    settings.durability = Durability::sync;
    AppChannel& app = hub().channel("shop");
    EXPECT_FALSE(ingest(app, {"durable"}));
    ASSERT_EQ(store.appended.size(), 1u);
    store.complete_next();
    ioc.poll();
    bool acked = false;
    hub().ingest(app, "producer", incoming({"second"}), [&](std::error_code) { acked = true; });
    EXPECT_FALSE(acked);
    store.complete_next();
    ioc.poll();
    EXPECT_TRUE(acked);
}

TEST_F(HubTest, BatchDurabilityAcknowledgesAtOnceAndStillHandsEveryEntryToTheStore) {
    AppChannel& app = hub().channel("shop");
    EXPECT_TRUE(ingest(app, {"a", "b"}));
    ASSERT_EQ(store.appended.size(), 1u);
    EXPECT_EQ(store.appended[0].size(), 2u);
}

TEST_F(HubTest, ThrottledTimeIsCountedOnTheClockUntilStorageCatchesUp) {
    store.backlog = true;
    EXPECT_TRUE(hub().ingest_throttled(hub().channel("shop")));
    bool resumed = false;
    hub().when_ingest_ready([&] { resumed = true; });
    clock.advance(3000);
    EXPECT_DOUBLE_EQ(hub().throttled_seconds(), 3.0);
    ioc.run_one();  // a poll round: still behind
    EXPECT_FALSE(resumed);

    store.backlog = false;
    while (!resumed) ioc.run_one();
    clock.advance(5000);
    EXPECT_DOUBLE_EQ(hub().throttled_seconds(), 3.0) << "nobody waits any more";
}

TEST_F(HubTest, AnAppNobodyUsesAndThatKeepsNothingIsReleased) {
    AppChannel& app = hub().channel("empty");
    RecordingSubscriber viewer;
    hub().join(app, viewer);
    hub().leave(app, viewer);
    ioc.poll();
    EXPECT_EQ(hub().find("empty"), nullptr);

    AppChannel& kept = hub().channel("kept");
    ingest(kept, {"1", "2", "3"});
    hub().join(kept, viewer);
    hub().leave(kept, viewer);
    ioc.poll();
    EXPECT_NE(hub().find("kept"), nullptr) << "its history is still readable";
}

TEST_F(HubTest, NoNewAppOverMaxAppsUnlessAnIdleOneCanGo) {
    ingest(hub().channel("busy"), {"1", "2", "3"});
    hub().channel("idle");
    AppChannel* third = hub().open_channel("third", 2);
    ASSERT_NE(third, nullptr) << "the idle app made room";
    EXPECT_EQ(hub().find("idle"), nullptr);
    ingest(*third, {"1", "2", "3"});
    EXPECT_EQ(hub().open_channel("fourth", 2), nullptr);
    EXPECT_NE(hub().open_channel("busy", 2), nullptr) << "an existing app is always found";
}

}  // namespace
}  // namespace smartlog::server
