// Resume: the rules a viewer keeps across reconnections, on the pure part (no network): what it
// asks for after authenticating, how history answers and live batches meet, when a gap is said.
#include "client/resume.hpp"

#include <gtest/gtest.h>

#include "protocol/requests.hpp"

namespace smartlog::client {
namespace {

protocol::DecodedEntry entry(std::string id) {
    protocol::DecodedEntry e;
    e.id = std::move(id);
    e.message = "m " + e.id;
    return e;
}

protocol::LogsFrame live(std::vector<std::string> ids) {
    protocol::LogsFrame f;
    for (auto& id : ids) f.entries.push_back(entry(std::move(id)));
    return f;
}

protocol::LogsFrame answer(std::vector<std::string> ids, bool gap = false, bool more = false) {
    auto f = live(std::move(ids));
    f.history = true;
    f.gap = gap;
    f.more = more;
    return f;
}

std::vector<std::string> ids(const Resume::Delivery& d) {
    std::vector<std::string> out;
    for (const auto& e : d.entries) out.push_back(e.id);
    return out;
}

// Makes `r` a viewer that has delivered entries "01" and "02" live and then lost its connection.
void deliver_two_then_lose_the_connection(Resume& r) {
    EXPECT_TRUE(r.authenticated().empty()) << "nothing to fetch on the first connection";
    auto f = live({"01", "02"});
    EXPECT_EQ(ids(r.live(f)), (std::vector<std::string>{"01", "02"}));
    r.connection_lost();
}

TEST(Resume, AfterAReconnectAsksForWhatCameAfterTheLastDeliveredId) {
    Resume r({std::nullopt, true});
    deliver_two_then_lose_the_connection(r);
    EXPECT_EQ(r.authenticated(),
              (std::vector<std::string>{protocol::history_request(std::nullopt, "02")}));
}

TEST(Resume, ReappliesTheFilterBeforeTheResumeRequest) {
    Resume r({std::nullopt, true});
    core::Filter filter;
    filter.search = "disk";
    EXPECT_FALSE(r.set_filter(filter, false)) << "not sent while not authenticated";
    r.authenticated();
    auto f = live({"01"});
    r.filter_applied();
    r.live(f);
    r.connection_lost();
    EXPECT_EQ(r.authenticated(),
              (std::vector<std::string>{protocol::filter_request(filter),
                                        protocol::history_request(std::nullopt, "01")}));
}

TEST(Resume, HoldsLiveBatchesUntilTheLastPageOfTheResumeAnswerThenSkipsWhatItHeld) {
    Resume r({std::nullopt, true});
    deliver_two_then_lose_the_connection(r);
    r.authenticated();
    auto early = live({"03"});
    EXPECT_EQ(r.live(early).to, Resume::Delivery::To::nobody) << "the answer covers it";
    auto page1 = answer({"03"}, false, true);
    auto d1 = r.history(page1);
    EXPECT_EQ(d1.to, Resume::Delivery::To::logs) << "a resume goes to on_logs";
    EXPECT_EQ(ids(d1), (std::vector<std::string>{"03"}));
    auto during = live({"04"});
    EXPECT_EQ(r.live(during).to, Resume::Delivery::To::nobody) << "the answer continues";
    auto page2 = answer({"04"});
    EXPECT_EQ(ids(r.history(page2)), (std::vector<std::string>{"04"}));
    auto overlap = live({"04", "05"});
    EXPECT_EQ(ids(r.live(overlap)), (std::vector<std::string>{"05"})) << "04 was delivered";
    EXPECT_EQ(r.last_id(), "05");
    EXPECT_EQ(r.duplicates_skipped(), 1u);
}

TEST(Resume, ReportsAGapWhenTheResumeAnswerSaysEntriesAfterItsIdWereEvicted) {
    Resume r({std::nullopt, true});
    deliver_two_then_lose_the_connection(r);
    r.authenticated();
    auto f = answer({"07", "08"}, /*gap=*/true);
    auto d = r.history(f);
    ASSERT_TRUE(d.dropped);
    EXPECT_EQ(d.dropped->kind, Dropped::Kind::resume_gap);
    EXPECT_EQ(d.dropped->after_id, "02");
    EXPECT_EQ(ids(d), (std::vector<std::string>{"07", "08"}));
}

TEST(Resume, ReportsNoGapWhenTheAppWasClearedSinceTheLastDeliveredEntry) {
    Resume r({std::nullopt, true});
    deliver_two_then_lose_the_connection(r);
    r.cleared();
    r.authenticated();
    auto f = answer({}, /*gap=*/true);
    EXPECT_FALSE(r.history(f).dropped) << "the entries are gone because they were cleared";
}

TEST(Resume, ADroppedNoticeAsksOnceForWhatWasSkippedAfterTheLastDeliveredId) {
    Resume r({std::nullopt, true});
    r.authenticated();
    auto f = live({"01"});
    r.live(f);
    auto first = r.server_dropped({5, "00"});
    ASSERT_TRUE(first.request);
    EXPECT_EQ(*first.request, protocol::history_request(std::nullopt, "01"));
    EXPECT_FALSE(first.report);
    auto second = r.server_dropped({3, "01"});
    EXPECT_FALSE(second.request) << "the answer in flight covers it";
}

TEST(Resume, WithResumeOffADroppedNoticeIsReportedAndNothingIsFetched) {
    Resume r({std::nullopt, false});
    r.authenticated();
    auto d = r.server_dropped({5, "01"});
    EXPECT_FALSE(d.request);
    ASSERT_TRUE(d.report);
    EXPECT_EQ(d.report->kind, Dropped::Kind::server_live);
    EXPECT_EQ(d.report->count, 5u);
    r.connection_lost();
    EXPECT_TRUE(r.authenticated().empty());
}

TEST(Resume, InitialHistoryGoesToOnHistoryAndAUserRequestsAnswerIsPassedAsItIs) {
    Resume r({std::size_t{10}, true});
    EXPECT_EQ(r.authenticated(), (std::vector<std::string>{protocol::history_request(10, {})}));
    r.user_history_sent();
    auto initial = answer({"01", "02"});
    auto d = r.history(initial);
    EXPECT_EQ(d.to, Resume::Delivery::To::history);
    EXPECT_EQ(r.last_id(), "02");
    auto user = answer({"01"}, false, false);
    auto u = r.history(user);
    EXPECT_EQ(u.to, Resume::Delivery::To::history);
    EXPECT_EQ(ids(u), (std::vector<std::string>{"01"})) << "not filtered by last_id";
    EXPECT_EQ(r.last_id(), "02") << "a user's answer moves nothing";
}

}  // namespace
}  // namespace smartlog::client
