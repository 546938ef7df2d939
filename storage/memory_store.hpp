// storage/memory_store.hpp: the store of `durability = "memory"`: keeps nothing beyond the
// in-memory histories, so a restart starts empty. Net thread only.
#pragma once

#include "storage/store.hpp"

namespace smartlog::storage {

class MemoryStore final : public Store {
public:
    void append(std::vector<core::EntryPtr>, Done done) override { done({}); }
    void clear(const std::string&, Done done) override { done({}); }
    Histories load_recent(std::size_t) override { return {}; }
    void load_recent_async(std::size_t, Loaded done) override { done({}, {}); }
    std::vector<std::string> stored_apps() const override { return {}; }
    // Nothing is kept here: callers answer from the in-memory histories instead.
    void query(Query, QueryDone done) override {
        done(std::make_error_code(std::errc::not_supported), {});
    }
    bool healthy() const override { return true; }
    std::string health_message() const override { return {}; }
    bool backlogged() const override { return false; }
    StoreStats stats() const override { return {}; }
    void close() override {}
};

}  // namespace smartlog::storage
