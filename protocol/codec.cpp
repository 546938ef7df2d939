#include "protocol/codec.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

#include "core/level.hpp"
#include "protocol/encode.hpp"
#include "protocol/entry_parser.hpp"
#include "protocol/timestamp.hpp"

namespace smartlog::protocol {

namespace json = boost::json;
using core::errc;

namespace {

// At most `max_bytes` of `text`, cut before a character rather than inside one: an error
// message quoting it must stay valid UTF-8, or a WebSocket peer fails the connection.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

ProtocolError bad_request(std::string message) { return {errc::bad_request, std::move(message)}; }

// A JSON number as whole milliseconds; nullopt for non-numbers and values out of range.
std::optional<std::int64_t> as_millis(const json::value& v) {
    if (v.is_int64()) return millis_of(v.get_int64());
    if (v.is_uint64()) return millis_of(v.get_uint64());
    if (v.is_double()) return millis_of(v.get_double());
    return std::nullopt;
}

// A time field: a number of ms, or an ISO-8601 string (SPEC 2: producers may send either; the
// original library sends every timestamp as `new Date().toISOString()`).
std::optional<std::int64_t> as_time(const json::value& v) {
    if (const json::string* s = v.if_string()) return parse_iso8601_ms(*s);
    return as_millis(v);
}

// A frame type the client asks its answer to have: a short name, nothing to escape.
bool valid_response_type(std::string_view t) {
    if (t.empty() || t.size() > 64) return false;
    return std::all_of(t.begin(), t.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.' || c == ':';
    });
}

const json::value* field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return nullptr;
    return &it->value();
}

// Like field(), but `null` counts as a value: for fields that take any JSON, kept as sent.
const json::value* any_field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
}

// The message's body object: `key` if present, else an empty object. Non-objects are refused.
boost::system::result<const json::object*, ProtocolError> body(const json::object& root,
                                                               std::string_view key) {
    static const json::object kEmpty;
    const json::value* v = field(root, key);
    if (!v) return &kEmpty;
    if (!v->is_object()) return bad_request(std::string(key) + " must be an object");
    return &v->get_object();
}

boost::system::result<Credentials, ProtocolError> decode_credentials(const json::object& root) {
    const json::value* data = field(root, "data");
    if (!data || !data->is_object())
        return bad_request("data must be an object with userId and appId");
    const json::object& d = data->get_object();
    Credentials c;
    for (auto [key, out] : {std::pair{"userId", &c.user_id}, std::pair{"appId", &c.app_id}}) {
        const json::value* v = field(d, key);
        if (!v || !v->is_string() || v->get_string().empty()) {
            return bad_request(std::string("data.") + key + " must be a non-empty string");
        }
        if (v->get_string().size() > kMaxIdBytes) {
            return bad_request(std::string("data.") + key + " is longer than " +
                               std::to_string(kMaxIdBytes) + " bytes");
        }
        *out = v->get_string();
    }
    if (const json::value* t = field(d, "token")) {
        if (!t->is_string() || t->get_string().size() > kMaxTokenBytes) {
            return bad_request("data.token must be a string of at most " +
                               std::to_string(kMaxTokenBytes) + " bytes");
        }
        c.token = std::string(t->get_string());
    }
    return c;
}

boost::system::result<Request, ProtocolError> decode_auth(const json::object& root) {
    auto credentials = decode_credentials(root);
    if (!credentials) return credentials.error();
    AuthRequest req{std::move(*credentials), Mode::viewer};
    if (const json::value* m = field(root.at("data").get_object(), "mode")) {
        if (m->is_string() && m->get_string() == "viewer") {
            req.mode = Mode::viewer;
        } else if (m->is_string() && m->get_string() == "producer") {
            req.mode = Mode::producer;
        } else {
            return bad_request("data.mode must be \"viewer\" or \"producer\"");
        }
    }
    return req;
}

