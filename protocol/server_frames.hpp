// protocol/server_frames.hpp: decoding of server -> client frames (docs/protocol.md), for clients.
// Pure functions of their input; the mirror of protocol/encode.hpp.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/messages.hpp"

namespace smartlog::protocol {

struct AuthSuccessFrame {
    std::string app_id;
    std::string user_id;
    std::vector<std::string> permissions;
    std::uint64_t history_limit = 0;
    std::string server_version;
};
struct AuthErrorFrame {
    std::string code;  // empty when the server sent none (the seed's form)
    std::string message;
};
// One LogEntry of a `logs` frame, its fields decoded (docs/protocol.md).
struct DecodedEntry {
    std::string id;
    std::int64_t timestamp = 0;
    std::string level;
    std::string message;
    std::string metadata;  // JSON text; empty when absent
    bool encrypted = false;
    std::string app_id;
    std::string user_id;
    std::string encoded;  // the entry's JSON object text
};
// `logs`: a live batch, or the answer to request_history (history = true).
struct LogsFrame {
    std::vector<DecodedEntry> entries;
    bool history = false;
    bool gap = false;
    bool more = false;  // a page of a history answer that continues in the next `logs` frame
};
struct MetricsFrame {
    std::string payload;  // PerformanceMetrics as JSON text
};
struct FilterAppliedFrame {
    std::string filters;  // JSON text
};
struct ClearedFrame {
    std::string app_id;
    std::string cleared_by;
    std::int64_t timestamp = 0;
    std::uint64_t count = 0;
};
struct LogsAckFrame {
    std::string ref;  // the ref as JSON text ("7", "\"a\""); empty when absent
    std::uint64_t accepted = 0;
    std::vector<EntryRejection> rejected;
};
struct AppMetricsFrame {
    std::string payload;  // JSON text
};
struct DroppedFrame {
    std::uint64_t count = 0;
    std::string after_id;  // empty when the server sent null
};
struct StatusResponseFrame {
    bool success = false;
    std::string message;
    bool user_exists = false;
    bool app_exists = false;
    bool user_has_access = false;
    bool app_is_active = false;
};
struct ErrorFrame {
    std::string code;
    std::string message;
    std::string ref;  // JSON text; empty when absent
};
struct PongFrame {};
// A frame of a type this client does not know: the server may add types, so it is not an error.
struct UnknownFrame {
    std::string type;
};

using ServerFrame =
    std::variant<AuthSuccessFrame, AuthErrorFrame, LogsFrame, MetricsFrame, FilterAppliedFrame,
                 ClearedFrame, LogsAckFrame, AppMetricsFrame, DroppedFrame, StatusResponseFrame,
                 ErrorFrame, PongFrame, UnknownFrame>;

// Decodes one server frame. Fails with errc::bad_json for text that is not JSON and with
// errc::bad_request for a known type whose body has the wrong shape. Unknown fields are ignored.
boost::system::result<ServerFrame, ProtocolError> decode_server_frame(std::string_view text);

}  // namespace smartlog::protocol
