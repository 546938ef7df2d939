// protocol/requests.hpp: client -> server frames (docs/protocol.md) as JSON text, for clients.
// Pure functions; the mirror of protocol/codec.hpp, which decodes them on the server.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/filter.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

std::string auth_request(const Credentials& credentials, Mode mode);
std::string check_status_request(const Credentials& credentials);
std::string filter_request(const core::Filter& filter);
std::string history_request(std::optional<std::size_t> limit, std::string_view after_id);
std::string clear_request();
std::string metrics_request();
std::string ping_request();

// One producer entry object: {"timestamp":ms,"level":..,"message":..,"metadata":<json>}.
// `metadata_json` must be valid JSON text or empty (no metadata).
std::string entry_object(std::int64_t timestamp_ms, std::string_view level,
                         std::string_view message, std::string_view metadata_json);
// {"type":"logs","ref":<ref>,"data":{"logs":[<entry objects, as given>]}}.
std::string logs_request(std::uint64_t ref, std::span<const std::string> entry_objects);

// A JSON string literal for `s` (quotes included), escaping what JSON requires.
std::string json_quote(std::string_view s);

}  // namespace smartlog::protocol
