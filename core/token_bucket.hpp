// core/token_bucket.hpp: an ingest budget of `rate` entries per second that lets a burst of up
// to `burst` entries through at once (docs/protocol.md, "Limits"). Time is given by the caller
// on every call, so tests drive it without sleeping. Not thread-safe: owned by the network thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace smartlog::core {

class TokenBucket {
public:
    using time_point = std::chrono::steady_clock::time_point;

    // What a request for `n` tokens would get.
    struct Decision {
        bool allowed = true;
        // Never allowed: `n` is more than the bucket can ever hold.
        bool exceeds_burst = false;
        // When not allowed (and not exceeds_burst): how long until `n` tokens are there.
        std::chrono::milliseconds retry_after{0};
    };

    // An unlimited bucket: every request is allowed.
    TokenBucket() = default;
    // `rate` tokens per second, at most `burst` kept; starts full at `now`.
    // rate 0 is unlimited. REQUIRES: burst >= 1 when rate > 0.
    TokenBucket(std::uint64_t rate, std::uint64_t burst, time_point now) noexcept;

    bool unlimited() const noexcept { return rate_ == 0; }
    std::uint64_t rate() const noexcept { return rate_; }
    std::uint64_t burst() const noexcept { return burst_; }

    // Whether `n` tokens could be taken at `now`. Takes nothing.
    Decision check(std::uint64_t n, time_point now) noexcept;
    // Removes `n` tokens. REQUIRES: check(n, now) allowed it, with no take() in between.
    void take(std::uint64_t n) noexcept;
    // check() then take() when allowed.
    Decision try_take(std::uint64_t n, time_point now) noexcept;

    // Tokens available at the last check (for tests and metrics).
    double available() const noexcept { return tokens_; }

private:
    void refill(time_point now) noexcept;

    std::uint64_t rate_ = 0;
    std::uint64_t burst_ = 0;
    double tokens_ = 0;
    time_point last_{};
};

}  // namespace smartlog::core
