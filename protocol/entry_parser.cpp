// protocol/entry_parser.cpp: parse_entries, the scanner first and the event parser for what it
// does not vouch for (protocol/entry_parser.hpp).
#include "protocol/entry_parser.hpp"

namespace smartlog::protocol {

boost::system::result<ParsedEntries, boost::system::error_code> parse_entries(
    std::string_view text, EntryLayout layout, const Limits& limits,
    const EntryParseOptions& options) {
    if (auto scanned = scan_entries(text, layout, limits, options)) return std::move(*scanned);
    // Not JSON (the event parser names the error the client is told) or a rare form the scanner
    // leaves to it.
    return parse_entries_with_events(text, layout, limits, options);
}

}  // namespace smartlog::protocol
