#include "core/rate_meter.hpp"

namespace smartlog::core {

void RateMeter::roll(std::int64_t now_ms) noexcept {
    if (interval_start_ms_ >= 0 && now_ms > interval_start_ms_) {
        const double seconds = static_cast<double>(now_ms - interval_start_ms_) / 1000.0;
        message_rate_ = static_cast<double>(entries_) / seconds;
        error_rate_ = static_cast<double>(errors_) / seconds;
    }
    total_entries_ += entries_;
    entries_ = 0;
    errors_ = 0;
    interval_start_ms_ = now_ms;
}

}  // namespace smartlog::core
