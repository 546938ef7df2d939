#include "core/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace smartlog::core {

TokenBucket::TokenBucket(std::uint64_t rate, std::uint64_t burst, time_point now) noexcept
    : rate_(rate),
      burst_(rate == 0 ? 0 : std::max<std::uint64_t>(burst, 1)),
      tokens_(static_cast<double>(burst_)),
      last_(now) {}

void TokenBucket::refill(time_point now) noexcept {
    // A clock that went backwards (or a caller's stale `now`) adds nothing and loses nothing.
    if (now <= last_) return;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * static_cast<double>(rate_));
    last_ = now;
}

TokenBucket::Decision TokenBucket::check(std::uint64_t n, time_point now) noexcept {
    Decision d;
    if (unlimited()) return d;
    if (n > burst_) {
        d.allowed = false;
        d.exceeds_burst = true;
        return d;
    }
    refill(now);
    const double wanted = static_cast<double>(n);
    if (tokens_ >= wanted) return d;
    d.allowed = false;
    const double seconds = (wanted - tokens_) / static_cast<double>(rate_);
    // Rounded up, so that retrying after exactly this long succeeds.
    d.retry_after =
        std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000.0)));
    if (d.retry_after.count() == 0) d.retry_after = std::chrono::milliseconds(1);
    return d;
}

void TokenBucket::take(std::uint64_t n) noexcept {
    if (unlimited()) return;
    tokens_ = std::max(0.0, tokens_ - static_cast<double>(n));
}

TokenBucket::Decision TokenBucket::try_take(std::uint64_t n, time_point now) noexcept {
    Decision d = check(n, now);
    if (d.allowed) take(n);
    return d;
}

}  // namespace smartlog::core
