// storage/store_status.cpp: health, figures and events of the store.
#include "storage/store_status.hpp"

namespace smartlog::storage {

std::optional<bool> StoreStatus::fail(const std::string& what, bool transient) {
    std::optional<bool> retry;
    {
        std::lock_guard lock(mu_);
        ++stats_.errors;
        if (!health_permanent_) {
            health_ = "storage error: " + what;
            health_permanent_ = !transient;
            retry = transient;
        }
    }
    // Every error reaches the server log, not only /readyz.
    emit(StoreEvent::Kind::error, what);
    return retry;
}

bool StoreStatus::clear_transient() {
    {
        std::lock_guard lock(mu_);
        if (health_permanent_) return false;
        health_.clear();
    }
    emit(StoreEvent::Kind::recovered, "writes succeed again; /readyz is ready");
    return true;
}

bool StoreStatus::healthy() const {
    std::lock_guard lock(mu_);
    return health_.empty();
}

std::string StoreStatus::message() const {
    std::lock_guard lock(mu_);
    return health_;
}

StoreStats StoreStatus::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

void StoreStatus::emit(StoreEvent::Kind kind, std::string message) const {
    if (!on_event_) return;
    try {
        on_event_(StoreEvent{kind, std::move(message)});
    } catch (...) {
        // The sink's trouble must not stop the store.
    }
}

}  // namespace smartlog::storage
