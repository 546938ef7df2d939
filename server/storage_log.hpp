// server/storage_log.hpp: the store's events (storage/store.hpp, StoreEvent) in the server log,
// rate-limited per kind, so that a failing disk says so without flooding the log.
// Thread-safe: the store calls it from its own threads (docs/storage.md, "In the server log").
#pragma once

#include <spdlog/common.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "storage/store.hpp"

namespace smartlog::server {

class StorageLog {
public:
    using Clock = std::chrono::steady_clock;
    // Writes one line; smartlogd passes spdlog.
    using Write = std::function<void(spdlog::level::level_enum, const std::string&)>;

    // At most `per_window` lines of each kind per `window`; the rest are counted, and the
    // count is written ("K more ... not logged") with the first event of that kind after the
    // window, or at destruction. REQUIRES: per_window > 0.
    explicit StorageLog(Write write, std::size_t per_window = 5,
                        Clock::duration window = std::chrono::seconds(10));
    ~StorageLog();  // writes what is still counted
    StorageLog(const StorageLog&) = delete;
    StorageLog& operator=(const StorageLog&) = delete;

    // Writes `event` unless its kind has used up its window. Any thread.
    void on_event(const storage::StoreEvent& event, Clock::time_point now);

private:
    struct Window {
        Clock::time_point start;
        bool started = false;
        std::size_t written = 0;
        std::uint64_t suppressed = 0;
    };
    static constexpr std::size_t kKinds = 4;

    void flush_suppressed(std::size_t kind, Window& w);

    Write write_;
    std::size_t per_window_;
    Clock::duration window_;
    std::mutex mu_;
    std::array<Window, kKinds> windows_;
};

}  // namespace smartlog::server
