// A storage::Store for tests: holds every callback until the test releases it, records what
// it was given, and is backlogged on demand.
#pragma once

#include <deque>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace smartlog::test_support {

class ControlledStore final : public storage::Store {
public:
    void append(std::vector<core::EntryPtr> entries, Done done) override {
        appended.push_back(std::move(entries));
        pending.push_back(std::move(done));
    }
    void clear(const std::string& app_id, Done done) override {
        cleared.push_back(app_id);
        pending.push_back(std::move(done));
    }
    Histories load_recent(std::size_t) override { return std::move(recent); }
    // Held until the test calls finish_load().
    void load_recent_async(std::size_t per_app, Loaded done) override {
        load_per_app = per_app;
        loaded = std::move(done);
    }
    std::vector<std::string> stored_apps() const override {
        std::vector<std::string> names;
        for (const auto& [name, entries] : recent) names.push_back(name);
        for (const auto& name : empty_apps) names.push_back(name);
        return names;
    }
    // Queries are held too (answer_next_query()); none answered: not_supported at once.
    void query(storage::Query q, QueryDone done) override {
        if (!hold_queries) return done(std::make_error_code(std::errc::not_supported), {});
        queries.emplace_back(std::move(q), std::move(done));
    }
    bool healthy() const override { return true; }
    std::string health_message() const override { return {}; }
    bool backlogged() const override { return backlog; }
    storage::StoreStats stats() const override { return {}; }
    void close() override {}

    // Hands what `recent` holds to load_recent_async's caller, as the store's thread would;
    // with an error, only `partial`, what it read before failing (`recent` stays, for queries).
    void finish_load(std::error_code ec = {}, Histories partial = {}) {
        ASSERT_TRUE(loaded);
        auto done = std::move(loaded);
        loaded = nullptr;
        done(ec, ec ? std::move(partial) : std::move(recent));
    }
    // Answers the oldest query held with `result` (newest first).
    void answer_next_query(storage::QueryResult result, std::error_code ec = {}) {
        ASSERT_FALSE(queries.empty());
        auto [q, done] = std::move(queries.front());
        queries.pop_front();
        done(ec, std::move(result));
    }

    // Runs the oldest callback held, as the store's thread would once its work is done.
    void complete_next(std::error_code ec = {}) {
        ASSERT_FALSE(pending.empty());
        auto done = std::move(pending.front());
        pending.pop_front();
        done(ec);
    }

    std::vector<std::vector<core::EntryPtr>> appended;
    std::vector<std::string> cleared;
    // What load_recent() hands over (once).
    std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> recent;
    std::vector<std::string> empty_apps;  // stored_apps() beyond those of `recent`
    std::deque<Done> pending;
    bool backlog = false;
    std::size_t load_per_app = 0;
    Loaded loaded;
    bool hold_queries = false;
    std::deque<std::pair<storage::Query, QueryDone>> queries;
};

}  // namespace smartlog::test_support
