// protocol/entry_scanner.cpp: scan_entries (protocol/entry_parser.hpp), the entries of a `logs`
// frame or HTTP body read in one pass over the text by recursive descent over the shapes
// docs/protocol.md names, with the same rules (protocol/entry_rules.hpp) and the same answer as
// the event parser (protocol/entry_events.cpp), which the tests and the codec fuzzer hold it to.
//
// Why it is faster: strings, most of the bytes, are searched sixteen bytes at a time for their
// end; the structure's keys are compared where they stand, with no event per token; and an
// entry's metadata that is already compact JSON without escapes (what JSON.stringify sends) is
// checked and then copied in one piece instead of being written out token by token.
//
// It validates everything it reads as Boost.JSON does (RFC 8259, nesting at most 64 deep,
// UTF-8 unless the caller checked it); what it is not sure to judge alike it refuses, and
// parse_entries then asks the event parser (see entry_parser.hpp).
#include <boost/json/parse.hpp>
#include <cstring>
#include <optional>
#include <simdjson.h>

#include "core/json_text.hpp"
#include "protocol/encode.hpp"
#include "protocol/entry_parser.hpp"
#include "protocol/entry_rules.hpp"
#include "protocol/timestamp.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace smartlog::protocol {

namespace {

using entry_rules::Flag;
using entry_rules::Keys;
using entry_rules::Seen;

// Boost.JSON's parse_options::max_depth as the event parser sets it.
constexpr int kMaxDepth = 64;
// Numbers the scanner leaves to the event parser, which alone knows when Boost.JSON refuses
// one for `exponent_overflow`: both bounds are far from that (2^31) and from real producers.
constexpr std::size_t kMaxExponentDigits = 9;
constexpr std::ptrdiff_t kMaxNumberChars = 1000;

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline bool special(unsigned char c) { return c == '"' || c == '\\' || c < 0x20; }

// The first '"', '\\' or control character at or after `p`, or `end`.
inline const char* find_special(const char* p, const char* end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        // x <= 0x1F, unsigned: min(x, 0x1F) == x.
        const __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                         _mm_cmpeq_epi8(_mm_min_epu8(x, control), x));
        if (const int bits = _mm_movemask_epi8(hit)) return p + __builtin_ctz(bits);
        p += 16;
    }
#endif
    while (p < end && !special(static_cast<unsigned char>(*p))) ++p;
    return p;
}

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

using core::json_text::append_utf8;

// A string's text: a view of the input when it held no escape (`plain`), else decoded into the
// caller's buffer.
struct Text {
    std::string_view text;
    bool plain = true;
};

// The rest of read_string() below, from the first escape (or control character) at `q` on.
bool read_escaped_string(const char*& p, const char* q, const char* end, std::string& buffer,
                         Text& out) {
    const char* const begin = p + 1;
    buffer.assign(begin, static_cast<std::size_t>(q - begin));
    for (;;) {
        if (q == end || *q != '\\') return false;  // a control character, or no closing quote
        if (end - q < 2) return false;
        switch (q[1]) {
            case '"': buffer.push_back('"'); break;
            case '\\': buffer.push_back('\\'); break;
            case '/': buffer.push_back('/'); break;
            case 'b': buffer.push_back('\b'); break;
            case 'f': buffer.push_back('\f'); break;
            case 'n': buffer.push_back('\n'); break;
            case 'r': buffer.push_back('\r'); break;
            case 't': buffer.push_back('\t'); break;
            case 'u': {
                auto hex4 = [&](const char* at) -> int {
                    if (end - at < 4) return -1;
                    int v = 0;
                    for (int i = 0; i < 4; ++i) {
                        const int d = hex_value(at[i]);
                        if (d < 0) return -1;
                        v = v * 16 + d;
                    }
                    return v;
                };
                const int u1 = hex4(q + 2);
                if (u1 < 0) return false;
                if (u1 < 0xD800 || u1 > 0xDFFF) {
                    append_utf8(buffer, static_cast<unsigned>(u1));
                    q += 6;
                    goto next;
                }
                // A surrogate pair, as Boost.JSON takes it: a leading one, then a trailing one.
                if (u1 > 0xDBFF || end - q < 8 || q[6] != '\\' || q[7] != 'u') return false;
                const int u2 = hex4(q + 8);
                if (u2 < 0xDC00 || u2 > 0xDFFF) return false;
                append_utf8(buffer, 0x10000 + ((static_cast<unsigned>(u1) - 0xD800) << 10) +
                                        (static_cast<unsigned>(u2) - 0xDC00));
                q += 12;
                goto next;
            }
            default: return false;
        }
        q += 2;
    next:
        const char* run = q;
        q = find_special(q, end);
        buffer.append(run, q);
        if (q == end) return false;
        if (*q == '"') break;
    }
    out = {buffer, false};
    p = q + 1;
    return true;
}

