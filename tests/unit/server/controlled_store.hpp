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
    std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> load_recent(
        std::size_t) override {
        return std::move(recent);
    }
    void query(storage::Query, QueryDone done) override {
        done(std::make_error_code(std::errc::not_supported), {});
    }
    bool healthy() const override { return true; }
    std::string health_message() const override { return {}; }
    bool backlogged() const override { return backlog; }
    storage::StoreStats stats() const override { return {}; }
    void close() override {}

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
    std::deque<Done> pending;
    bool backlog = false;
};

}  // namespace smartlog::test_support
