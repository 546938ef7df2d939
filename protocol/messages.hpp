// protocol/messages.hpp: client -> server messages (docs/protocol.md) as decoded values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/entry.hpp"
#include "core/errc.hpp"
#include "core/filter.hpp"

namespace smartlog::protocol {

enum class Mode { viewer, producer };

struct Credentials {
    std::string user_id;
    std::string app_id;
    std::optional<std::string> token;
};

struct AuthRequest {
    Credentials credentials;
    Mode mode = Mode::viewer;
};
struct FilterRequest {
    core::Filter filter;
};
struct ClearRequest {};
struct MetricsRequest {};
struct HistoryRequest {
    std::optional<std::size_t> limit;
    std::optional<std::string> after_id;
    // The original NehonixSmartLogger library's `ws_sent_config.response_type`: answer with a
    // frame of this type whose payload is {logs: [...]}. Empty: the seed's `logs` answer.
    std::string response_type;
};

// One entry of a `logs` message that passed validation; ids and owners come from the server.
struct IncomingEntry {
    std::size_t index = 0;  // position in the producer's array, for logs_ack
    std::optional<std::int64_t> timestamp;
    std::string level;
    std::string message;
    std::string metadata;  // JSON text; empty when absent
    // Encryption mode of the original NehonixSmartLogger library: the message is ciphertext.
    bool encrypted = false;
    // {"transmissionKey":..,"encryptedKey":..} as JSON text, kept for the app's readers; empty
    // when the producer sent no keys.
    std::string encryption;
    // The message was one run of the producer's text without escapes, so it holds no '"',
    // '\\' or control character: encoding can copy it without looking (protocol/encode.hpp).
    bool message_is_plain = false;
};
// The entry the server keeps for `in`, with the id and owners the server gives it, and
// `received_ms` as its timestamp when the producer gave none.
inline core::EntryPtr make_entry(const IncomingEntry& in, std::string_view id,
                                 std::int64_t received_ms, std::string_view app_id,
                                 std::string_view user_id) {
    return core::make_entry({
        .id = id,
        .timestamp = in.timestamp.value_or(received_ms),
        .level = in.level,
        .message = in.message,
        .metadata = in.metadata,
        .encrypted = in.encrypted,
        .encryption = in.encryption,
        .app_id = app_id,
        .user_id = user_id,
        .message_is_plain = in.message_is_plain,
    });
}

struct EntryRejection {
    std::size_t index = 0;
    std::string message;
};
struct LogsRequest {
    std::vector<IncomingEntry> accepted;
    std::vector<EntryRejection> rejected;
};
struct SendMetricsRequest {
    std::string metrics;  // JSON text
    std::optional<std::int64_t> timestamp;
};
struct CheckStatusRequest {
    Credentials credentials;
};
struct PingRequest {};

using Request =
    std::variant<AuthRequest, FilterRequest, ClearRequest, MetricsRequest, HistoryRequest,
                 LogsRequest, SendMetricsRequest, CheckStatusRequest, PingRequest>;

// A refused message: the `error` reply it earns.
struct ProtocolError {
    core::errc code;
    std::string message;
};

}  // namespace smartlog::protocol
