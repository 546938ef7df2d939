#include "core/rate_meter.hpp"

namespace smartlog::core {

void RateMeter::roll(std::int64_t since_ms, std::int64_t now_ms) noexcept {
    if (now_ms > since_ms) {
        const double seconds = static_cast<double>(now_ms - since_ms) / 1000.0;
        message_rate_ = static_cast<double>(entries_) / seconds;
        error_rate_ = static_cast<double>(errors_) / seconds;
    }
    total_entries_ += entries_;
    entries_ = 0;
    errors_ = 0;
}

}  // namespace smartlog::core
