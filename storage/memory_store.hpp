// storage/memory_store.hpp: the store of `durability = "memory"`: keeps nothing beyond the
// in-memory histories, so a restart starts empty. Net thread only.
#pragma once

#include "storage/store.hpp"

namespace smartlog::storage {

class MemoryStore final : public Store {
public:
    void append(std::vector<core::EntryPtr>, Done done) override { done({}); }
    void clear(const std::string&, Done done) override { done({}); }
    std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> load_recent(std::size_t) override {
        return {};
    }
    bool healthy() const override { return true; }
};

}  // namespace smartlog::storage