// Reads the string whose opening quote is at `p`; leaves `p` after its closing quote. Inline:
// most strings have no escape and end at the first special byte.
inline bool read_string(const char*& p, const char* end, std::string& buffer, Text& out) {
    const char* const begin = p + 1;
    const char* const q = find_special(begin, end);
    if (q != end && *q == '"') {
        out = {{begin, static_cast<std::size_t>(q - begin)}, true};
        p = q + 1;
        return true;
    }
    return read_escaped_string(p, q, end, buffer, out);
}

// The value `token` as the event parser would hand it over (int64, uint64 or double): most
// timestamps, digits that fit in int64, directly; others through Boost.JSON's own reading.
template <class Use>
auto with_number(std::string_view token, Use&& use) {
    const bool negative = token.front() == '-';
    const std::string_view digits = token.substr(negative ? 1 : 0);
    if (digits.size() <= 18 && digits.find_first_not_of("0123456789") == std::string_view::npos) {
        std::int64_t value = 0;
        for (char c : digits) value = value * 10 + (c - '0');
        return use(negative ? -value : value);
    }
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(token, ec);
    if (v.is_uint64()) return use(v.get_uint64());
    if (v.is_double()) return use(v.get_double());
    return use(v.is_int64() ? v.get_int64() : std::int64_t{0});
}

std::string ref_of(std::int64_t i) { return std::to_string(i); }
std::string ref_of(std::uint64_t u) { return std::to_string(u); }
std::string ref_of(double d) { return finite_json_number(d); }

// Where the text's entries stand: recursive descent over the layout's structure (frame, data,
// array, entry, encryption), every other value read by value() to check it (and, inside
// metadata, to know whether it is already compact).
class Scanner {
public:
    Scanner(std::string_view text, EntryLayout layout, const Limits& limits,
            std::size_t first_index)
        : p_(text.data()),
          end_(text.data() + text.size()),
          layout_(layout),
          limits_(limits),
          next_index_(first_index) {
        if (layout == EntryLayout::single_entry) out_.result.entries_found = true;
    }

    bool run() {
        skip_space();
        bool ok = false;
        switch (layout_) {
            case EntryLayout::logs_frame: ok = peek() == '{' ? frame() : skip(); break;
            case EntryLayout::ingest_body:
                ok = peek() == '{' ? logs_holder() : peek() == '[' ? entries() : skip();
                break;
            case EntryLayout::single_entry:
                if (peek() == '{') {
                    ok = entry();
                } else {
                    out_.refuse_element(next_index_++);
                    ok = skip();
                }
                break;
        }
        if (!ok) return false;
        skip_space();
        return p_ == end_;
    }

    ParsedEntries take() { return out_.take(); }

private:
    char peek() const { return p_ < end_ ? *p_ : '\0'; }

    // Skips JSON whitespace; true when there was some.
    bool skip_space() {
        const char* const from = p_;
        while (p_ < end_ && is_space(*p_)) ++p_;
        return p_ != from;
    }

    bool string(Text& out, std::string& buffer) {
        return peek() == '"' && read_string(p_, end_, buffer, out);
    }

    bool literal(std::string_view word) {
        if (end_ - p_ < static_cast<std::ptrdiff_t>(word.size()) ||
            std::memcmp(p_, word.data(), word.size()) != 0)
            return false;
        p_ += word.size();
        return true;
    }

    bool number(std::string_view& token) {
        const char* p = p_;
        const char* const end = end_;
        auto digits = [&] {
            while (p < end && is_digit(*p)) ++p;
        };
        if (p < end && *p == '-') ++p;
        if (p == end) return false;
        if (*p == '0') {
            ++p;
        } else if (*p >= '1' && *p <= '9') {
            digits();
        } else {
            return false;
        }
        if (p < end && *p == '.') {
            ++p;
            if (p == end || !is_digit(*p)) return false;
            digits();
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            ++p;
            if (p < end && (*p == '+' || *p == '-')) ++p;
            if (p == end || !is_digit(*p)) return false;
            while (p < end && *p == '0') ++p;
            const char* const significant = p;
            digits();
            if (static_cast<std::size_t>(p - significant) > kMaxExponentDigits) return false;
        }
        if (p - p_ > kMaxNumberChars) return false;
        token = {p_, static_cast<std::size_t>(p - p_)};
        p_ = p;
        return true;
    }

