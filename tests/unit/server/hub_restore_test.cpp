// The hub's restore while serving (Hub::restore_in_background): every use of an app whose
// history is still loading waits for that app alone, the app is read at once with one query (two
// at a time), the store's read of every history never overwrites an app loaded before it, and
// restored entries never come back after a clear. A store that answers when the test says so.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/id_generator.hpp"
#include "server/hub.hpp"
#include "tests/unit/server/controlled_store.hpp"
#include "tests/unit/server/incoming_entries.hpp"

namespace smartlog::server {
namespace {

using namespace std::chrono_literals;
using test_support::incoming;

class Viewer final : public Subscriber {
public:
    bool receives_live() const noexcept override { return true; }
    std::size_t offer_batch(std::span<const core::EntryPtr> batch, const SharedFrame&) override {
        for (const auto& e : batch) messages.push_back(std::string(e->message()));
        return batch.size();
    }
    void offer_frame(const SharedFrame&, FrameKind kind) override {
        if (kind == FrameKind::notice) ++notices;
    }
    std::vector<std::string> messages;
    int notices = 0;
};

class HubRestoreTest : public ::testing::Test {
protected:
    HubRestoreTest() {
        settings.batch_max_entries = 1;  // every entry leaves at once
        store.hold_queries = true;
    }

    // An entry as the store would give it back, its id from a clock far ahead of the test's.
    core::EntryPtr stored(const std::string& app, const char* message) {
        const auto id = ids.next_text(4'000'000'000'000);
        return core::make_entry({.id = std::string_view(id.data(), id.size()),
                                 .timestamp = 1000,
                                 .level = "info",
                                 .message = message,
                                 .app_id = app,
                                 .user_id = "producer"});
    }
    // What the store holds of `app`, oldest first.
    void keep(const std::string& app, std::initializer_list<const char*> messages) {
        std::vector<core::EntryPtr> list;
        for (const char* m : messages) list.push_back(stored(app, m));
        store.recent.emplace_back(app, std::move(list));
    }
    // The store's answer to the query for `app`'s history: what it holds, newest first.
    storage::QueryResult answer_for(const std::string& app) {
        storage::QueryResult r;
        for (const auto& [name, list] : store.recent) {
            if (name == app) r.entries.assign(list.rbegin(), list.rend());
        }
        return r;
    }
    // Runs what the store's threads posted (a loop that ran out of work must be restarted).
    void poll() {
        ioc.restart();
        ioc.poll();
    }
    void start() {
        hub.restore_in_background(100, [this](const RestoreSummary& r) {
            finished_entries = r.entries;
            finished_apps = r.apps;
            read_first = r.read_first;
            ++finished;
        });
    }
    bool ingest(const std::string& app, std::initializer_list<const char*> messages) {
        auto acked = std::make_shared<bool>(false);
        hub.ingest(hub.channel(app), "producer", incoming(messages),
                   [acked](std::error_code) { *acked = true; });
        poll();
        return *acked;
    }
    std::vector<std::string> history(const std::string& app) {
        std::vector<std::string> out;
        const AppChannel* channel = hub.find(app);
        for (std::size_t i = 0; channel && i < channel->history.size(); ++i)
            out.push_back(std::string(channel->history.at(i)->message()));
        return out;
    }

