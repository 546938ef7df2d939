#include "core/id_generator.hpp"

namespace smartlog::core {

namespace {

constexpr std::uint32_t kCounterMax = 0xFFF;

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

IdGenerator::IdGenerator() : random_(std::random_device{}()) {}

std::string IdGenerator::next(std::int64_t now_ms) {
    const Text text = next_text(now_ms);
    return std::string(text.data(), text.size());
}

IdGenerator::Text IdGenerator::next_text(std::int64_t now_ms) {
    if (now_ms > last_ms_) {
        last_ms_ = now_ms;
        counter_ = 0;
    } else if (++counter_ > kCounterMax) {
        // More than 4096 ids in one millisecond: borrow the next millisecond.
        ++last_ms_;
        counter_ = 0;
    }
    const std::uint64_t rand_b = random_() & 0x3FFF'FFFF'FFFF'FFFFull;
    return format_uuid_v7_text(static_cast<std::uint64_t>(last_ms_), counter_, rand_b);
}

void IdGenerator::observe(std::string_view id) {
    const std::int64_t ts = timestamp_of(id);
    if (ts < 0) return;
    std::uint32_t counter = 0;
    for (int i = 15; i < 18; ++i)
        counter = counter * 16 + static_cast<std::uint32_t>(hex_value(id[i]));
    if (ts > last_ms_ || (ts == last_ms_ && counter > counter_)) {
        last_ms_ = ts;
        counter_ = counter;
    }
}

std::int64_t IdGenerator::timestamp_of(std::string_view id) noexcept {
    if (id.size() != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' || id[18] != '-' ||
        id[23] != '-') {
        return -1;
    }
    std::int64_t ts = 0;
    for (std::size_t i = 0; i < 13; ++i) {
        if (i == 8) continue;
        const int v = hex_value(id[i]);
        if (v < 0) return -1;
        ts = ts * 16 + v;
    }
    return ts;
}

}  // namespace smartlog::core