    // What a value's text holds beyond compact JSON: metadata is kept as compact JSON.
    struct Shape {
        bool spaced = false;   // whitespace between tokens
        bool escaped = false;  // a string (or key) with an escape, which is written out afresh
    };

    // Any value, checked, and what its text holds. One loop over its tokens with the kinds of
    // its open containers in a word, rather than a call per token: most of an entry's tokens
    // are in its metadata.
    bool value(Shape& shape) {
        const char* p = p_;
        const char* const end = end_;
        std::uint64_t objects =
            0;         // bit i: the container opened i-th (and still open) is an object
        int open = 0;  // containers opened here and not closed; depth_ counts them too
        auto space = [&] {
            if (p < end && static_cast<unsigned char>(*p) <= ' ' && is_space(*p)) {
                shape.spaced = true;
                do ++p;
                while (p < end && is_space(*p));
            }
        };
        auto string = [&] {
            Text text;
            if (!read_string(p, end, scratch_, text)) return false;
            if (!text.plain) shape.escaped = true;
            return true;
        };
        auto key = [&] {  // "key" : (and the whitespace around), before a member's value
            if (p == end || *p != '"' || !string()) return false;
            space();
            if (p == end || *p != ':') return false;
            ++p;
            space();
            return true;
        };
        auto word = [&](std::string_view w) {
            if (end - p < static_cast<std::ptrdiff_t>(w.size()) ||
                std::memcmp(p, w.data(), w.size()) != 0)
                return false;
            p += w.size();
            return true;
        };
        for (;;) {
            // A value starts at p.
            if (p == end) return false;
            switch (*p) {
                case '{':
                case '[': {
                    const bool object = *p == '{';
                    if (++depth_ > kMaxDepth) return false;
                    ++p;
                    space();
                    if (p < end && *p == (object ? '}' : ']')) {
                        ++p;
                        --depth_;
                        break;  // empty: a whole value
                    }
                    objects =
                        (objects & ~(std::uint64_t{1} << open)) | (std::uint64_t{object} << open);
                    ++open;
                    if (object && !key()) return false;
                    continue;  // its first element's value
                }
                case '"':
                    if (!string()) return false;
                    break;
                case 't':
                    if (!word("true")) return false;
                    break;
                case 'f':
                    if (!word("false")) return false;
                    break;
                case 'n':
                    if (!word("null")) return false;
                    break;
                default: {
                    p_ = p;
                    std::string_view token;
                    if (!number(token)) return false;
                    p = p_;
                    break;
                }
            }
            // A value ended at p: close what it ends, or go on to the next element.
            for (;;) {
                if (open == 0) {
                    p_ = p;
                    return true;
                }
                space();
                if (p == end) return false;
                const bool object = (objects >> (open - 1)) & 1;
                if (*p == ',') {
                    ++p;
                    space();
                    if (object && !key()) return false;
                    break;
                }
                if (*p != (object ? '}' : ']')) return false;
                ++p;
                --open;
                --depth_;
            }
        }
    }
    bool skip() {
        Shape shape;
        return value(shape);
    }

    // An object: `member(key)` reads each member's value, standing on its first character.
    template <class Member>
    bool object(Shape& shape, Member&& member) {
        if (++depth_ > kMaxDepth) return false;
        ++p_;
        if (skip_space()) shape.spaced = true;
        if (peek() == '}') {
            ++p_;
            --depth_;
            return true;
        }
        for (;;) {
            Text key;
            if (!string(key, key_buffer_)) return false;
            if (!key.plain) shape.escaped = true;
            if (skip_space()) shape.spaced = true;
            if (peek() != ':') return false;
            ++p_;
            if (skip_space()) shape.spaced = true;
            if (!member(key.text)) return false;
            if (skip_space()) shape.spaced = true;
            if (peek() == ',') {
                ++p_;
                if (skip_space()) shape.spaced = true;
                continue;
            }
            if (peek() != '}') return false;
            ++p_;
            --depth_;
            return true;
        }
    }
    template <class Element>
    bool array(Shape& shape, Element&& element) {
        if (++depth_ > kMaxDepth) return false;
        ++p_;
        if (skip_space()) shape.spaced = true;
        if (peek() == ']') {
            ++p_;
            --depth_;
            return true;
        }
        for (;;) {
            if (!element()) return false;
            if (skip_space()) shape.spaced = true;
            if (peek() == ',') {
                ++p_;
                if (skip_space()) shape.spaced = true;
                continue;
            }
            if (peek() != ']') return false;
            ++p_;
            --depth_;
            return true;
        }
    }
    template <class Member>
    bool object(Member&& member) {
        Shape shape;
        return object(shape, std::forward<Member>(member));
    }

