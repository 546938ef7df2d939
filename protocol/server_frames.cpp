#include "protocol/server_frames.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace smartlog::protocol {

namespace json = boost::json;
using core::errc;

namespace {

ProtocolError bad(std::string message) { return {errc::bad_request, std::move(message)}; }

const json::value* field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return nullptr;
    return &it->value();
}

std::string string_or(const json::object& o, std::string_view key, std::string fallback = {}) {
    const json::value* v = field(o, key);
    return v && v->is_string() ? std::string(v->get_string()) : fallback;
}

std::uint64_t uint_or(const json::object& o, std::string_view key, std::uint64_t fallback = 0) {
    const json::value* v = field(o, key);
    if (!v) return fallback;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    if (v->is_double() && v->get_double() >= 0) return static_cast<std::uint64_t>(v->get_double());
    return fallback;
}

std::int64_t int_or(const json::object& o, std::string_view key, std::int64_t fallback = 0) {
    const json::value* v = field(o, key);
    if (!v) return fallback;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
    return fallback;
}

bool bool_or(const json::object& o, std::string_view key, bool fallback = false) {
    const json::value* v = field(o, key);
    return v && v->is_bool() ? v->get_bool() : fallback;
}

const json::object* payload_object(const json::object& root) {
    const json::value* p = field(root, "payload");
    return p && p->is_object() ? &p->get_object() : nullptr;
}

boost::system::result<ServerFrame, ProtocolError> decode_logs(const json::object& root) {
    const json::value* p = field(root, "payload");
    if (!p || !p->is_array()) return bad("logs.payload must be an array of entries");
    LogsFrame frame;
    frame.history = bool_or(root, "history");
    frame.gap = bool_or(root, "gap");
    frame.more = bool_or(root, "more");
    frame.entries.reserve(p->get_array().size());
    for (const json::value& v : p->get_array()) {
        if (!v.is_object()) return bad("logs.payload must hold entry objects");
        const json::object& o = v.get_object();
        DecodedEntry e;
        e.id = string_or(o, "id");
        e.timestamp = int_or(o, "timestamp");
        e.level = string_or(o, "level", "info");
        e.message = string_or(o, "message");
        if (const json::value* m = field(o, "metadata")) e.metadata = json::serialize(*m);
        e.app_id = string_or(o, "appId");
        e.user_id = string_or(o, "userId");
        e.encrypted = bool_or(o, "encrypted");
        e.encoded = json::serialize(o);
        frame.entries.push_back(std::move(e));
    }
    return frame;
}

}  // namespace

boost::system::result<ServerFrame, ProtocolError> decode_server_frame(std::string_view text) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 64;
    const json::value doc = json::parse(text, ec, {}, options);
    if (ec) return ProtocolError{errc::bad_json, "frame is not valid JSON: " + ec.message()};
    const json::object* root = doc.if_object();
    if (!root) return bad("frame is not a JSON object");
    const std::string type = string_or(*root, "type");
    if (type.empty()) return bad("frame has no string \"type\"");

    static const json::object kEmpty;
    const json::object* p = payload_object(*root);
    const json::object& o = p ? *p : kEmpty;

    if (type == "logs") return decode_logs(*root);
    if (type == "auth_success") {
        AuthSuccessFrame f{string_or(o, "appId"),
                           string_or(o, "userId"),
                           {},
                           uint_or(o, "historyLimit"),
                           string_or(o, "serverVersion")};
        if (const json::value* perms = field(o, "permissions"); perms && perms->is_array()) {
            for (const auto& v : perms->get_array()) {
                if (v.is_string()) f.permissions.emplace_back(v.get_string());
            }
        }
        return f;
    }
    if (type == "auth_error") return AuthErrorFrame{string_or(o, "code"), string_or(o, "message")};
    if (type == "metrics") {
        const json::value* v = field(*root, "payload");
        return MetricsFrame{v ? json::serialize(*v) : "{}"};
    }
    if (type == "filter_applied") {
        const json::value* v = field(o, "filters");
        return FilterAppliedFrame{v ? json::serialize(*v) : "{}"};
    }
    if (type == "cleared") {
        return ClearedFrame{string_or(o, "appId"), string_or(o, "clearedBy"),
                            int_or(o, "timestamp"), uint_or(o, "count")};
    }
    if (type == "logs_ack") {
        LogsAckFrame f;
        if (const json::value* r = field(o, "ref")) f.ref = json::serialize(*r);
        f.accepted = uint_or(o, "accepted");
        if (const json::value* list = field(o, "rejected"); list && list->is_array()) {
            for (const auto& v : list->get_array()) {
                if (!v.is_object()) continue;
                f.rejected.push_back({static_cast<std::size_t>(uint_or(v.get_object(), "index")),
                                      string_or(v.get_object(), "message")});
            }
        }
        return f;
    }
    if (type == "app_metrics") {
        return AppMetricsFrame{p ? json::serialize(*p) : "{}"};
    }
    if (type == "dropped") return DroppedFrame{uint_or(o, "count"), string_or(o, "afterId")};
    if (type == "status_response") {
        StatusResponseFrame f;
        f.success = bool_or(o, "success");
        f.message = string_or(o, "message");
        if (const json::value* s = field(o, "status"); s && s->is_object()) {
            const json::object& so = s->get_object();
            f.user_exists = bool_or(so, "userExists");
            f.app_exists = bool_or(so, "appExists");
            f.user_has_access = bool_or(so, "userHasAccess");
            f.app_is_active = bool_or(so, "appIsActive");
        }
        return f;
    }
    if (type == "error") {
        ErrorFrame f{string_or(o, "code"), string_or(o, "message"), {}};
        if (const json::value* r = field(o, "ref")) f.ref = json::serialize(*r);
        return f;
    }
    if (type == "pong") return PongFrame{};
    return UnknownFrame{type};
}

}  // namespace smartlog::protocol
