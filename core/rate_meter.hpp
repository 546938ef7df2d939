// core/rate_meter.hpp: entries and error entries per second of one app over the last interval
// (docs/protocol.md, "Metrics" `messageRate`, `errorRate`). Not thread-safe: owned by the network
// thread.
#pragma once

#include <cstdint>

namespace smartlog::core {

class RateMeter {
public:
    void record(std::uint64_t entries, std::uint64_t errors) noexcept {
        entries_ += entries;
        errors_ += errors;
    }
    // Closes the interval [since_ms, now_ms]: everything recorded since the previous roll
    // counts for it, and counting starts again. The caller (the metrics sampler) rolls every
    // meter at each tick and passes its previous tick as `since_ms`, so an app created inside
    // an interval has its first entries counted over that whole interval, like every other app,
    // instead of losing them. No interval (now_ms <= since_ms) keeps the previous rates.
    void roll(std::int64_t since_ms, std::int64_t now_ms) noexcept;

    double message_rate() const noexcept { return message_rate_; }
    double error_rate() const noexcept { return error_rate_; }
    std::uint64_t total_entries() const noexcept { return total_entries_; }

private:
    std::uint64_t entries_ = 0;
    std::uint64_t errors_ = 0;
    std::uint64_t total_entries_ = 0;
    double message_rate_ = 0;
    double error_rate_ = 0;
};

}  // namespace smartlog::core
