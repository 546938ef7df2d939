#include "protocol/timestamp.hpp"

#include <chrono>
#include <cmath>
#include <limits>

namespace smartlog::protocol {

namespace {

class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}
    bool digits(int count, int& out) {
        out = 0;
        for (int i = 0; i < count; ++i) {
            if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return false;
            out = out * 10 + (s_[pos_++] - '0');
        }
        return true;
    }
    bool take(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool at_end() const { return pos_ == s_.size(); }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void skip() { ++pos_; }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
    Cursor c(text);
    int year, month, day, hour, minute, second = 0;
    if (!c.digits(4, year) || !c.take('-') || !c.digits(2, month) || !c.take('-') ||
        !c.digits(2, day)) {
        return std::nullopt;
    }
    if (!c.take('T') && !c.take(' ')) return std::nullopt;
    if (!c.digits(2, hour) || !c.take(':') || !c.digits(2, minute)) return std::nullopt;
    if (c.take(':') && !c.digits(2, second)) return std::nullopt;
    int millis = 0;
    if (c.take('.') || c.take(',')) {
        int scale = 100, digit = 0, seen = 0;
        while (c.peek() >= '0' && c.peek() <= '9') {
            c.digits(1, digit);
            millis += digit * scale;
            scale /= 10;
            ++seen;
        }
        if (seen == 0) return std::nullopt;
    }
    int offset_minutes = 0;
    if (c.take('Z') || c.take('z')) {
    } else if (c.peek() == '+' || c.peek() == '-') {
        const int sign = c.peek() == '-' ? -1 : 1;
        c.skip();
        int oh, om = 0;
        if (!c.digits(2, oh)) return std::nullopt;
        c.take(':');
        if (!c.at_end() && !c.digits(2, om)) return std::nullopt;
        offset_minutes = sign * (oh * 60 + om);
    }
    if (!c.at_end()) return std::nullopt;
    if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return std::nullopt;

    using namespace std::chrono;
    const year_month_day ymd{std::chrono::year{year},
                             std::chrono::month{static_cast<unsigned>(month)},
                             std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return std::nullopt;
    const auto days_since_epoch = sys_days{ymd}.time_since_epoch().count();
    const std::int64_t seconds = static_cast<std::int64_t>(days_since_epoch) * 86400 + hour * 3600 +
                                 minute * 60 + second - offset_minutes * 60;
    return seconds * 1000 + millis;
}

std::optional<std::int64_t> millis_of(std::int64_t i) noexcept { return i; }

std::optional<std::int64_t> millis_of(std::uint64_t u) noexcept {
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    return static_cast<std::int64_t>(u);
}

std::optional<std::int64_t> millis_of(double d) noexcept {
    if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return std::nullopt;
    return static_cast<std::int64_t>(d);
}

}  // namespace smartlog::protocol
