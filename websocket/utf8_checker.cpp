// websocket/utf8_checker.cpp: Beast's UTF-8 check of received text frames (RFC 6455 8.1: a
// text message that is not UTF-8 fails the connection with 1007), defined here instead of by
// Beast (websocket/beast.cpp leaves its definition out).
//
// Why: Boost 1.81's checker reads eight bytes at a time only until the first non-ASCII byte of
// each buffer it is given and goes one code point at a time from there to the buffer's end, so
// one `é` early in a 64 KiB read made the whole read slow (about 10 instructions per byte).
// Here each buffer's complete code points go to simdjson's validator, which reads 32 or 64
// bytes at a time whatever they hold. What Beast's checker does beyond that is kept: a code
// point split between two reads is completed from the next one, and a partial one is judged as
// far as it goes ("fail fast", the Autobahn test suite's 6.4 cases), so an invalid byte closes
// the connection as soon as it arrives. Both accept exactly well-formed UTF-8 (Unicode table
// 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
#include <algorithm>
#include <boost/beast/websocket/detail/utf8_checker.hpp>
#include <boost/version.hpp>
#include <simdjson.h>

// The members below are those of Boost 1.81's utf8_checker (need_, p_, cp_); websocket/beast.cpp
// compiles Beast's own definition for any other version.
#if BOOST_VERSION == 108100

namespace boost::beast::websocket::detail {

namespace {

// How many bytes the sequence led by `lead` has; 0 when `lead` cannot start one.
std::size_t sequence_length(std::uint8_t lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

// Whether the first `n` bytes of a sequence led by p[0] can still be, or are, well-formed.
bool prefix_valid(const std::uint8_t* p, std::size_t n) {
    const std::size_t length = sequence_length(p[0]);
    if (length == 0 || n > length) return false;
    if (n >= 2) {
        std::uint8_t lo = 0x80, hi = 0xBF;
        if (p[0] == 0xE0) lo = 0xA0;  // overlong
        if (p[0] == 0xED) hi = 0x9F;  // UTF-16 surrogates
        if (p[0] == 0xF0) lo = 0x90;  // overlong
        if (p[0] == 0xF4) hi = 0x8F;  // above U+10FFFF
        if (p[1] < lo || p[1] > hi) return false;
    }
    for (std::size_t i = 2; i < n; ++i) {
        if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    return true;
}

}  // namespace

void utf8_checker::reset() {
    need_ = 0;
    p_ = cp_;
}

bool utf8_checker::finish() {
    const bool complete = need_ == 0;
    reset();
    return complete;
}

bool utf8_checker::write(std::uint8_t const* in, std::size_t size) {
    // A code point the previous buffer ended inside of.
    if (need_ > 0) {
        const std::size_t n = std::min(size, need_);
        p_ = std::copy_n(in, n, p_);
        in += n;
        size -= n;
        need_ -= n;
        if (!prefix_valid(cp_, static_cast<std::size_t>(p_ - cp_))) return false;
        if (need_ > 0) return true;
        p_ = cp_;
    }
    // This buffer's last code point may go on in the next: it is kept aside and judged as far
    // as it goes. Its lead byte is among the last three bytes (a sequence is at most four).
    std::size_t whole = size;
    for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
        const std::uint8_t c = in[size - back];
        if ((c & 0xC0) == 0x80) continue;  // a continuation byte: its lead is further back
        const std::size_t length = sequence_length(c);
        if (length > back) whole = size - back;
        break;
    }
    if (!simdjson::validate_utf8(reinterpret_cast<const char*>(in), whole)) return false;
    const std::size_t partial = size - whole;
    if (partial == 0) return true;
    p_ = std::copy_n(in + whole, partial, cp_);
    need_ = sequence_length(cp_[0]) - partial;
    return prefix_valid(cp_, partial);
}

bool check_utf8(char const* p, std::size_t n) {
    utf8_checker checker;
    if (!checker.write(reinterpret_cast<const std::uint8_t*>(p), n)) return false;
    return checker.finish();
}

}  // namespace boost::beast::websocket::detail

#endif  // BOOST_VERSION == 108100
