// tests/unit/storage/sqlite_query_test.cpp: the query builder and its execution, called
// directly on a read-only connection.
#include "storage/sqlite_query.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/field_query.hpp"
#include "sqlite_parts.hpp"

namespace smartlog::storage {
namespace {

class SqliteQueryTest : public SqlitePartsTest {
protected:
    void TearDown() override {
        sqlite3_close(reader_);
        SqlitePartsTest::TearDown();
    }
    void store(std::vector<core::EntryPtr> batch) {
        Outcome o;
        writer_->append(batch, o.done());
        writer_->commit();
        ASSERT_TRUE(o.ec);
        ASSERT_FALSE(*o.ec);
    }
    QueryOutcome run(const Query& q, std::chrono::milliseconds budget = std::chrono::seconds(10)) {
        if (!reader_) reader_ = open_read_only(path());
        return run_query(reader_, q, writer_->full_text(), budget);
    }
    static Query of(const std::string& app, core::Filter filter = {}, std::size_t limit = 100) {
        Query q;
        q.app_id = app;
        q.filter = std::move(filter);
        q.limit = limit;
        return q;
    }
    static std::vector<std::string> messages(const QueryResult& r) {
        std::vector<std::string> out;
        for (const auto& e : r.entries) out.push_back(e->message());
        return out;
    }
    sqlite3* reader_ = nullptr;
};

TEST_F(SqliteQueryTest, AnswersWhatTheSameFilterAcceptsLiveNewestFirst) {
    open_writer();
    std::vector<core::EntryPtr> all;
    const char* levels[] = {"info", "warn", "error"};
    for (int i = 0; i < 30; ++i) {
        all.push_back(entry("a", (i % 4 ? "disk full on /var " : "all good ") + std::to_string(i),
                            levels[i % 3], 1000 + i,
                            "{\"status\":" + std::to_string(400 + i * 5) + "}"));
    }
    store(all);
    store({entry("b", "disk full elsewhere")});
    std::vector<core::Filter> filters(5);
    filters[1].levels = {"warn", "error"};
    filters[2].start_time = 1005;
    filters[2].end_time = 1020;
    filters[3].search = "DISK FULL";
    filters[4].search = "full";
    filters[4].levels = {"error"};
    filters[4].fields = std::get<core::SearchQuery>(core::parse_search("status>=450")).fields;
    for (std::size_t k = 0; k < filters.size(); ++k) {
        // What a WebSocket viewer with this filter is sent, newest first.
        std::vector<std::string> expected;
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
            if (filters[k].matches(**it)) expected.push_back((*it)->message());
        }
        const QueryOutcome out = run(of("a", filters[k]));
        EXPECT_FALSE(out.error) << k;
        EXPECT_EQ(messages(out.result), expected) << k;
        EXPECT_FALSE(out.result.more) << k;
    }
}

TEST_F(SqliteQueryTest, FieldConditionsStillStopAtTheLimitAndTellThatMoreRemain) {
    open_writer();
    std::vector<core::EntryPtr> batch;
    for (int i = 0; i < 10; ++i) {
        batch.push_back(
            entry("a", "m" + std::to_string(i), "info", 0, "{\"n\":" + std::to_string(i) + "}"));
    }
    store(batch);
    core::Filter even;
    even.fields = std::get<core::SearchQuery>(core::parse_search("n>=4")).fields;
    const QueryOutcome page = run(of("a", even, 3));
    EXPECT_EQ(messages(page.result), (std::vector<std::string>{"m9", "m8", "m7"}));
    EXPECT_TRUE(page.result.more);
    Query next = of("a", even, 3);
    next.before_id = page.result.entries.back()->id();
    const QueryOutcome last = run(next);
    EXPECT_EQ(messages(last.result), (std::vector<std::string>{"m6", "m5", "m4"}));
    EXPECT_FALSE(last.result.more);
}

TEST_F(SqliteQueryTest, AQueryPastItsBudgetEndsWithTimedOutAndNoEntries) {
    open_writer();
    store(entries("a", 3000));
    core::Filter none;
    none.levels = {"fatal"};  // no entry has it: the query walks every entry of the app
    const QueryOutcome out = run(of("a", none), std::chrono::milliseconds(0));
    EXPECT_EQ(out.error, std::make_error_code(std::errc::timed_out));
    EXPECT_TRUE(out.result.entries.empty());
    // The connection is left without a transaction: the next query runs.
    EXPECT_FALSE(run(of("a")).error);
}

TEST_F(SqliteQueryTest, ASearchOfOneOrTwoCharactersIsRefusedAndThreeAreServed) {
    open_writer();
    store(entries("a", 3));
    for (std::string search : {"m", "m1", "\xC3\xA9t"}) {
        core::Filter f;
        f.search = search;
        EXPECT_EQ(run(of("a", f)).error, std::make_error_code(std::errc::invalid_argument))
            << search;
    }
    core::Filter three;
    three.search = "\xC3\xA9t\xC3\xA9";
    EXPECT_FALSE(run(of("a", three)).error);
}

TEST_F(SqliteQueryTest, AnUnknownAppHasNoEntries) {
    open_writer();
    store(entries("a", 3));
    const QueryOutcome out = run(of("nobody"));
    EXPECT_FALSE(out.error);
    EXPECT_TRUE(out.result.entries.empty());
}

}  // namespace
}  // namespace smartlog::storage
