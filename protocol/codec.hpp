// protocol/codec.hpp: decoding of client frames (docs/protocol.md). Pure functions of their input.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/limits.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// A client frame: its `type` and `ref` (raw JSON, echoed in replies), and the request it makes
// or why it is refused: bad_request (wrong field types, unknown type) or too_large
// (send_metrics bigger than max_metadata_bytes).
struct Frame {
    std::string type;  // empty when the frame is not an object with a string `type`
    std::string ref;   // the top-level `ref` as JSON text; empty when absent
    boost::system::result<Request, ProtocolError> request;
};

// Parses and validates one client frame. Fails only with errc::bad_json.
// `logs` frames, nearly all of the traffic, are decoded straight from the text
// (protocol/entry_parser.hpp); the other messages through a JSON document allocated from
// `storage` (the server passes an arena it drops after each message). `utf8_checked`: the text
// is known to be valid UTF-8 (a WebSocket text frame), so `logs` parsing does not check again.
boost::system::result<Frame, ProtocolError> decode_frame(std::string_view text,
                                                         const Limits& limits,
                                                         boost::json::storage_ptr storage = {},
                                                         bool utf8_checked = false);

// decode_frame() into a fresh arena over `buffer` (blocks beyond it come from `upstream`, the
// heap by default), handing the result to `use` while the arena lives: what the server does
// with every message. A fresh arena per message, not one reused with release(): in Boost 1.81
// a released arena's next block size keeps doubling, and after a few hundred large messages
// it asked for 32 GiB.
template <class Use>
void with_decoded_frame(std::string_view text, const Limits& limits,
                        std::span<unsigned char> buffer, bool utf8_checked, Use&& use,
                        boost::json::storage_ptr upstream = {}) {
    boost::json::monotonic_resource arena(buffer.data(), buffer.size(), std::move(upstream));
    std::forward<Use>(use)(
        decode_frame(text, limits, boost::json::storage_ptr(&arena), utf8_checked));
}

// True for the types an unauthenticated connection may send: auth, check_status, ping.
bool allowed_before_auth(std::string_view type) noexcept;

}  // namespace smartlog::protocol
