#include "bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace smartlog::bench {

std::size_t Histogram::index(std::uint64_t value) {
    if (value < kSub) return static_cast<std::size_t>(value);
    const int exponent = 63 - std::countl_zero(value);  // >= kSubBits here
    const auto sub = (value >> (exponent - kSubBits)) & (kSub - 1);
    return static_cast<std::size_t>(exponent - kSubBits + 1) * kSub + sub;
}

std::uint64_t Histogram::upper_bound(std::size_t index) {
    if (index < kSub) return index;
    const int exponent = static_cast<int>(index / kSub) + kSubBits - 1;
    const std::uint64_t sub = index % kSub;
    const std::uint64_t lower = (kSub + sub) << (exponent - kSubBits);
    return lower + ((std::uint64_t{1} << (exponent - kSubBits)) - 1);
}

void Histogram::record(std::uint64_t value) {
    ++counts_[index(value)];
    ++count_;
    sum_ += value;
    max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::min(upper_bound(i), max_);
    }
    return max_;
}

}  // namespace smartlog::bench