boost::system::result<Request, ProtocolError> decode_filter(const json::object& root) {
    // The seed sends `filters`; the original web client sent `data`.
    const json::value* f = field(root, "filters");
    if (!f) f = field(root, "data");
    FilterRequest req;
    if (!f) return req;
    if (!f->is_object()) return bad_request("filters must be an object");
    const json::object& o = f->get_object();
    if (const json::value* levels = field(o, "level")) {
        if (!levels->is_array()) return bad_request("filters.level must be an array of strings");
        for (const json::value& l : levels->get_array()) {
            if (!l.is_string()) return bad_request("filters.level must be an array of strings");
            auto level = core::normalize_level(l.get_string());
            if (!level) return bad_request("filters.level has a level longer than 32 characters");
            // The cap keeps this de-duplication linear: at most kMaxFilterLevels comparisons
            // per item, however long the array.
            if (std::find(req.filter.levels.begin(), req.filter.levels.end(), *level) ==
                req.filter.levels.end()) {
                if (req.filter.levels.size() == core::kMaxFilterLevels) {
                    return bad_request("filters.level names more than " +
                                       std::to_string(core::kMaxFilterLevels) + " distinct levels");
                }
                req.filter.levels.push_back(std::move(*level));
            }
        }
    }
    for (auto [key, out] : {std::pair{"startTime", &req.filter.start_time},
                            std::pair{"endTime", &req.filter.end_time}}) {
        if (const json::value* v = field(o, key)) {
            auto ms = as_time(*v);
            if (!ms) {
                return bad_request(std::string("filters.") + key +
                                   " must be a number of ms or an ISO-8601 string");
            }
            *out = *ms;
        }
    }
    if (req.filter.start_time && req.filter.end_time &&
        *req.filter.start_time > *req.filter.end_time) {
        return bad_request("filters.startTime is after filters.endTime");
    }
    if (const json::value* s = field(o, "search")) {
        if (!s->is_string()) return bad_request("filters.search must be a string");
        if (s->get_string().size() > core::kMaxSearchBytes) {
            return bad_request("filters.search is longer than " +
                               std::to_string(core::kMaxSearchBytes) + " bytes");
        }
        // Field terms (`status>=500`) become conditions; the rest is the substring.
        auto parsed = core::parse_search(s->get_string());
        if (auto* why = std::get_if<std::string>(&parsed))
            return bad_request("filters.search: " + *why);
        auto& query = std::get<core::SearchQuery>(parsed);
        req.filter.search = std::move(query.text);
        req.filter.fields = std::move(query.fields);
    }
    return req;
}

boost::system::result<Request, ProtocolError> decode_history(const json::object& root) {
    // The fields may stand at the top level (as the protocol allows) or inside `data`.
    auto data = body(root, "data");
    if (!data) return data.error();
    auto pick = [&](std::string_view key) {
        const json::value* v = field(root, key);
        return v ? v : field(**data, key);
    };
    HistoryRequest req;
    if (const json::value* limit = pick("limit")) {
        auto n = as_millis(*limit);
        if (!n || *n < 0 || !(limit->is_int64() || limit->is_uint64())) {
            return bad_request("limit must be a non-negative integer");
        }
        req.limit = static_cast<std::size_t>(*n);
    }
    if (const json::value* after = pick("afterId")) {
        if (!after->is_string() || after->get_string().size() > kMaxIdBytes) {
            return bad_request("afterId must be an entry id string");
        }
        req.after_id = std::string(after->get_string());
    }
    // The original library: {type:"history", ws_sent_config:{response_type:"request_history"}}.
    auto config = body(root, "ws_sent_config");
    if (!config) return config.error();
    if (const json::value* t = field(**config, "response_type")) {
        if (!t->is_string() || !valid_response_type(t->get_string())) {
            return bad_request(
                "ws_sent_config.response_type must be a name of 1 to 64 letters, digits or _-.:");
        }
        req.response_type = t->get_string();
    }
    return req;
}

// False when `v` holds a number out of double's range: serialize() would print it as Infinity,
// which is not JSON, and every viewer would fail to read the frame.
bool all_numbers_finite(const json::value& v) {
    if (v.is_double()) return std::isfinite(v.get_double());
    if (const json::array* a = v.if_array()) {
        return std::all_of(a->begin(), a->end(),
                           [](const json::value& x) { return all_numbers_finite(x); });
    }
    if (const json::object* o = v.if_object()) {
        return std::all_of(o->begin(), o->end(),
                           [](const auto& kv) { return all_numbers_finite(kv.value()); });
    }
    return true;
}

