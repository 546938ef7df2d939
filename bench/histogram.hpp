// bench/histogram.hpp: a log-linear latency histogram (HDR-style, ~3% bucket width).
// Not thread-safe: each connection records into its own, merged after the run.
#pragma once

#include <array>
#include <cstdint>

namespace smartlog::bench {

class Histogram {
public:
    void record(std::uint64_t value);
    void merge(const Histogram& other);

    // The smallest bucket upper bound at or below which a fraction q of the values lie;
    // never above max(). 0 when empty.
    std::uint64_t percentile(double q) const;
    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

private:
    // 32 linear sub-buckets per power of two bound the relative error to 1/32.
    static constexpr int kSubBits = 5;
    static constexpr int kSub = 1 << kSubBits;

    static std::size_t index(std::uint64_t value);
    static std::uint64_t upper_bound(std::size_t index);

    std::array<std::uint64_t, 64 * kSub> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;
};

}  // namespace smartlog::bench
