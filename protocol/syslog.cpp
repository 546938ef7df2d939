#include "protocol/syslog.hpp"

#include <cctype>
#include <ctime>
#include <fmt/format.h>

#include "protocol/ingest_common.hpp"
#include "protocol/timestamp.hpp"

namespace smartlog::protocol {

namespace {

constexpr const char* kFacilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};

// Reads one space-free token; advances past it (not past the space).
std::string_view token(std::string_view& rest) {
    const auto sp = rest.find(' ');
    const std::string_view t = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
    return t;
}

bool eat_space(std::string_view& rest) {
    if (rest.empty() || rest.front() != ' ') return false;
    rest.remove_prefix(1);
    return true;
}

struct Fields {
    std::string_view format;
    int facility = 0;
    std::string_view hostname, app_name, procid, msgid;
    std::string structured_data;  // JSON object text, empty when none
};

std::string metadata_json(const Fields& f) {
    std::string out;
    JsonObjectWriter obj(out);
    const auto put = [&](std::string_view key, std::string_view value) {
        if (!value.empty() && value != "-") obj.string(key, value);
    };
    put("hostname", f.hostname);
    put("appName", f.app_name);
    put("procid", f.procid);
    put("msgid", f.msgid);
    obj.string("facility", kFacilities[f.facility]);
    if (!f.structured_data.empty()) obj.raw("structuredData", f.structured_data);
    obj.string("format", f.format);
    obj.close();
    return out;
}

// RFC 5424 STRUCTURED-DATA: "-" or [id name="value" ...]... as {"id": {"name": "value"}}.
bool parse_structured_data(std::string_view& rest, std::string& out) {
    if (!rest.empty() && rest.front() == '-') {
        rest.remove_prefix(1);
        return true;
    }
    JsonObjectWriter elements(out);
    while (!rest.empty() && rest.front() == '[') {
        rest.remove_prefix(1);
        const auto id_end = rest.find_first_of(" ]");
        if (id_end == 0 || id_end == std::string_view::npos) return false;
        std::string& element = elements.key(rest.substr(0, id_end));
        rest.remove_prefix(id_end);
        JsonObjectWriter params(element);
        while (!rest.empty() && rest.front() == ' ') {
            rest.remove_prefix(1);
            const auto eq = rest.find('=');
            if (eq == 0 || eq == std::string_view::npos ||
                rest.substr(0, eq).find_first_of(" ]\"") != std::string_view::npos)
                return false;
            const std::string_view name = rest.substr(0, eq);
            rest.remove_prefix(eq + 1);
            if (rest.empty() || rest.front() != '"') return false;
            rest.remove_prefix(1);
            std::string value;
            bool closed = false;
            while (!rest.empty()) {
                const char c = rest.front();
                rest.remove_prefix(1);
                if (c == '"') {
                    closed = true;
                    break;
                }
                // Only \", \\ and \] are escapes (RFC 5424 6.3.3); any other backslash is itself.
                if (c == '\\' && !rest.empty() &&
                    (rest.front() == '"' || rest.front() == '\\' || rest.front() == ']')) {
                    value += rest.front();
                    rest.remove_prefix(1);
                } else {
                    value += c;
                }
            }
            if (!closed) return false;
            params.string(name, value);
        }
        if (rest.empty() || rest.front() != ']') return false;
        rest.remove_prefix(1);
        params.close();
    }
    if (elements.empty()) return false;
    elements.close();
    return true;
}

// RFC 3164's "Mmm dd hh:mm:ss" in the server's local time, in the year that puts it nearest
// before `now_ms` (the format has no year).
std::optional<std::int64_t> parse_bsd_timestamp(std::string_view t, std::int64_t now_ms) {
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (t.size() != 15 || t[3] != ' ' || t[6] != ' ' || t[9] != ':' || t[12] != ':')
        return std::nullopt;
    int month = -1;
    for (int i = 0; i < 12; ++i) {
        if (t.substr(0, 3) == kMonths[i]) month = i;
    }
    const auto digit = [&](std::size_t i) {
        return std::isdigit(static_cast<unsigned char>(t[i])) ? t[i] - '0' : -1;
    };
    const int d1 = t[4] == ' ' ? 0 : digit(4), d2 = digit(5);
    const int h1 = digit(7), h2 = digit(8), m1 = digit(10), m2 = digit(11), s1 = digit(13),
              s2 = digit(14);
    if (month < 0 || d1 < 0 || d2 < 0 || h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0 || s1 < 0 || s2 < 0)
        return std::nullopt;
    std::tm tm{};
    tm.tm_mon = month;
    tm.tm_mday = d1 * 10 + d2;
    tm.tm_hour = h1 * 10 + h2;
    tm.tm_min = m1 * 10 + m2;
    tm.tm_sec = s1 * 10 + s2;
    if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return std::nullopt;
    const std::time_t now = static_cast<std::time_t>(now_ms / 1000);
    std::tm local{};
    localtime_r(&now, &local);
    tm.tm_isdst = -1;
    tm.tm_year = local.tm_year;
    std::time_t at = std::mktime(&tm);
    // A December message read in January belongs to last year.
    if (at != -1 && at > now + 31 * 24 * 3600) {
        tm.tm_year -= 1;
        tm.tm_isdst = -1;
        at = std::mktime(&tm);
    }
    if (at == -1) return std::nullopt;
    return static_cast<std::int64_t>(at) * 1000;
}

bool parse_5424(std::string_view rest, std::int64_t now_ms, Fields& f, IncomingEntry& e) {
    f.format = "rfc5424";
    const std::string_view timestamp = token(rest);
    if (timestamp.empty() || !eat_space(rest)) return false;
    if (timestamp != "-") {
        e.timestamp = parse_iso8601_ms(timestamp);
        if (!e.timestamp) return false;
    } else {
        e.timestamp = now_ms;
    }
    for (std::string_view* field : {&f.hostname, &f.app_name, &f.procid, &f.msgid}) {
        *field = token(rest);
        if (field->empty() || !eat_space(rest)) return false;
    }
    if (!parse_structured_data(rest, f.structured_data)) return false;
    if (!rest.empty() && !eat_space(rest)) return false;
    // A UTF-8 message may start with a byte order mark (RFC 5424 6.4).
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
    e.message = repaired_utf8(rest);
    return true;
}

void parse_3164(std::string_view rest, std::int64_t now_ms, Fields& f, IncomingEntry& e) {
    f.format = "rfc3164";
    std::optional<std::int64_t> timestamp;
    if (rest.size() > 16 && rest[15] == ' ')
        timestamp = parse_bsd_timestamp(rest.substr(0, 15), now_ms);
    if (timestamp) {
        rest.remove_prefix(16);
    } else if (rest.size() > 10 && std::isdigit(static_cast<unsigned char>(rest[0])) &&
               rest[4] == '-') {
        // rsyslog's forward formats put an RFC 3339 timestamp here.
        std::string_view r = rest;
        timestamp = parse_iso8601_ms(token(r));
        if (timestamp && eat_space(r)) rest = r;
        else timestamp.reset();
    }
    e.timestamp = timestamp ? *timestamp : now_ms;
    bool header = false;
    if (timestamp) {
        // HOSTNAME follows a timestamp; without one, the header is not there at all.
        std::string_view r = rest;
        const std::string_view host = token(r);
        if (!host.empty() && eat_space(r)) {
            f.hostname = host;
            rest = r;
            header = true;
        }
    }
    // TAG (RFC 3164 4.1.3): up to 32 (we allow 48) name characters, ended by "[pid]", ":" or a
    // space. After a full header a space ends it too (rsyslog forwards RFC 5424 input as
    // "host app msg"); without a header only "[" or ":" tells a tag from the message's first word.
    std::size_t i = 0;
    while (i < rest.size() && i < 48 && rest[i] != '[' && rest[i] != ':' && rest[i] != ' ') ++i;
    if (i > 0 && i < rest.size() &&
        (rest[i] == '[' || rest[i] == ':' || (header && rest[i] == ' '))) {
        std::string_view r = rest.substr(i);
        std::string_view pid;
        bool ok = true;
        if (r.front() == '[') {
            const auto close = r.find(']');
            ok = close != std::string_view::npos && close <= 33;
            if (ok) {
                pid = r.substr(1, close - 1);
                r.remove_prefix(close + 1);
            }
        }
        if (ok && !r.empty() && r.front() == ':') r.remove_prefix(1);
        if (ok) {
            f.app_name = rest.substr(0, i);
            f.procid = pid;
            rest = r;
            if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        }
    }
    e.message = repaired_utf8(rest);
}

}  // namespace