boost::system::result<Request, ProtocolError> decode_send_metrics(const json::object& root,
                                                                  const Limits& limits) {
    const json::value* data = field(root, "data");
    const json::value* metrics =
        data && data->is_object() ? any_field(data->get_object(), "metrics") : nullptr;
    if (!metrics) return bad_request("data.metrics is required");
    if (!all_numbers_finite(*metrics))
        return bad_request("data.metrics holds a number out of range");
    SendMetricsRequest req;
    req.metrics = json::serialize(*metrics);
    if (req.metrics.size() > limits.max_metadata_bytes) {
        return ProtocolError{errc::too_large, "data.metrics is larger than max_metadata_bytes"};
    }
    if (const json::value* ts = field(data->get_object(), "timestamp")) {
        req.timestamp = as_time(*ts);
        if (!req.timestamp)
            return bad_request("data.timestamp must be a number of ms or an ISO-8601 string");
    }
    return req;
}

// A frame other than `logs`, read through a document: its type, its ref, and the document.
struct Envelope {
    std::string type;
    std::string ref;
    json::value document;
};

std::string ref_json(const json::value& ref) {
    return ref.is_double() ? finite_json_number(ref.get_double()) : json::serialize(ref);
}

boost::system::result<Envelope, ProtocolError> parse_envelope(std::string_view text,
                                                              json::storage_ptr storage) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 64;
    json::value document = json::parse(text, ec, std::move(storage), options);
    if (ec) return ProtocolError{errc::bad_json, "frame is not valid JSON: " + ec.message()};
    std::string type, ref;
    if (const json::object* o = document.if_object()) {
        if (const json::value* t = field(*o, "type"); t && t->is_string()) type = t->get_string();
        if (const json::value* r = field(*o, "ref"); r && (r->is_string() || r->is_number())) {
            ref = ref_json(*r);
        }
    }
    // Move-construct: assigning a value into one with another storage would copy the tree.
    return Envelope{std::move(type), std::move(ref), std::move(document)};
}

boost::system::result<Request, ProtocolError> decode(const Envelope& envelope,
                                                     const Limits& limits) {
    const json::object* root = envelope.document.if_object();
    if (!root) return bad_request("frame must be a JSON object");
    const std::string& type = envelope.type;
    if (type.empty()) return bad_request("frame must have a string \"type\"");
    if (type == "auth") return decode_auth(*root);
    if (type == "filter") return decode_filter(*root);
    if (type == "request_history" || type == "history") return decode_history(*root);
    if (type == "request_metrics") return Request{MetricsRequest{}};
    if (type == "clear") return Request{ClearRequest{}};
    if (type == "send_metrics") return decode_send_metrics(*root, limits);
    if (type == "ping") return Request{PingRequest{}};
    if (type == "check_status") {
        auto credentials = decode_credentials(*root);
        if (!credentials) return credentials.error();
        return Request{CheckStatusRequest{std::move(*credentials)}};
    }
    return bad_request("unknown message type \"" + std::string(utf8_prefix(type, 64)) + "\"");
}

}  // namespace

boost::system::result<Frame, ProtocolError> decode_frame(std::string_view text,
                                                         const Limits& limits,
                                                         json::storage_ptr storage,
                                                         bool utf8_checked) {
    auto parsed =
        parse_entries(text, EntryLayout::logs_frame, limits, {.utf8_checked = utf8_checked});
    if (!parsed)
        return ProtocolError{errc::bad_json,
                             "frame is not valid JSON: " + parsed.error().message()};
    if (parsed->type == "logs") {
        Frame frame{std::move(parsed->type), std::move(parsed->ref),
                    bad_request("data.logs must be an array of entries")};
        if (!parsed->entries_found) return frame;
        if (!parsed->refusal.empty()) {
            frame.request =
                ProtocolError{parsed->refusal_too_large ? errc::too_large : errc::bad_request,
                              "data." + parsed->refusal};
            return frame;
        }
        frame.request = Request{std::move(parsed->entries)};
        return frame;
    }
    // The other messages are small and rare: a document is the simpler way to validate them.
    auto envelope = parse_envelope(text, std::move(storage));
    if (!envelope) return envelope.error();
    auto request = decode(*envelope, limits);
    return Frame{std::move(envelope->type), std::move(envelope->ref), std::move(request)};
}

bool allowed_before_auth(std::string_view type) noexcept {
    return type == "auth" || type == "check_status" || type == "ping";
}

}  // namespace smartlog::protocol
