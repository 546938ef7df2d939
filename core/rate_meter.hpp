// core/rate_meter.hpp: entries and error entries per second of one app over the last interval
// (docs/protocol.md, "Metrics" `messageRate`, `errorRate`). Not thread-safe: owned by the network thread.
#pragma once

#include <cstdint>

namespace smartlog::core {

class RateMeter {
public:
    void record(std::uint64_t entries, std::uint64_t errors) noexcept {
        entries_ += entries;
        errors_ += errors;
    }
    // Closes the interval that ends at `now_ms`: the rates are those of the interval just
    // closed (0 before the first close) and counting starts again.
    void roll(std::int64_t now_ms) noexcept;

    double message_rate() const noexcept { return message_rate_; }
    double error_rate() const noexcept { return error_rate_; }
    std::uint64_t total_entries() const noexcept { return total_entries_; }

private:
    std::uint64_t entries_ = 0;
    std::uint64_t errors_ = 0;
    std::uint64_t total_entries_ = 0;
    std::int64_t interval_start_ms_ = -1;
    double message_rate_ = 0;
    double error_rate_ = 0;
};

}  // namespace smartlog::core
