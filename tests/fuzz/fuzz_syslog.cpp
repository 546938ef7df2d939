// libFuzzer target: syslog. The input is a TCP stream cut into reads at every 0xFF byte and fed
// to SyslogFramer; every frame, and the whole input as one datagram, goes through parse_syslog.
// Frames never exceed the limit, and every entry passes tests/fuzz/ingest_checks.hpp (a
// malformed one keeps its text whole).
#include <cstddef>
#include <cstdint>

#include "protocol/ingest_common.hpp"
#include "protocol/syslog.hpp"
#include "tests/fuzz/ingest_checks.hpp"

using namespace smartlog;

namespace {

constexpr std::int64_t kNow = 1'714'564'800'000;
constexpr std::size_t kMaxFrame = 512;

void check_parsed(std::string_view text) {
    protocol::Limits unlimited;
    unlimited.max_message_bytes = 1 << 20;
    unlimited.max_metadata_bytes = 1 << 20;
    const auto parsed = protocol::parse_syslog(text, kNow);
    fuzz::check_entry(parsed.entry, unlimited);
    fuzz::check(parsed.entry.timestamp.has_value());
    if (parsed.malformed) fuzz::check(parsed.entry.level == "info");
    // Never longer than the text, plus what repairing ill-formed bytes adds.
    fuzz::check(parsed.entry.message.size() <= 3 * text.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_parsed(input);
    protocol::SyslogFramer framer(kMaxFrame);
    std::string_view rest = input;
    std::string_view frame;
    while (!rest.empty()) {
        const auto cut = rest.find('\xff');
        framer.feed(rest.substr(0, cut));
        rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
        while (framer.next(frame)) {
            fuzz::check(frame.size() <= kMaxFrame);
            check_parsed(frame);
        }
        if (framer.failed()) {
            fuzz::check(!framer.error().empty());
            return 0;
        }
        fuzz::check(framer.buffered() <= kMaxFrame + 16);
    }
    if (framer.finish(frame)) check_parsed(frame);
    return 0;
}
