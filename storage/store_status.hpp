// storage/store_status.hpp: what the store's threads tell the rest of the server: its health
// (/readyz), its figures (/metrics) and its events (the server log). Thread-safe: the worker
// and the reader threads write it, the net thread reads it.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "storage/store.hpp"

namespace smartlog::storage {

class StoreStatus {
public:
    // `on_event` (may be empty) as SqliteOptions::on_event.
    explicit StoreStatus(std::function<void(const StoreEvent&)> on_event)
        : on_event_(std::move(on_event)) {}

    // Records an error for /readyz and tells on_event. A `transient` one (a disk error) is
    // cleared by clear_transient(); any other stays until restart. Returns whether writes
    // should be retried now, or nothing when an earlier permanent error stays.
    std::optional<bool> fail(const std::string& what, bool transient);
    // Clears a transient error (writes work again) and tells on_event; false when it was not one.
    bool clear_transient();
    bool healthy() const;
    std::string message() const;  // "" when healthy

    // Changes the figures under the lock: `f(StoreStats&)`.
    template <class F>
    void update(F&& f) {
        std::lock_guard lock(mu_);
        f(stats_);
    }
    StoreStats stats() const;

    // Tells on_event; its own failures are swallowed: the sink's trouble must not stop the store.
    void emit(StoreEvent::Kind kind, std::string message) const;

private:
    const std::function<void(const StoreEvent&)> on_event_;
    mutable std::mutex mu_;
    std::string health_;             // the last error; empty: healthy
    bool health_permanent_ = false;  // health_ is not a disk error: kept until restart
    StoreStats stats_;
};

}  // namespace smartlog::storage
