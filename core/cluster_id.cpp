#include "core/cluster_id.hpp"

#include <array>

#include "core/uuid_v7.hpp"

namespace smartlog::core {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Layout of the 128 bits: time (48) | version 7 (4) | offset's high 12 bits (rand_a) |
// variant 10 (2) | offset's low 30 bits | tag (32). The offset straddles the version and variant
// bits so that byte order is (time, offset, tag) order.
constexpr unsigned kOffsetLowBits = 30;

}  // namespace

std::uint32_t epoch_tag(std::string_view app_id, std::string_view epoch) noexcept {
    std::uint32_t h = 2166136261u;
    auto mix = [&h](std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 16777619u;
        }
    };
    mix(app_id);
    // A separator no app id ends with, so ("ab", "1") and ("a", "b1") differ.
    mix(std::string_view("\0", 1));
    mix(epoch);
    return h;
}

std::string make_cluster_id(const ClusterId& parts) {
    const std::uint64_t rand_a = (parts.offset >> kOffsetLowBits) & 0xFFF;
    const std::uint64_t rand_b =
        ((parts.offset & ((1ull << kOffsetLowBits) - 1)) << 32) | parts.tag;  // 62 bits
    return format_uuid_v7(static_cast<std::uint64_t>(parts.time_ms),
                          static_cast<std::uint32_t>(rand_a), rand_b);
}

std::optional<ClusterId> parse_cluster_id(std::string_view id) noexcept {
    if (id.size() != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-')
        return std::nullopt;
    std::array<std::uint8_t, 16> bytes{};
    std::size_t b = 0;
    for (std::size_t i = 0; i < id.size();) {
        if (id[i] == '-') {
            ++i;
            continue;
        }
        const int hi = hex_value(id[i]);
        const int lo = hex_value(id[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        bytes[b++] = static_cast<std::uint8_t>(hi << 4 | lo);
        i += 2;
    }
    if ((bytes[6] >> 4) != 7 || (bytes[8] >> 6) != 2) return std::nullopt;
    ClusterId out;
    std::uint64_t ts = 0;
    for (int i = 0; i < 6; ++i) ts = ts << 8 | bytes[i];
    out.time_ms = static_cast<std::int64_t>(ts);
    const std::uint64_t rand_a = static_cast<std::uint64_t>(bytes[6] & 0x0F) << 8 | bytes[7];
    std::uint64_t rand_b = bytes[8] & 0x3F;
    for (int i = 9; i < 16; ++i) rand_b = rand_b << 8 | bytes[i];
    out.offset = rand_a << kOffsetLowBits | (rand_b >> 32);
    out.tag = static_cast<std::uint32_t>(rand_b & 0xFFFF'FFFFu);
    return out;
}

}  // namespace smartlog::core
