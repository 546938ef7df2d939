// tests/support/entries_compare.hpp: whether two readings of a text's entries are the same to
// the last byte (every field, every rejection and its reason, the message-level refusal): the
// scanner against the event parser (protocol/entry_parser.hpp). Used by
// tests/unit/protocol/entry_parser_test.cpp and tests/fuzz/fuzz_codec.cpp.
#pragma once

#include <optional>
#include <string>

#include "protocol/entry_parser.hpp"

namespace smartlog::testing {

// Empty when equal; else the first difference.
inline std::string exact_differences(const protocol::ParsedEntries& a,
                                     const protocol::ParsedEntries& b) {
    if (a.type != b.type) return "type " + a.type + " vs " + b.type;
    if (a.ref != b.ref) return "ref " + a.ref + " vs " + b.ref;
    if (a.entries_found != b.entries_found) return "entries_found";
    if (a.refusal != b.refusal) return "refusal " + a.refusal + " vs " + b.refusal;
    if (a.refusal_too_large != b.refusal_too_large) return "refusal_too_large";
    const auto& x = a.entries;
    const auto& y = b.entries;
    if (x.accepted.size() != y.accepted.size()) return "number of accepted entries";
    if (x.rejected.size() != y.rejected.size()) return "number of rejected entries";
    for (std::size_t i = 0; i < x.accepted.size(); ++i) {
        const protocol::IncomingEntry& e = x.accepted[i];
        const protocol::IncomingEntry& f = y.accepted[i];
        const std::string at = "accepted " + std::to_string(i) + ": ";
        if (e.index != f.index) return at + "index";
        if (e.timestamp != f.timestamp) return at + "timestamp";
        if (e.level != f.level) return at + "level " + e.level + " vs " + f.level;
        if (e.message != f.message) return at + "message " + e.message + " vs " + f.message;
        if (e.metadata != f.metadata) return at + "metadata " + e.metadata + " vs " + f.metadata;
        if (e.encrypted != f.encrypted) return at + "encrypted";
        if (e.encryption != f.encryption) return at + "encryption";
        if (e.message_is_plain != f.message_is_plain) return at + "message_is_plain";
    }
    for (std::size_t i = 0; i < x.rejected.size(); ++i) {
        if (x.rejected[i].index != y.rejected[i].index)
            return "rejected " + std::to_string(i) + ": index";
        if (x.rejected[i].message != y.rejected[i].message)
            return "rejected " + std::to_string(i) + ": " + x.rejected[i].message + " vs " +
                   y.rejected[i].message;
    }
    return {};
}

// The scanner against the event parser on one text: empty when they agree (the scanner may
// leave a text to the event parser, but never accepts what it refuses nor reads it otherwise).
inline std::string scanner_differences(std::string_view text, protocol::EntryLayout layout,
                                       const protocol::Limits& limits,
                                       const protocol::EntryParseOptions& options = {}) {
    auto scanned = protocol::scan_entries(text, layout, limits, options);
    auto events = protocol::parse_entries_with_events(text, layout, limits, options);
    if (!scanned) return {};
    if (!events)
        return "the scanner accepted what the event parser refuses: " + events.error().message();
    return exact_differences(*scanned, *events);
}

}  // namespace smartlog::testing