    // {"type": ..., "ref": ..., "data": {...}}
    bool frame() {
        return object([&](std::string_view key) {
            if (key == "type") {
                Text text;
                if (peek() != '"') {
                    out_.result.type.clear();
                    return skip();
                }
                if (!string(text, scratch_)) return false;
                out_.result.type.assign(text.text);
                return true;
            }
            if (key == "ref") return ref();
            if (key == "data") {
                out_.lose_entries();
                out_.message_keys.reset();
                return peek() == '{' ? logs_holder() : skip();
            }
            return skip();
        });
    }

    // `ref` as JSON text when it is a string or a number, as replies echo it.
    bool ref() {
        std::string& ref = out_.result.ref;
        if (peek() == '"') {
            Text text;
            if (!string(text, scratch_)) return false;
            ref.clear();
            append_json_string(ref, text.text);
            return true;
        }
        if (peek() == '-' || is_digit(peek())) {
            std::string_view token;
            if (!number(token)) return false;
            ref = with_number(token, [](auto v) { return ref_of(v); });
            return true;
        }
        ref.clear();
        return skip();
    }

    // The object holding `logs` and maybe the message's `encryption`: a frame's `data`, or an
    // HTTP body {"logs": [...]}.
    bool logs_holder() {
        return object([&](std::string_view key) {
            if (key == "logs") {
                out_.lose_entries();
                return peek() == '[' ? entries() : skip();
            }
            if (key == "encryption") return encryption(out_.message_keys);
            return skip();
        });
    }

    bool entries() {
        out_.result.entries_found = true;
        next_index_ = 0;
        Shape shape;
        return array(shape, [&] {
            if (peek() == '{') return entry();
            out_.refuse_element(next_index_++);
            return skip();
        });
    }

    // What a scalar that is not the one a field wants makes of it: null is absent.
    bool other_value(Seen& seen) {
        seen = peek() == 'n' ? Seen::absent : Seen::other;
        return skip();
    }

    bool entry() {
        fields_.begin(next_index_++);
        const bool ok = object([&](std::string_view key) {
            switch (key.size()) {
                case 5:
                    if (key == "level") {
                        if (peek() != '"') return other_value(fields_.level);
                        Text text;
                        if (!string(text, scratch_)) return false;
                        fields_.level = Seen::string;
                        fields_.level_text.assign(text.text);
                        return true;
                    }
                    break;
                case 7:
                    if (key == "message") {
                        if (peek() != '"') return other_value(fields_.message);
                        Text text;
                        if (!string(text, scratch_)) return false;
                        fields_.message = Seen::string;
                        fields_.entry.message.assign(text.text);
                        fields_.entry.message_is_plain = text.plain;
                        return true;
                    }
                    break;
                case 8:
                    if (key == "metadata") return metadata();
                    break;
                case 9:
                    if (key == "timestamp") return timestamp();
                    if (key == "encrypted") return encrypted();
                    break;
                case 10:
                    if (key == "encryption") return encryption(fields_.keys);
                    break;
            }
            return skip();
        });
        if (!ok) return false;
        out_.finish_entry(fields_, limits_);
        return true;
    }

    bool timestamp() {
        if (peek() == '"') {
            Text text;
            if (!string(text, scratch_)) return false;
            fields_.timestamp = Seen::string;
            fields_.timestamp_ms = parse_iso8601_ms(text.text);
            return true;
        }
        if (peek() == '-' || is_digit(peek())) {
            std::string_view token;
            if (!number(token)) return false;
            fields_.timestamp = Seen::number;
            fields_.timestamp_ms = with_number(token, [](auto v) { return millis_of(v); });
            return true;
        }
        return other_value(fields_.timestamp);
    }

