// server/storage_log.cpp: StorageLog.
#include "server/storage_log.hpp"

#include <fmt/format.h>

namespace smartlog::server {

namespace {

using Kind = storage::StoreEvent::Kind;

spdlog::level::level_enum level_of(Kind kind) {
    switch (kind) {
        case Kind::error: return spdlog::level::err;
        case Kind::backlog: return spdlog::level::warn;
        case Kind::recovered:
        case Kind::drained: return spdlog::level::info;
    }
    return spdlog::level::err;
}

const char* plural_of(Kind kind) {
    switch (kind) {
        case Kind::error: return "storage errors";
        case Kind::recovered: return "storage recoveries";
        case Kind::backlog: return "storage backlog warnings";
        case Kind::drained: return "storage backlog ends";
    }
    return "storage events";
}

}  // namespace

StorageLog::StorageLog(Write write, std::size_t per_window, Clock::duration window)
    : write_(std::move(write)), per_window_(per_window), window_(window) {}

StorageLog::~StorageLog() {
    std::lock_guard lock(mu_);
    for (std::size_t kind = 0; kind < kKinds; ++kind) flush_suppressed(kind, windows_[kind]);
}

void StorageLog::flush_suppressed(std::size_t kind, Window& w) {
    if (w.suppressed == 0) return;
    const auto k = static_cast<Kind>(kind);
    write_(level_of(k),
           fmt::format("storage: {} more {} not logged in {} s", w.suppressed, plural_of(k),
                       std::chrono::duration_cast<std::chrono::seconds>(window_).count()));
    w.suppressed = 0;
}

void StorageLog::on_event(const storage::StoreEvent& event, Clock::time_point now) {
    const auto kind = static_cast<std::size_t>(event.kind);
    if (kind >= kKinds) return;
    std::lock_guard lock(mu_);
    Window& w = windows_[kind];
    if (!w.started || now - w.start >= window_) {
        flush_suppressed(kind, w);
        w.start = now;
        w.started = true;
        w.written = 0;
    }
    if (w.written == per_window_) {
        ++w.suppressed;
        return;
    }
    ++w.written;
    write_(level_of(event.kind), "storage: " + event.message);
}

}  // namespace smartlog::server
