// storage/store.hpp: where entries go to outlive the process (SPEC 7).
// The network thread calls every method; implementations must not block it: durable ones hand
// the work to their own thread and run `done` from there (callers re-post it as they need).
#pragma once

#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/entry.hpp"

namespace smartlog::storage {

class Store {
public:
    using Done = std::function<void(std::error_code)>;

    virtual ~Store() = default;

    // Records `entries` (all of one app, in arrival order). `done` runs once they are as
    // durable as the store promises (for a memory store: at once).
    virtual void append(std::vector<core::EntryPtr> entries, Done done) = 0;
    // Forgets every entry of `app_id`.
    virtual void clear(const std::string& app_id, Done done) = 0;
    // At start: the newest `per_app` entries of every app, oldest first. Blocking.
    virtual std::vector<std::pair<std::string, std::vector<core::EntryPtr>>> load_recent(
        std::size_t per_app) = 0;
    // False after an error that the store cannot recover from by itself (shown by /readyz).
    virtual bool healthy() const = 0;
};

}  // namespace smartlog::storage
