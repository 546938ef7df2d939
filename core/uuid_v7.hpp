// core/uuid_v7.hpp: the text of a UUIDv7 (RFC 9562) from its three fields, shared by the
// single-node id generator and the cluster's decodable ids.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace smartlog::core {

// The 36 characters of an id, in a value: the ingest path makes one per entry without the heap.
using UuidText = std::array<char, 36>;

// `ms`: the 48-bit Unix time in milliseconds; `rand_a`: 12 bits; `rand_b`: 62 bits. Lower-case
// hex in the 8-4-4-4-12 form, so that ids compare as strings in field order.
inline UuidText format_uuid_v7_text(std::uint64_t ms, std::uint32_t rand_a,
                                    std::uint64_t rand_b) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::uint64_t ts = ms & 0xFFFF'FFFF'FFFFull;
    std::array<std::uint8_t, 16> bytes{};
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ts >> (8 * (5 - i)));
    bytes[6] = static_cast<std::uint8_t>(0x70 | ((rand_a >> 8) & 0x0F));
    bytes[7] = static_cast<std::uint8_t>(rand_a & 0xFF);
    bytes[8] = static_cast<std::uint8_t>(0x80 | ((rand_b >> 56) & 0x3F));
    for (int i = 9; i < 16; ++i) bytes[i] = static_cast<std::uint8_t>(rand_b >> (8 * (15 - i)));

    UuidText text;
    char* p = text.data();
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = kHex[bytes[i] >> 4];
        *p++ = kHex[bytes[i] & 0xF];
    }
    return text;
}

inline std::string format_uuid_v7(std::uint64_t ms, std::uint32_t rand_a, std::uint64_t rand_b) {
    const UuidText text = format_uuid_v7_text(ms, rand_a, rand_b);
    return std::string(text.data(), text.size());
}

}  // namespace smartlog::core