    net::io_context ioc;
    Settings settings;
    test_support::ControlledStore store;
    core::ManualClock clock;
    core::IdGenerator ids;
    Hub hub{ioc, settings, store, clock};
    std::size_t finished_entries = 0, finished_apps = 0, read_first = 0;
    int finished = 0;
};

using Strings = std::vector<std::string>;

TEST_F(HubRestoreTest, AProducerOfAnAppStillLoadingWaitsForThatAppAlone) {
    keep("shop", {"s1", "s2"});
    keep("blog", {"b1"});
    start();
    ASSERT_NE(hub.find("shop"), nullptr) << "every stored app has its channel at once";
    EXPECT_TRUE(hub.find("shop")->loading);

    EXPECT_FALSE(ingest("shop", {"new"})) << "not before the restored entries";
    EXPECT_TRUE(store.appended.empty());
    ASSERT_EQ(store.queries.size(), 1u) << "the app is read at once";
    EXPECT_EQ(store.queries.front().first.app_id, "shop");
    EXPECT_EQ(store.queries.front().first.limit, 100u);

    store.answer_next_query(answer_for("shop"));
    poll();
    EXPECT_EQ(history("shop"), (Strings{"s1", "s2", "new"}));
    ASSERT_EQ(store.appended.size(), 1u) << "only the new entry goes to the store";
    EXPECT_GT(store.appended[0][0]->id(), hub.find("shop")->history.at(1)->id())
        << "new ids stay above the restored ones";
    EXPECT_TRUE(hub.find("blog")->loading) << "the other app still waits for the store's read";
    EXPECT_TRUE(ingest("new-app", {"n1"})) << "an app the store never held does not wait";
}

TEST_F(HubRestoreTest, TheStoresReadNeverOverwritesAnAppLoadedBeforeIt) {
    keep("shop", {"s1"});
    keep("blog", {"b1", "b2"});
    store.empty_apps = {"quiet"};
    start();
    ingest("shop", {"new"});
    store.answer_next_query(answer_for("shop"));
    poll();

    store.finish_load();
    poll();
    EXPECT_EQ(history("shop"), (Strings{"s1", "new"}));
    EXPECT_EQ(history("blog"), (Strings{"b1", "b2"}));
    EXPECT_FALSE(hub.find("quiet")->loading) << "an app the read did not bring holds nothing";
    EXPECT_EQ(finished, 1);
    EXPECT_EQ(finished_entries, 3u);
    EXPECT_EQ(finished_apps, 3u);
    EXPECT_EQ(read_first, 1u);
}

TEST_F(HubRestoreTest, AHistoryRequestIsAnsweredOnceItsAppIsLoaded) {
    keep("shop", {"s1"});
    start();
    AppChannel& app = *hub.find("shop");
    EXPECT_FALSE(hub.history_ready(app, std::nullopt));
    bool resumed = false;
    hub.when_history_ready(app, std::nullopt, [&] { resumed = true; });
    EXPECT_FALSE(resumed);
    store.finish_load();
    poll();
    EXPECT_TRUE(resumed);
    EXPECT_TRUE(hub.history_ready(app, std::nullopt));
    EXPECT_EQ(history("shop"), (Strings{"s1"}));
}

TEST_F(HubRestoreTest, AClearWaitsSoThatRestoredEntriesNeverComeBack) {
    keep("shop", {"s1", "s2"});
    start();
    AppChannel& app = *hub.find("shop");
    Viewer viewer;
    hub.join(app, viewer);
    std::optional<std::size_t> cleared;
    hub.clear(app, "admin", [&](std::error_code, std::size_t count) { cleared = count; });
    EXPECT_TRUE(store.cleared.empty()) << "not before the app's history is in";

    store.finish_load();
    poll();
    EXPECT_TRUE(history("shop").empty());
    EXPECT_EQ(store.cleared, (Strings{"shop"}));
    EXPECT_EQ(viewer.notices, 1);
    store.complete_next();
    poll();
    EXPECT_EQ(cleared, 2u);
}

TEST_F(HubRestoreTest, AtMostTwoAppsAreReadAtOnceAndTheRestWaitTheirTurn) {
    keep("a", {"a1"});
    keep("b", {"b1"});
    keep("c", {"c1"});
    start();
    ingest("a", {"x"});
    ingest("b", {"x"});
    ingest("c", {"x"});
    ASSERT_EQ(store.queries.size(), 2u);
    store.answer_next_query(answer_for("a"));
    poll();
    ASSERT_EQ(store.queries.size(), 2u) << "c's turn came";
    EXPECT_EQ(store.queries.back().first.app_id, "c");
    EXPECT_EQ(history("a"), (Strings{"a1", "x"}));
}

TEST_F(HubRestoreTest, IngestsWaitingForTheirAppAreBoundedLikeTheStoresQueue) {
    settings.storage_queue_entries = 3;
    keep("shop", {"s1"});
    keep("blog", {"b1"});
    start();
    AppChannel& shop = *hub.find("shop");
    ingest("shop", {"1", "2"});
    EXPECT_FALSE(hub.ingest_throttled(shop));
    ingest("shop", {"3"});
    EXPECT_TRUE(hub.ingest_throttled(shop)) << "callers hold further messages";
    EXPECT_TRUE(hub.ingest_throttled(*hub.find("blog"))) << "another app still loading too";
    EXPECT_FALSE(hub.ingest_throttled(hub.channel("new-app"))) << "an app not loading is not held";
    store.answer_next_query(answer_for("shop"));
    poll();
    EXPECT_FALSE(hub.ingest_throttled(shop));
    EXPECT_FALSE(hub.ingest_throttled(*hub.find("blog")));
    EXPECT_EQ(history("shop"), (Strings{"s1", "1", "2", "3"}));
}

TEST_F(HubRestoreTest, AMessageWithoutEntriesIsAnsweredAtOnceNotQueued) {
    keep("shop", {"s1"});
    start();
    bool acked = false;
    hub.ingest(*hub.find("shop"), "producer", {}, [&](std::error_code) { acked = true; });
    EXPECT_TRUE(acked) << "nothing to order after the restored entries";
    EXPECT_TRUE(hub.find("shop")->after_load.empty());
}

TEST_F(HubRestoreTest, AnAppStillLoadingIsNeverReleasedAsIdle) {
    keep("shop", {"s1"});
    start();
    EXPECT_EQ(hub.release_idle(), 0u);
    EXPECT_NE(hub.find("shop"), nullptr);
}

TEST_F(HubRestoreTest, AFailedQueryLeavesTheAppToTheStoresRead) {
    keep("shop", {"s1"});
    start();
    EXPECT_FALSE(ingest("shop", {"new"}));
    store.answer_next_query({}, std::make_error_code(std::errc::timed_out));
    poll();
    EXPECT_TRUE(hub.find("shop")->loading);
    store.finish_load();
    poll();
    EXPECT_EQ(history("shop"), (Strings{"s1", "new"}));
}

TEST_F(HubRestoreTest, AFailedReadOfEveryHistoryKeepsWhatItReadAndQueriesTheRest) {
    keep("a", {"a1"});
    keep("b", {"b1"});
    keep("c", {"c1"});
    start();
    storage::Store::Histories partial;
    partial.emplace_back("a", store.recent[0].second);
    store.finish_load(std::make_error_code(std::errc::io_error), std::move(partial));
    poll();
    EXPECT_EQ(history("a"), (Strings{"a1"}));
    ASSERT_EQ(store.queries.size(), 2u) << "b and c, one query each";
    store.answer_next_query(answer_for(store.queries.front().first.app_id));
    store.answer_next_query(answer_for(store.queries.front().first.app_id));
    poll();
    EXPECT_EQ(history("b"), (Strings{"b1"}));
    EXPECT_EQ(history("c"), (Strings{"c1"}));
    EXPECT_EQ(finished, 1);
    EXPECT_EQ(finished_entries, 3u);
}

TEST_F(HubRestoreTest, TheRestoreIsReportedWhenTheReadFailsAfterEveryAppWasReadFirst) {
    keep("shop", {"s1"});
    start();
    ingest("shop", {"new"});
    store.answer_next_query(answer_for("shop"));
    poll();
    EXPECT_EQ(finished, 0) << "the store's read is not in yet";
    store.finish_load(std::make_error_code(std::errc::io_error));
    poll();
    EXPECT_EQ(finished, 1);
    EXPECT_EQ(read_first, 1u);
}

TEST_F(HubRestoreTest, WhenNothingElseCanBringAnAppItIsServedEmptyRatherThanHeldForGood) {
    keep("shop", {"s1"});
    start();
    store.finish_load(std::make_error_code(std::errc::io_error));
    poll();
    ASSERT_EQ(store.queries.size(), 1u);
    store.answer_next_query({}, std::make_error_code(std::errc::timed_out));
    poll();
    EXPECT_FALSE(hub.find("shop")->loading);
    EXPECT_TRUE(ingest("shop", {"new"}));
    EXPECT_EQ(history("shop"), (Strings{"new"}));
    EXPECT_EQ(finished, 1);
}

}  // namespace
}  // namespace smartlog::server
