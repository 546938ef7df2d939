#include "storage/restore_scan.hpp"

#include <algorithm>

namespace smartlog::storage {

RestoreScan::RestoreScan(std::vector<App> apps, std::size_t per_app)
    : apps_(std::move(apps)), per_app_(per_app) {
    std::int64_t max_key = 0;
    bool negative = false;
    for (const App& a : apps_) {
        max_key = std::max(max_key, a.key);
        negative = negative || a.key < 0;
    }
    // App keys are small rowids: a table indexed by key, unless they are sparse.
    if (!negative && static_cast<std::uint64_t>(max_key) <= 4 * apps_.size() + 1024) {
        dense_.assign(static_cast<std::size_t>(max_key) + 1, -1);
        for (std::size_t i = 0; i < apps_.size(); ++i)
            dense_[static_cast<std::size_t>(apps_[i].key)] = static_cast<std::int32_t>(i);
    } else {
        for (std::size_t i = 0; i < apps_.size(); ++i) sparse_.emplace(apps_[i].key, i);
    }
}

std::ptrdiff_t RestoreScan::index_of(std::int64_t key) const {
    if (sparse_.empty()) {
        return key >= 0 && static_cast<std::uint64_t>(key) < dense_.size()
                   ? dense_[static_cast<std::size_t>(key)]
                   : -1;
    }
    auto it = sparse_.find(key);
    return it == sparse_.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}

RestoreScan::Part RestoreScan::new_part() const {
    Part part;
    part.apps.resize(apps_.size());
    return part;
}

RestoreScan::Take RestoreScan::offer(Part& part, std::int64_t key, std::int64_t seq,
                                     std::string_view id) const {
    const std::ptrdiff_t i = index_of(key);
    if (i < 0) return {};
    const App& app = apps_[static_cast<std::size_t>(i)];
    if (seq <= app.floor) return {};  // cleared
    Taken& t = part.apps[static_cast<std::size_t>(i)];
    if (t.disorder) return {};
    // Every row, taken or not, must be older by id than the last one taken: then the first
    // per_app rows by seq are the newest per_app by id.
    if (!t.entries.empty() && !(id < t.entries.back()->id())) {
        t.disorder = true;
        t.entries.clear();
        return {};
    }
    if (t.entries.size() >= per_app_) return {};
    return {&t.entries, &app.name};
}

RestoreScan::Result RestoreScan::finish(std::vector<Part> parts) const {
    Result result;
    for (std::size_t i = 0; i < apps_.size(); ++i) {
        std::vector<core::EntryPtr> merged;  // newest first
        bool disorder = false;
        for (Part& part : parts) {  // newest part first
            Taken& t = part.apps[i];
            if (t.disorder) {
                disorder = true;
                break;
            }
            if (t.entries.empty()) continue;
            // An older part's newest must be older than everything taken before it.
            if (!merged.empty() && !(t.entries.front()->id() < merged.back()->id())) {
                disorder = true;
                break;
            }
            for (auto& e : t.entries) {
                if (merged.size() >= per_app_) break;
                merged.push_back(std::move(e));
            }
            t.entries.clear();
        }
        if (disorder) {
            result.unordered.push_back(i);
            continue;
        }
        if (merged.empty()) continue;
        std::reverse(merged.begin(), merged.end());
        result.loaded.emplace_back(apps_[i].name, std::move(merged));
    }
    return result;
}

}  // namespace smartlog::storage
