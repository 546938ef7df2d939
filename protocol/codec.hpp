// protocol/codec.hpp: decoding of client frames (SPEC 3.1). Pure functions of their input.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/limits.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// A parsed frame: its `type` and its `ref` (raw JSON, echoed in replies), before validation.
struct Envelope {
    std::string type;  // empty when the frame is not an object with a string `type`
    std::string ref;   // the top-level `ref` as JSON text; empty when absent
    boost::json::value document;
};

// Parses `text` as JSON. Fails only with errc::bad_json; a JSON value that is not an object
// with a string `type` yields an Envelope with an empty type (decode() refuses it).
// The document is allocated from `storage`: the server passes an arena it empties after each
// message, so parsing costs no per-node malloc and dropping the document costs nothing.
// REQUIRES: `storage` outlives the Envelope.
boost::system::result<Envelope, ProtocolError> parse_envelope(std::string_view text,
                                                              boost::json::storage_ptr storage = {});

// Validates the envelope's body for its type. Fails with bad_request (wrong field types,
// unknown type) or too_large (send_metrics bigger than max_metadata_bytes).
boost::system::result<Request, ProtocolError> decode(const Envelope& envelope, const Limits& limits);

// Validates one producer entry, as in a `logs` message or an HTTP ingest (SPEC 2); on failure
// returns why, for logs_ack.rejected. `out.index` is left to the caller.
std::optional<std::string> decode_entry(const boost::json::value& v, const Limits& limits,
                                        IncomingEntry& out);
// Validates every entry of `entries`: the accepted ones, and why the others were refused.
LogsRequest decode_entries(const boost::json::array& entries, const Limits& limits);

// True for the types an unauthenticated connection may send: auth, check_status, ping.
bool allowed_before_auth(std::string_view type) noexcept;

}  // namespace smartlog::protocol
