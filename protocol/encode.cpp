#include "protocol/encode.hpp"

#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/json_text.hpp"

namespace smartlog::protocol {

namespace json = boost::json;

namespace {

std::string frame(std::string_view type, json::value payload) {
    json::object o;
    o["type"] = type;
    o["payload"] = std::move(payload);
    return json::serialize(o);
}

std::string entries_frame(std::span<const core::EntryPtr> entries, std::string_view head,
                          std::string_view tail = "]}") {
    std::size_t size = head.size() + tail.size();
    for (const auto& e : entries) size += e->encoded().size() + 1;
    std::string out;
    out.reserve(size);
    out += head;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i) out.push_back(',');
        out += entries[i]->encoded();
    }
    out += tail;
    return out;
}

json::value raw_json(std::string_view text) { return json::parse(text); }

}  // namespace

std::string finite_json_number(double d) {
    return std::isfinite(d) ? json::serialize(json::value(d)) : std::string();
}

// A string without escaped bytes is copied between quotes as it is, without the temporary
// string serialize() makes; the others go through it.
void append_json_string(std::string& out, std::string_view s) {
    if (core::json_text::needs_escape(s)) {
        out += json::serialize(s);
        return;
    }
    out.push_back('"');
    out.append(s);
    out.push_back('"');
}

std::string logs_frame(std::span<const core::EntryPtr> entries) {
    return entries_frame(entries, kLogsFrameHead, kLogsFrameTail);
}

std::string history_frame(std::span<const core::EntryPtr> entries, bool gap, bool more,
                          std::string_view response_type) {
    static constexpr std::string_view kHeads[2][2] = {
        {R"({"type":"logs","history":true,"payload":[)",
         R"({"type":"logs","history":true,"more":true,"payload":[)"},
        {R"({"type":"logs","history":true,"gap":true,"payload":[)",
         R"({"type":"logs","history":true,"gap":true,"more":true,"payload":[)"}};
    if (response_type.empty()) return entries_frame(entries, kHeads[gap][more]);
    // The same fields, the entries under payload.logs.
    std::string head = "{\"type\":";
    append_json_string(head, response_type);
    head += kHeads[gap][more].substr(std::string_view(R"({"type":"logs")").size());
    head.back() = '{';
    head += "\"logs\":[";
    return entries_frame(entries, head, "]}}");
}

std::string error_frame(core::errc code, std::string_view message, std::string_view ref_json) {
    json::object payload;
    payload["code"] = core::wire_name(code);
    payload["message"] = message;
    if (!ref_json.empty()) payload["ref"] = raw_json(ref_json);
    return frame("error", std::move(payload));
}

std::string auth_success_frame(std::string_view app_id, std::string_view user_id,
                               const std::vector<std::string>& permissions,
                               std::size_t history_limit, Mode mode) {
    json::object payload;
    payload["appId"] = app_id;
    payload["userId"] = user_id;
    json::array perms;
    for (const auto& p : permissions) perms.emplace_back(p);
    payload["permissions"] = std::move(perms);
    payload["historyLimit"] = history_limit;
    payload["serverVersion"] = SMARTLOG_VERSION;
    payload["mode"] = mode == Mode::viewer ? "viewer" : "producer";
    return frame("auth_success", std::move(payload));
}

std::string auth_error_frame(core::auth_errc code, std::string_view message) {
    json::object payload;
    payload["message"] = message;
    payload["code"] = core::wire_name(code);
    return frame("auth_error", std::move(payload));
}

std::string filter_json(const core::Filter& filter) {
    json::object o;
    json::array levels;
    for (const auto& l : filter.levels) levels.emplace_back(l);
    o["level"] = std::move(levels);
    if (filter.start_time) o["startTime"] = *filter.start_time;
    if (filter.end_time) o["endTime"] = *filter.end_time;
    // The search as the syntax writes it: the text, then each field condition.
    std::string search = filter.search;
    for (const auto& f : filter.fields)
        search += (search.empty() ? "" : " ") + core::format_condition(f);
    if (!search.empty()) o["search"] = search;
    return json::serialize(o);
}

