#include "protocol/text_lines.hpp"

#include "protocol/ingest_common.hpp"

namespace smartlog::protocol {

LogsRequest decode_text_lines(std::string_view body, const std::string& level,
                              const Limits& limits) {
    LogsRequest out;
    std::size_t index = 0;
    while (!body.empty()) {
        const auto nl = body.find('\n');
        std::string_view line = body.substr(0, nl);
        body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        if (line.back() == '\r') line.remove_suffix(1);
        IncomingEntry e;
        e.index = index++;
        e.level = level;
        e.message = repaired_utf8(line);
        admit_decoded(std::move(e), limits, out);
    }
    return out;
}

}  // namespace smartlog::protocol
