// client/backoff.hpp: reconnection delays, exponential with jitter. Pure; not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace smartlog::client {

class Backoff {
public:
    // REQUIRES: 0 < initial <= max; 0 <= jitter <= 1.
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, double jitter,
            std::uint64_t seed = std::random_device{}())
        : initial_(initial), max_(max), jitter_(std::clamp(jitter, 0.0, 1.0)), rng_(seed) {}

    // The delay before the next attempt: min(initial * 2^failures, max), less a random share of
    // up to `jitter` of it ("equal jitter"), so clients cut off together do not return together.
    std::chrono::milliseconds next() {
        const auto ceiling = ceiling_for(failures_);
        ++failures_;
        std::uniform_real_distribution<double> share(0.0, jitter_);
        const double ms = static_cast<double>(ceiling.count()) * (1.0 - share(rng_));
        return std::max(std::chrono::milliseconds(1),
                        std::chrono::milliseconds(static_cast<std::int64_t>(ms)));
    }
    // A connection was established and authenticated: start again from `initial`.
    void reset() noexcept { failures_ = 0; }
    unsigned failures() const noexcept { return failures_; }

    std::chrono::milliseconds ceiling_for(unsigned failures) const noexcept {
        auto d = initial_;
        for (unsigned i = 0; i < failures && d < max_; ++i) d *= 2;
        return std::min(d, max_);
    }

private:
    std::chrono::milliseconds initial_, max_;
    double jitter_;
    std::mt19937_64 rng_;
    unsigned failures_ = 0;
};

}  // namespace smartlog::client
