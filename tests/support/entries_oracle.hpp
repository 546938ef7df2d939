// tests/support/entries_oracle.hpp: what a JSON document says a text's entries are, to check
// protocol::parse_entries (which reads the text without one) against. This is the decoder the
// server used before the event parser: parse into a boost::json::value, then validate
// (docs/protocol.md). Used by tests/unit/protocol/entry_parser_test.cpp and
// tests/fuzz/fuzz_codec.cpp.
#pragma once

#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/level.hpp"
#include "protocol/entry_parser.hpp"
#include "protocol/timestamp.hpp"

namespace smartlog::testing {

struct OracleEntry {
    std::size_t index = 0;
    bool accepted = false;
    std::string why;  // refused: the message
    std::optional<std::int64_t> timestamp;
    std::string level, message;
    std::optional<boost::json::value> metadata;
};

struct OracleResult {
    std::string type, ref;  // logs_frame
    bool entries_found = false;
    std::vector<OracleEntry> entries;
};

namespace oracle_detail {

namespace json = boost::json;

inline const json::value* field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

inline std::optional<std::int64_t> as_millis(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) {
        if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return std::nullopt;
        return static_cast<std::int64_t>(v.get_uint64());
    }
    if (v.is_double()) {
        const double d = v.get_double();
        if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return std::nullopt;
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

inline OracleEntry entry_of(const json::value& v, const protocol::Limits& limits,
                            std::size_t index) {
    OracleEntry out;
    out.index = index;
    auto refuse = [&](std::string why) {
        out.why = std::move(why);
        return out;
    };
    if (!v.is_object()) return refuse("entry must be an object");
    const json::object& o = v.get_object();
    const json::value* message = field(o, "message");
    if (!message || !message->is_string())
        return refuse("message is required and must be a string");
    if (message->get_string().size() > limits.max_message_bytes) {
        return refuse("message is larger than max_message_bytes (" +
                      std::to_string(limits.max_message_bytes) + ")");
    }
    out.level = "info";
    if (const json::value* level = field(o, "level")) {
        if (!level->is_string()) return refuse("level must be a string");
        auto normalized = core::normalize_level(level->get_string());
        if (!normalized) return refuse("level is longer than 32 characters");
        out.level = *normalized;
    }
    if (const json::value* ts = field(o, "timestamp")) {
        out.timestamp =
            ts->is_string() ? protocol::parse_iso8601_ms(ts->get_string()) : as_millis(*ts);
        if (!out.timestamp || (!ts->is_string() && *out.timestamp < 0)) {
            return refuse("timestamp must be ms since the epoch or ISO-8601");
        }
    }
    if (auto it = o.find("metadata"); it != o.end()) out.metadata = it->value();
    out.message = message->get_string();
    out.accepted = true;
    return out;
}

}  // namespace oracle_detail

// nullopt when the text is not JSON. Metadata size is not checked here (the parser measures its
// own compact text); the comparison below does.
inline std::optional<OracleResult> decode_with_document(std::string_view text,
                                                        protocol::EntryLayout layout,
                                                        const protocol::Limits& limits,
                                                        std::size_t first_index = 0) {
    namespace json = boost::json;
    using namespace oracle_detail;
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 64;
    const json::value doc = json::parse(text, ec, {}, options);
    if (ec) return std::nullopt;
    OracleResult result;
    const json::array* entries = nullptr;
    switch (layout) {
        case protocol::EntryLayout::logs_frame:
            if (const json::object* o = doc.if_object()) {
                if (const json::value* t = field(*o, "type"); t && t->is_string())
                    result.type = t->get_string();
                if (const json::value* r = field(*o, "ref");
                    r && (r->is_string() || r->is_number())) {
                    if (!(r->is_double() && !std::isfinite(r->get_double())))
                        result.ref = json::serialize(*r);
                }
                const json::value* data = field(*o, "data");
                const json::value* logs =
                    data && data->is_object() ? field(data->get_object(), "logs") : nullptr;
                if (logs) entries = logs->if_array();
            }
            break;
        case protocol::EntryLayout::ingest_body:
            entries = doc.if_array();
            if (const json::object* o = doc.if_object()) {
                if (auto it = o->find("logs"); it != o->end()) entries = it->value().if_array();
            }
            break;
        case protocol::EntryLayout::single_entry:
            result.entries_found = true;
            result.entries.push_back(entry_of(doc, limits, first_index));
            return result;
    }
    if (entries) {
        result.entries_found = true;
        for (std::size_t i = 0; i < entries->size(); ++i)
            result.entries.push_back(entry_of((*entries)[i], limits, i));
    }
    return result;
}

// Empty when `got` says what the document says; else the first difference.
inline std::string differences(const protocol::ParsedEntries& got, const OracleResult& want,
                               const protocol::Limits& limits) {
    namespace json = boost::json;
    if (got.type != want.type) return "type " + got.type + " vs " + want.type;
    if (got.ref != want.ref) return "ref " + got.ref + " vs " + want.ref;
    if (got.entries_found != want.entries_found) return "entries_found differs";
    if (!got.entries_found) return {};
    std::size_t a = 0, r = 0;
    for (const OracleEntry& w : want.entries) {
        const std::string at = "entry " + std::to_string(w.index) + ": ";
        bool accepted = w.accepted;
        std::string why = w.why;
        if (accepted && w.metadata) {
            // The metadata limit counts the parser's compact text.
            if (a < got.entries.accepted.size() && got.entries.accepted[a].index == w.index) {
                // accepted: size checked below
            } else {
                accepted = false;
                why = "metadata is larger than max_metadata_bytes (" +
                      std::to_string(limits.max_metadata_bytes) + ")";
            }
        }
        if (accepted) {
            if (a >= got.entries.accepted.size()) return at + "missing from accepted";
            const protocol::IncomingEntry& g = got.entries.accepted[a++];
            if (g.index != w.index) return at + "accepted index " + std::to_string(g.index);
            if (g.message != w.message) return at + "message";
            if (g.level != w.level) return at + "level " + g.level + " vs " + w.level;
            if (g.timestamp != w.timestamp) return at + "timestamp";
            if (g.metadata.size() > limits.max_metadata_bytes)
                return at + "accepted metadata over the limit";
            if (!w.metadata) {
                if (!g.metadata.empty()) return at + "metadata where there was none";
            } else {
                boost::system::error_code ec;
                json::parse_options options;
                options.max_depth = 64;
                const json::value back = json::parse(g.metadata, ec, {}, options);
                if (ec) return at + "metadata is not JSON: " + g.metadata;
                if (back != *w.metadata)
                    return at + "metadata " + g.metadata + " vs " + json::serialize(*w.metadata);
            }
        } else {
            if (r >= got.entries.rejected.size()) return at + "missing from rejected (" + why + ")";
            const protocol::EntryRejection& g = got.entries.rejected[r++];
            if (g.index != w.index) return at + "rejected index " + std::to_string(g.index);
            if (g.message != why) return at + "why: " + g.message + " vs " + why;
        }
    }
    if (a != got.entries.accepted.size() || r != got.entries.rejected.size())
        return "extra entries";
    return {};
}

}  // namespace smartlog::testing
