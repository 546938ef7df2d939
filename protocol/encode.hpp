// protocol/encode.hpp: server -> client frames (docs/protocol.md) as JSON text. Pure functions.
// Every frame is built once and shared by every session that sends it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/entry.hpp"
#include "core/errc.hpp"
#include "core/filter.hpp"
#include "core/metrics.hpp"
#include "protocol/messages.hpp"

namespace smartlog::protocol {

// Appends `s` (valid UTF-8) as a JSON string, escaped byte for byte as Boost.JSON's serialiser
// does.
void append_json_string(std::string& out, std::string_view s);

// A double as Boost.JSON writes it (1.5 -> "1.5E0"); empty when it is not finite, which the
// serialiser would write as the non-JSON "Infinity" or "NaN". For echoing a client's `ref`.
std::string finite_json_number(double d);

// {"type":"logs","payload":[...]}; history answers add "history":true and maybe "gap":true,
// and "more":true on every page of an answer but its last (docs/protocol.md, "History").
std::string logs_frame(std::span<const core::EntryPtr> entries);
// What logs_frame() writes before and after its entries.
inline constexpr std::string_view kLogsFrameHead = R"({"type":"logs","payload":[)";
inline constexpr std::string_view kLogsFrameTail = "]}";
// logs_frame() of entries whose encoded sizes, plus one each, add up to n is
// n + kLogsFrameWrapping bytes long (its head and tail, less the separator the last entry lacks).
inline constexpr std::size_t kLogsFrameWrapping = kLogsFrameHead.size() + kLogsFrameTail.size() - 1;
// `response_type` (HistoryRequest::response_type, already checked to need no escaping): the
// original library's form {"type":<response_type>,"history":true,...,"payload":{"logs":[...]}}.
std::string history_frame(std::span<const core::EntryPtr> entries, bool gap, bool more = false,
                          std::string_view response_type = {});

std::string error_frame(core::errc code, std::string_view message, std::string_view ref_json = {});
std::string auth_success_frame(std::string_view app_id, std::string_view user_id,
                               const std::vector<std::string>& permissions,
                               std::size_t history_limit, Mode mode);
std::string auth_error_frame(core::auth_errc code, std::string_view message);
std::string filter_applied_frame(const core::Filter& filter);
std::string cleared_frame(std::string_view app_id, std::string_view cleared_by,
                          std::int64_t timestamp, std::size_t count);
std::string logs_ack_frame(std::string_view ref_json, std::size_t accepted,
                           const std::vector<EntryRejection>& rejected);
std::string app_metrics_frame(std::string_view app_id, std::string_view user_id,
                              std::string_view metrics_json, std::int64_t timestamp);
std::string dropped_frame(std::uint64_t count, std::string_view after_id);

struct AccessStatus {
    bool user_exists = false;
    bool app_exists = false;
    bool user_has_access = false;
    bool app_is_active = false;
};
std::string status_response_frame(bool success, std::string_view message,
                                  const AccessStatus& status);
std::string pong_frame();
std::string metrics_frame(const core::PerformanceMetrics& m);

// The filter as it is echoed in filter_applied (only the fields that restrict something).
std::string filter_json(const core::Filter& filter);

}  // namespace smartlog::protocol
