// protocol/entry_parser.hpp: producer entries (docs/protocol.md) decoded straight from JSON text.
//
// Ingest is the server's hot path: parsing a `logs` frame into a JSON document, walking it and
// serialising each entry's metadata back to text cost more than half of the CPU per entry. The
// text is read once, without a document, by a scanner made for the shapes of docs/protocol.md
// (protocol/entry_scanner.cpp, a few instructions per byte); what it does not vouch for (text
// that is not JSON, and a few rare forms) is read again by Boost.JSON's event parser
// (protocol/entry_events.cpp, about 18 instructions per byte), whose answer, and error, counts.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/limits.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// Where a text's entries stand.
enum class EntryLayout {
    logs_frame,    // a WebSocket message {"type":"logs","data":{"logs":[entry, ...]}}
    ingest_body,   // an HTTP body: [entry, ...] or {"logs":[entry, ...]}
    single_entry,  // one NDJSON line: the entry itself
};

struct ParsedEntries {
    // logs_frame only: the top-level `type` when it is a string, and `ref` as JSON text when it
    // is a string or a number (empty otherwise), as replies echo it.
    std::string type;
    std::string ref;
    // The array of entries stood where the layout puts it (single_entry: always true).
    bool entries_found = false;
    LogsRequest entries;
    // Why the whole message is refused (a malformed message-level `encryption`); empty when
    // it is not. `too_large`: the keys, attached to each entry, would pass
    // kMaxAttachedEncryptionBytes.
    std::string refusal;
    bool refusal_too_large = false;
};

// The longest `transmissionKey` or `encryptedKey` kept (the original library's are 64 and
// about 200 characters).
inline constexpr std::size_t kMaxEncryptionKeyBytes = 256;
// Message-level keys are copied into every entry they cover: at most this many bytes of such
// copies per message, so a message of many tiny entries cannot multiply its size in memory.
inline constexpr std::size_t kMaxAttachedEncryptionBytes = 1024 * 1024;

struct EntryParseOptions {
    // WebSocket text frames arrive UTF-8-checked by Beast (RFC 6455): checking again is waste.
    bool utf8_checked = false;
    // single_entry: the index the entry gets in logs_ack / the HTTP answer.
    std::size_t first_index = 0;
};

// Parses `text` and validates each entry as docs/protocol.md says: the accepted ones, and why each
// other was refused. The original NehonixSmartLogger library's encryption mode is read too: an
// entry's `encrypted: true`, and `encryption: {transmissionKey, encryptedKey}` beside `logs`
// (for every encrypted entry of the message) or in an entry (for that entry); see
// docs/protocol.md, "Clients of the original NehonixSmartLogger". Fails only when the text is not
// JSON (or nests deeper than 64). What a JSON document would give, with one difference: metadata is
// kept as compact JSON text whose numbers are spelled as the producer sent them (Boost.JSON's
// serialiser would print 1.5 as 1.5E0 and 1e400 as Infinity, which is not JSON) and whose duplicate
// keys stay as sent. Duplicate keys elsewhere: the last one counts, as in a document.
boost::system::result<ParsedEntries, boost::system::error_code> parse_entries(
    std::string_view text, EntryLayout layout, const Limits& limits,
    const EntryParseOptions& options = {});

// The two readers behind parse_entries, each giving exactly what it gives (the tests hold one
// against the other). scan_entries: nullopt when the text is not JSON, and for the forms it
// leaves to the event parser: a number whose exponent has more than 9 digits or which is longer
// than 1,000 characters, and a non-integer `timestamp` or `ref` number it reads through it.
std::optional<ParsedEntries> scan_entries(std::string_view text, EntryLayout layout,
                                          const Limits& limits,
                                          const EntryParseOptions& options = {});
boost::system::result<ParsedEntries, boost::system::error_code> parse_entries_with_events(
    std::string_view text, EntryLayout layout, const Limits& limits,
    const EntryParseOptions& options = {});

}  // namespace smartlog::protocol
