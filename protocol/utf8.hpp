// protocol/utf8.hpp: UTF-8 well-formedness, byte by byte, for text that did not come through a
// JSON parser (log lines, protobuf strings) and for the escaping of such text. Pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace smartlog::protocol {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when the bytes there are not one
// (Unicode 15, table 3-7: no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF).
// REQUIRES: i < s.size().
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return n;
}

}  // namespace smartlog::protocol
