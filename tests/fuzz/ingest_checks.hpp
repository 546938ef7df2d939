// tests/fuzz/ingest_checks.hpp: what every fuzz target of a standard ingest decoder asserts of
// its entries: indexes unique and below the count, sizes within the limits, a known level,
// UTF-8 text, metadata that parses as JSON. Single-threaded.
#pragma once

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <vector>

#include "core/level.hpp"
#include "protocol/ingest_common.hpp"
#include "protocol/messages.hpp"

namespace smartlog::fuzz {

// A failed check aborts: libFuzzer reports it as a crash with its input.
inline void check(bool ok) {
    if (!ok) std::abort();
}

inline void check_entry(const protocol::IncomingEntry& e, const protocol::Limits& limits) {
    check(e.message.size() <= limits.max_message_bytes &&
          e.metadata.size() <= limits.max_metadata_bytes);
    check(protocol::valid_utf8(e.message) && protocol::valid_utf8(e.metadata));
    check(!e.level.empty() && e.level.size() <= core::kMaxLevelLength &&
          core::normalize_level(e.level) == e.level);
    if (!e.metadata.empty()) {
        boost::system::error_code ec;
        const auto doc = boost::json::parse(e.metadata, ec);
        check(!ec && doc.is_object());
    }
}

inline void check_logs(const protocol::LogsRequest& logs, const protocol::Limits& limits) {
    const std::size_t total = logs.accepted.size() + logs.rejected.size();
    std::vector<bool> seen(total, false);
    for (const auto& e : logs.accepted) {
        check(e.index < total && !seen[e.index]);
        seen[e.index] = true;
        check_entry(e, limits);
    }
    for (const auto& r : logs.rejected) {
        check(r.index < total && !seen[r.index] && !r.message.empty());
        seen[r.index] = true;
    }
}

inline protocol::Limits small_limits() {
    protocol::Limits limits;
    limits.max_message_bytes = 256;
    limits.max_metadata_bytes = 512;
    return limits;
}

}  // namespace smartlog::fuzz