std::string_view syslog_level(int severity) noexcept {
    if (severity <= 2) return "fatal";
    if (severity == 3) return "error";
    if (severity == 4) return "warn";
    if (severity <= 6) return "info";
    return "debug";
}

SyslogEntry parse_syslog(std::string_view text, std::int64_t now_ms) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '\0'))
        text.remove_suffix(1);
    SyslogEntry out;
    IncomingEntry& e = out.entry;
    const auto malformed = [&] {
        out.malformed = true;
        e = IncomingEntry{};
        e.timestamp = now_ms;
        e.level = "info";
        e.message = repaired_utf8(text);
        e.metadata = R"({"format":"malformed"})";
        return out;
    };
    // <PRI>: 1 to 3 digits, at most 191 (facility 23, severity 7).
    if (text.size() < 3 || text[0] != '<') return malformed();
    std::size_t i = 1;
    int pri = 0;
    while (i < text.size() && i <= 3 && std::isdigit(static_cast<unsigned char>(text[i])))
        pri = pri * 10 + (text[i++] - '0');
    if (i == 1 || i >= text.size() || text[i] != '>' || pri > 191 || (i > 2 && text[1] == '0'))
        return malformed();
    std::string_view rest = text.substr(i + 1);

    Fields f;
    f.facility = pri / 8;
    e.level = std::string(syslog_level(pri % 8));
    if (rest.substr(0, 2) == "1 ") {
        if (!parse_5424(rest.substr(2), now_ms, f, e)) return malformed();
    } else {
        parse_3164(rest, now_ms, f, e);
    }
    e.metadata = metadata_json(f);
    return out;
}

