// protocol/ingest_common.hpp: what the decoders of the standard ingest formats share (OTLP,
// Loki, syslog, text lines; docs/ingest.md): UTF-8 repair, a small JSON writer for the metadata
// they build, and the size checks every decoded record passes. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/limits.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// A request that cannot be decoded at all (answered 400 and not retried).
struct DecodeError {
    std::string message;
};

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;
// `s` with every ill-formed sequence replaced by U+FFFD: what the shippers' bytes become, since
// every frame a viewer receives is UTF-8 text.
std::string repaired_utf8(std::string_view s);

// Appends `s` as a JSON string, repairing ill-formed UTF-8 first.
void append_json_text(std::string& out, std::string_view s);
// Appends a double as JSON: the shortest form that reads back the same; NaN and the infinities,
// which JSON has no numbers for, as the strings "NaN", "Infinity" and "-Infinity" (as the
// protobuf JSON mapping writes them).
void append_json_double(std::string& out, double d);
// Standard base64 with padding (how the JSON mapping spells bytes).
std::string base64_encode(std::string_view bytes);
// Base64, standard or URL-safe alphabet, padding optional; nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view text);
std::string hex_encode(std::string_view bytes);

// Builds one JSON object member by member into a string.
class JsonObjectWriter {
public:
    explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
    // Writes the key and its colon; the caller appends the value.
    std::string& key(std::string_view k);
    void string(std::string_view k, std::string_view v) { append_json_text(key(k), v); }
    void raw(std::string_view k, std::string_view json) { key(k) += json; }
    void close() { out_ += '}'; }
    bool empty() const noexcept { return first_; }

private:
    std::string& out_;
    bool first_ = true;
};

// Nanoseconds since the epoch as whole milliseconds (floor); nullopt for 0, "not set".
std::optional<std::int64_t> millis_of_nanos(std::uint64_t nanos) noexcept;

// The level a shipper's text names (aliases applied, lower-cased); nullopt when it is empty or
// longer than core::kMaxLevelLength, so the caller falls back to its default.
std::optional<std::string> level_of_text(std::string_view text);

// Silences libprotobuf's own logging (it writes an ERROR line for every string field that is not
// UTF-8: one per bad request, which would let any client flood the server's log). Idempotent;
// the protobuf decoders call it before parsing.
void silence_protobuf_logs();

// Accepts `entry` into `out`, or rejects it with the reason when its message or metadata is over
// `limits` (SPEC 2: rejected, never truncated).
void admit_decoded(IncomingEntry entry, const Limits& limits, LogsRequest& out);

}  // namespace smartlog::protocol