std::string filter_applied_frame(const core::Filter& filter) {
    json::object payload;
    payload["filters"] = raw_json(filter_json(filter));
    return frame("filter_applied", std::move(payload));
}

std::string cleared_frame(std::string_view app_id, std::string_view cleared_by,
                          std::int64_t timestamp, std::size_t count) {
    json::object payload;
    payload["appId"] = app_id;
    payload["clearedBy"] = cleared_by;
    payload["timestamp"] = timestamp;
    payload["count"] = count;
    return frame("cleared", std::move(payload));
}

std::string logs_ack_frame(std::string_view ref_json, std::size_t accepted,
                           const std::vector<EntryRejection>& rejected) {
    // One per `logs` message, and nearly always with nothing rejected: that ack is written
    // directly. `ref_json` is already serialised JSON (decode_frame), so the bytes are the
    // ones the generic path below makes by parsing and serialising it again (unit test).
    if (rejected.empty()) {
        std::string out = R"({"type":"logs_ack","payload":{)";
        if (!ref_json.empty()) {
            out += "\"ref\":";
            out += ref_json;
            out += ',';
        }
        out += "\"accepted\":";
        out += std::to_string(accepted);
        out += ",\"rejected\":[]}}";
        return out;
    }
    json::object payload;
    if (!ref_json.empty()) payload["ref"] = raw_json(ref_json);
    payload["accepted"] = accepted;
    json::array list;
    for (const auto& r : rejected) {
        list.push_back(json::object{{"index", r.index}, {"message", r.message}});
    }
    payload["rejected"] = std::move(list);
    return frame("logs_ack", std::move(payload));
}

std::string app_metrics_frame(std::string_view app_id, std::string_view user_id,
                              std::string_view metrics_json, std::int64_t timestamp) {
    json::object payload;
    payload["appId"] = app_id;
    payload["userId"] = user_id;
    payload["metrics"] = raw_json(metrics_json);
    payload["timestamp"] = timestamp;
    return frame("app_metrics", std::move(payload));
}

std::string dropped_frame(std::uint64_t count, std::string_view after_id) {
    json::object payload;
    payload["count"] = count;
    if (after_id.empty()) {
        payload["afterId"] = nullptr;
    } else {
        payload["afterId"] = after_id;
    }
    return frame("dropped", std::move(payload));
}

std::string status_response_frame(bool success, std::string_view message, const AccessStatus& s) {
    json::object payload;
    payload["success"] = success;
    payload["message"] = message;
    payload["status"] = json::object{{"userExists", s.user_exists},
                                     {"appExists", s.app_exists},
                                     {"userHasAccess", s.user_has_access},
                                     {"appIsActive", s.app_is_active}};
    return frame("status_response", std::move(payload));
}

std::string pong_frame() { return R"({"type":"pong"})"; }

std::string metrics_frame(const core::PerformanceMetrics& m) {
    json::object payload;
    payload["timestamp"] = m.timestamp;
    payload["cpu"] = json::object{{"usage", m.cpu.usage}, {"cores", m.cpu.cores}};
    payload["memory"] =
        json::object{{"used", m.memory.used}, {"free", m.memory.free}, {"total", m.memory.total}};
    payload["disk"] =
        json::object{{"used", m.disk.used}, {"free", m.disk.free}, {"total", m.disk.total}};
    payload["network"] = json::object{{"bytesReceived", m.network.bytes_received},
                                      {"bytesSent", m.network.bytes_sent},
                                      {"connections", m.network.connections}};
    payload["activeConnections"] = m.active_connections;
    payload["messageRate"] = m.message_rate;
    payload["errorRate"] = m.error_rate;
    payload["rejectedEntries"] = m.rejected_entries;
    payload["process"] = json::object{{"rssBytes", m.process.rss_bytes},
                                      {"cpuSeconds", m.process.cpu_seconds},
                                      {"uptimeSeconds", m.process.uptime_seconds}};
    return frame("metrics", std::move(payload));
}

}  // namespace smartlog::protocol