bool SyslogFramer::next(std::string_view& message) {
    if (failed()) return false;
    // Drop what was handed out; cheap while frames are small next to the buffer.
    if (consumed_ > 0 && (consumed_ >= 65536 || consumed_ * 2 >= buffer_.size())) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    for (;;) {
        std::string_view rest = std::string_view(buffer_).substr(consumed_);
        // Blank lines between frames carry nothing.
        std::size_t blank = 0;
        while (blank < rest.size() &&
               (rest[blank] == '\n' || rest[blank] == '\r' || rest[blank] == '\0'))
            ++blank;
        consumed_ += blank;
        rest.remove_prefix(blank);
        if (rest.empty()) return false;

        if (std::isdigit(static_cast<unsigned char>(rest[0]))) {
            std::size_t n = 0, digits = 0;
            while (digits < rest.size() && digits < 10 &&
                   std::isdigit(static_cast<unsigned char>(rest[digits]))) {
                n = n * 10 + static_cast<std::size_t>(rest[digits] - '0');
                ++digits;
            }
            if (digits == rest.size() && digits < 10) return false;  // the length is still arriving
            if (digits < rest.size() && rest[digits] == ' ') {
                if (n > max_frame_) {
                    error_ =
                        fmt::format("an octet-counted frame of {} bytes is over the {} byte limit",
                                    n, max_frame_);
                    return false;
                }
                if (rest.size() < digits + 1 + n) return false;
                message = rest.substr(digits + 1, n);
                consumed_ += digits + 1 + n;
                // rsyslog counts a newline of its own inside the frame.
                while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
                    message.remove_suffix(1);
                return true;
            }
            // Digits not followed by a space: a line that happens to start with a digit.
        }
        const auto nl = rest.find('\n');
        // Over the limit whether or not its end has arrived in the same read.
        if ((nl == std::string_view::npos ? rest.size() : nl) > max_frame_) {
            error_ = fmt::format("a line is over the {} byte limit", max_frame_);
            return false;
        }
        if (nl == std::string_view::npos) return false;
        message = rest.substr(0, nl);
        consumed_ += nl + 1;
        while (!message.empty() && message.back() == '\r') message.remove_suffix(1);
        if (message.empty()) continue;
        return true;
    }
}

bool SyslogFramer::finish(std::string_view& message) {
    if (failed()) return false;
    std::string_view rest = std::string_view(buffer_).substr(consumed_);
    while (!rest.empty() && (rest.front() == '\n' || rest.front() == '\r' || rest.front() == '\0'))
        rest.remove_prefix(1);
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r' || rest.back() == '\0'))
        rest.remove_suffix(1);
    consumed_ = buffer_.size();
    if (rest.empty()) return false;
    message = rest;
    return true;
}

}  // namespace smartlog::protocol