    bool encrypted() {
        Flag& flag = fields_.encrypted;
        switch (peek()) {
            case 't': flag = Flag::yes; return literal("true");
            case 'f': flag = Flag::no; return literal("false");
            case 'n': flag = Flag::absent; return literal("null");
            default: flag = Flag::other; return skip();
        }
    }

    // Metadata is kept as compact JSON text: the value's own text when it is compact already
    // (what JSON.stringify sends), else written out without whitespace and, when it has escapes,
    // with its strings escaped afresh.
    bool metadata() {
        const char* const begin = p_;
        Shape shape;
        if (!value(shape)) return false;
        fields_.metadata_present = true;
        std::string& out = fields_.entry.metadata;
        const std::string_view text(begin, static_cast<std::size_t>(p_ - begin));
        if (shape.escaped) {
            write_escaped(text, out);
        } else if (shape.spaced) {
            write_unspaced(text, out);
        } else {
            out.assign(text);
        }
        return true;
    }

    // `text`: a value value() has checked, without escapes. The result is never longer.
    static void write_unspaced(std::string_view text, std::string& out) {
        out.resize(text.size());
        char* w = out.data();
        const char* p = text.data();
        const char* const end = p + text.size();
        while (p < end) {
            if (*p == '"') {
                const char* const close = find_special(p + 1, end);  // the closing quote
                std::memcpy(w, p, static_cast<std::size_t>(close + 1 - p));
                w += close + 1 - p;
                p = close + 1;
            } else if (is_space(*p)) {
                ++p;
            } else {
                *w++ = *p++;
            }
        }
        out.resize(static_cast<std::size_t>(w - out.data()));
    }

    // `text`: a value value() has checked. Rare: strings that held escapes are decoded and
    // escaped again as the encoder does (append_json_string).
    void write_escaped(std::string_view text, std::string& out) {
        out.clear();
        const char* p = text.data();
        const char* const end = p + text.size();
        while (p < end) {
            if (*p == '"') {
                const char* const quote = p;
                Text s;
                read_string(p, end, scratch_, s);
                if (s.plain) {
                    out.append(quote, static_cast<std::size_t>(p - quote));
                } else {
                    append_json_string(out, s.text);
                }
            } else if (is_space(*p)) {
                ++p;
            } else {
                out.push_back(*p++);
            }
        }
    }

    // `encryption`, the entry's or the message's: an object {isEncrypted?, transmissionKey,
    // encryptedKey}; null says none; anything else is a malformed one.
    bool encryption(Keys& keys) {
        keys.reset();
        if (peek() == 'n') return skip();
        keys.present = true;
        if (peek() != '{') {
            keys.bad = true;
            return skip();
        }
        const bool ok = object([&](std::string_view key) {
            if (key == "isEncrypted") {
                switch (peek()) {
                    case 't': keys.is_encrypted = true; return literal("true");
                    case 'f': keys.is_encrypted = false; return literal("false");
                    case 'n': return skip();
                    default: keys.bad = true; return skip();
                }
            }
            const bool transmission = key == "transmissionKey";
            if (transmission || key == "encryptedKey") {
                if (peek() == 'n') return skip();
                if (peek() != '"') {
                    keys.bad = true;
                    return skip();
                }
                Text text;
                if (!string(text, scratch_)) return false;
                (transmission ? keys.transmission_key : keys.encrypted_key).emplace(text.text);
                return true;
            }
            return skip();
        });
        if (!ok) return false;
        keys.finish();
        return true;
    }

    const char* p_;
    const char* const end_;
    EntryLayout layout_;
    const Limits& limits_;
    std::size_t next_index_;
    int depth_ = 0;
    entry_rules::Collected out_;
    entry_rules::EntryFields fields_;
    std::string key_buffer_, scratch_;  // decoded keys and strings that held escapes
};

}  // namespace

std::optional<ParsedEntries> scan_entries(std::string_view text, EntryLayout layout,
                                          const Limits& limits, const EntryParseOptions& options) {
    if (!options.utf8_checked && !simdjson::validate_utf8(text.data(), text.size()))
        return std::nullopt;
    Scanner scanner(text, layout, limits, options.first_index);
    if (!scanner.run()) return std::nullopt;
    return scanner.take();
}

}  // namespace smartlog::protocol
