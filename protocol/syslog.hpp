// protocol/syslog.hpp: syslog messages (RFC 5424, and RFC 3164 as senders really write it,
// RFC 3339 timestamps included) into entries, and the framing of syslog over TCP (RFC 6587).
// docs/ingest.md "Syslog" has the mapping. Pure functions and a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/messages.hpp"

namespace smartlog::protocol {

struct SyslogEntry {
    IncomingEntry entry;
    // The text is not syslog (no <PRI>, or a broken RFC 5424 header): kept whole as an `info`
    // message, and counted by the caller.
    bool malformed = false;
};

// One syslog message. `now_ms` dates a message whose timestamp is absent or unreadable, and
// gives RFC 3164's missing year. Never fails: see SyslogEntry::malformed.
SyslogEntry parse_syslog(std::string_view text, std::int64_t now_ms);

// Severity 0-2/3/4/5-6/7 -> fatal/error/warn/info/debug.
std::string_view syslog_level(int severity) noexcept;

// Splits a TCP stream into messages: octet counting ("<length> <message>", a frame that starts
// with a digit) or newline-terminated lines, chosen frame by frame. A counted frame may end in
// a newline of its own (rsyslog counts it), which is dropped.
class SyslogFramer {
public:
    // `max_frame`: the longest frame accepted; a longer one is an error (the sender is cut off).
    explicit SyslogFramer(std::size_t max_frame) : max_frame_(max_frame) {}

    // Appends received bytes.
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    // The next whole message, or false when more bytes are needed or on error. The view lives
    // until the next call.
    bool next(std::string_view& message);
    bool failed() const noexcept { return !error_.empty(); }
    const std::string& error() const noexcept { return error_; }
    // Bytes held that do not yet make a frame.
    std::size_t buffered() const noexcept { return buffer_.size() - consumed_; }
    // At end of stream: what is left, if anything, as a last unterminated line.
    bool finish(std::string_view& message);

private:
    std::size_t max_frame_;
    std::string buffer_;
    std::size_t consumed_ = 0;  // bytes of buffer_ already returned
    std::string error_;
};

}  // namespace smartlog::protocol
