// storage/restore_scan.hpp: which rows of one scan of the entries table, newest seq first,
// make each app's restored history (SqliteStore::load_recent, docs/storage.md "Restart").
// The scan may be split into parts by seq range, one per thread; each part is offered only
// its own rows, and finish() joins them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/entry.hpp"

namespace smartlog::storage {

class RestoreScan {
public:
    struct App {
        std::string name;
        std::int64_t key = 0;    // apps.key, entries.app
        std::int64_t floor = 0;  // rows with seq <= floor were cleared
    };
    // What one part took, per app (same index as the apps given to the constructor).
    struct Taken {
        std::vector<core::EntryPtr> entries;  // newest first
        bool disorder = false;  // ids did not fall as seq fell: the part cannot tell the newest
    };
    struct Part {
        std::vector<Taken> apps;
    };
    struct Result {
        std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> loaded;  // oldest first
        std::vector<std::size_t> unordered;  // indices of apps to read another way (by id)
    };
    // Where a row's entry goes, when it is wanted.
    struct Take {
        std::vector<core::EntryPtr>* into = nullptr;  // push the row's entry here; null: skip it
        const std::string* app_id = nullptr;
    };

    // Keeps the newest `per_app` entries of each of `apps`.
    RestoreScan(std::vector<App> apps, std::size_t per_app);

    Part new_part() const;
    // The row (app key, seq, id) of `part`'s scan, which must come in decreasing seq. Wanted
    // when it is above its app's floor and among the first per_app of its app in this part.
    // Also checks that ids fall with seq, which makes "the first per_app by seq" the same
    // rows as "the newest per_app by id", what the index query reads.
    Take offer(Part& part, std::int64_t key, std::int64_t seq, std::string_view id) const;
    // Joins the parts, newest (highest seq range) first.
    Result finish(std::vector<Part> parts) const;

    const std::vector<App>& apps() const noexcept { return apps_; }

private:
    std::ptrdiff_t index_of(std::int64_t key) const;

    std::vector<App> apps_;
    std::size_t per_app_;
    std::vector<std::int32_t> dense_;  // key -> index, -1: none; empty when keys are sparse
    std::unordered_map<std::int64_t, std::size_t> sparse_;
};

}  // namespace smartlog::storage
