#include "core/json_text.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace smartlog::core::json_text {

namespace {

// The bytes Boost.JSON escapes in a string: '"', '\\' and control characters.
constexpr std::array<bool, 256> kEscaped = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = true;
    table['"'] = table['\\'] = true;
    return table;
}();

// The second byte of a two-byte escape, 'u' for the six-byte ones, 0 for no escape.
constexpr std::array<char, 256> kEscapeLetter = [] {
    std::array<char, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = 'u';
    table['\b'] = 'b';
    table['\t'] = 't';
    table['\n'] = 'n';
    table['\f'] = 'f';
    table['\r'] = 'r';
    table['"'] = '"';
    table['\\'] = '\\';
    return table;
}();

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The four hex digits at `p` (REQUIRES: four bytes readable), or -1.
long hex4(const char* p) noexcept {
    long v = 0;
    for (int i = 0; i < 4; ++i) {
        const int d = hex_value(p[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

}  // namespace

void append_utf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// This scan reads every byte of most strings the server writes (entries, ids, names), so it
// tests sixteen bytes at a time with SSE2, which every x86-64 has: a byte is a control
// character when min(byte, 0x1F) == byte, unsigned. Elsewhere, eight at a time: the "has a byte
// less than n" and "has a zero byte" word tricks (exact for n <= 128); bytes >= 0x80 never
// match either way.
bool needs_escape(std::string_view s) noexcept {
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i last_control = _mm_set1_epi8(0x1F);
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i hits =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                         _mm_cmpeq_epi8(_mm_min_epu8(v, last_control), v));
        if (_mm_movemask_epi8(hits) != 0) return true;
    }
#endif
    constexpr std::uint64_t kOnes = 0x0101010101010101ull;
    constexpr std::uint64_t kHighs = 0x8080808080808080ull;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        const std::uint64_t quote = w ^ (kOnes * '"');
        const std::uint64_t backslash = w ^ (kOnes * '\\');
        const std::uint64_t hits = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                                   ((backslash - kOnes) & ~backslash);
        if (hits & kHighs) return true;
    }
    for (; i < s.size(); ++i) {
        if (kEscaped[static_cast<unsigned char>(s[i])]) return true;
    }
    return false;
}

std::size_t escaped_size(std::string_view s) noexcept {
    std::size_t size = s.size();
    for (char c : s) {
        const char letter = kEscapeLetter[static_cast<unsigned char>(c)];
        if (letter) size += letter == 'u' ? 5 : 1;
    }
    return size;
}

char* write_escaped(char* out, std::string_view s) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t run = 0;  // bytes copied as they are, in runs
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        const char letter = kEscapeLetter[c];
        if (!letter) continue;
        std::memcpy(out, s.data() + run, i - run);
        out += i - run;
        run = i + 1;
        *out++ = '\\';
        *out++ = letter;
        if (letter == 'u') {
            *out++ = '0';
            *out++ = '0';
            *out++ = kHex[c >> 4];
            *out++ = kHex[c & 15];
        }
    }
    std::memcpy(out, s.data() + run, s.size() - run);
    return out + (s.size() - run);
}

bool append_unescaped(std::string_view s, std::string& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t slash = s.find('\\', i);
        if (slash == std::string_view::npos) {
            out.append(s.substr(i));
            return true;
        }
        out.append(s.substr(i, slash - i));
        if (slash + 1 >= s.size()) return false;
        const char letter = s[slash + 1];
        i = slash + 2;
        switch (letter) {
            case '"': out.push_back('"'); continue;
            case '\\': out.push_back('\\'); continue;
            case '/': out.push_back('/'); continue;
            case 'b': out.push_back('\b'); continue;
            case 'f': out.push_back('\f'); continue;
            case 'n': out.push_back('\n'); continue;
            case 'r': out.push_back('\r'); continue;
            case 't': out.push_back('\t'); continue;
            case 'u': break;
            default: return false;
        }
        if (i + 4 > s.size()) return false;
        long cp = hex4(s.data() + i);
        if (cp < 0) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            const long low = hex4(s.data() + i + 2);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                i += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        append_utf8(out, static_cast<unsigned long>(cp));
    }
    return true;
}

std::size_t string_end(std::string_view text, std::size_t at) noexcept {
    std::size_t i = at;
    for (;;) {
#if defined(__SSE2__)
        // Sixteen bytes at a time to the next quote or backslash: most strings have neither.
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i backslash = _mm_set1_epi8('\\');
        for (; i + 16 <= text.size(); i += 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
            const int hits = _mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
            if (hits != 0) {
                i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(hits)));
                break;
            }
        }
#endif
        for (; i < text.size() && text[i] != '"' && text[i] != '\\'; ++i) {
        }
        if (i >= text.size()) return npos;
        if (text[i] == '"') return i;
        i += 2;  // the escaped byte, whatever it is, is not a closing quote
    }
}

std::size_t value_end(std::string_view text, std::size_t at) noexcept {
    if (at >= text.size()) return npos;
    const char first = text[at];
    if (first == '"') {
        const std::size_t close = string_end(text, at + 1);
        return close == npos ? npos : close + 1;
    }
    if (first != '{' && first != '[') {
        // A number, true, false or null: up to what follows a value in compact JSON.
        std::size_t i = at;
        while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']') ++i;
        return i;
    }
    int depth = 0;
    for (std::size_t i = at; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            i = string_end(text, i + 1);
            if (i == npos) return npos;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
        }
    }
    return npos;
}

}  // namespace smartlog::core::json_text
