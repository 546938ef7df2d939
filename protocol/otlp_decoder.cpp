#include "protocol/otlp_decoder.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "protocol/proto/otlp_logs.pb.h"

namespace smartlog::protocol {

namespace json = boost::json;

namespace {

using RepeatedKeyValue = google::protobuf::RepeatedPtrField<otlp::KeyValue>;

// --- protobuf message -> entries -------------------------------------------------------------

void append_any(std::string& out, const otlp::AnyValue& v);

void append_kvlist(std::string& out, const RepeatedKeyValue& list) {
    JsonObjectWriter obj(out);
    for (const auto& kv : list) {
        if (kv.has_value()) {
            append_any(obj.key(kv.key()), kv.value());
        } else {
            obj.raw(kv.key(), "null");
        }
    }
    obj.close();
}

// The plain JSON of a value: strings, numbers, booleans as themselves, arrays and key-value
// lists as arrays and objects, bytes as base64, an empty value as null.
void append_any(std::string& out, const otlp::AnyValue& v) {
    switch (v.value_case()) {
        case otlp::AnyValue::kStringValue: append_json_text(out, v.string_value()); break;
        case otlp::AnyValue::kBoolValue: out += v.bool_value() ? "true" : "false"; break;
        case otlp::AnyValue::kIntValue: out += std::to_string(v.int_value()); break;
        case otlp::AnyValue::kDoubleValue: append_json_double(out, v.double_value()); break;
        case otlp::AnyValue::kBytesValue: out += '"' + base64_encode(v.bytes_value()) + '"'; break;
        case otlp::AnyValue::kArrayValue: {
            out += '[';
            bool first = true;
            for (const auto& item : v.array_value().values()) {
                if (!first) out += ',';
                first = false;
                append_any(out, item);
            }
            out += ']';
            break;
        }
        case otlp::AnyValue::kKvlistValue: append_kvlist(out, v.kvlist_value().values()); break;
        case otlp::AnyValue::VALUE_NOT_SET: out += "null"; break;
    }
}

std::string scope_json(const otlp::InstrumentationScope& scope) {
    if (scope.name().empty() && scope.version().empty() && scope.attributes().empty()) return {};
    std::string out;
    JsonObjectWriter obj(out);
    if (!scope.name().empty()) obj.string("name", scope.name());
    if (!scope.version().empty()) obj.string("version", scope.version());
    if (!scope.attributes().empty()) append_kvlist(obj.key("attributes"), scope.attributes());
    obj.close();
    return out;
}

// The message a body gives: a string as itself; a key-value list's "message" or "msg" string;
// anything else as compact JSON.
std::string message_of(const otlp::AnyValue& body, bool& structured) {
    structured = false;
    switch (body.value_case()) {
        case otlp::AnyValue::kStringValue: return repaired_utf8(body.string_value());
        case otlp::AnyValue::VALUE_NOT_SET: return {};
        case otlp::AnyValue::kKvlistValue:
            structured = true;
            for (const char* name : {"message", "msg"}) {
                for (const auto& kv : body.kvlist_value().values()) {
                    if (kv.key() == name &&
                        kv.value().value_case() == otlp::AnyValue::kStringValue) {
                        return repaired_utf8(kv.value().string_value());
                    }
                }
            }
            break;
        case otlp::AnyValue::kArrayValue: structured = true; break;
        default: break;
    }
    std::string out;
    append_any(out, body);
    return out;
}

void map_request(const otlp::ExportLogsServiceRequest& request, const Limits& limits,
                 LogsRequest& out) {
    std::size_t index = 0;
    for (const auto& resource_logs : request.resource_logs()) {
        std::string resource;
        if (!resource_logs.resource().attributes().empty()) {
            append_kvlist(resource, resource_logs.resource().attributes());
        }
        for (const auto& scope_logs : resource_logs.scope_logs()) {
            const std::string scope = scope_json(scope_logs.scope());
            for (const auto& record : scope_logs.log_records()) {
                IncomingEntry e;
                e.index = index++;
                e.timestamp = millis_of_nanos(record.time_unix_nano());
                if (!e.timestamp) e.timestamp = millis_of_nanos(record.observed_time_unix_nano());
                e.level = otlp_level(record.severity_number(), record.severity_text());
                bool structured = false;
                e.message = message_of(record.body(), structured);

                std::string& meta = e.metadata;
                JsonObjectWriter obj(meta);
                if (structured) append_any(obj.key("body"), record.body());
                if (!record.attributes().empty())
                    append_kvlist(obj.key("attributes"), record.attributes());
                if (!resource.empty()) obj.raw("resource", resource);
                if (!scope.empty()) obj.raw("scope", scope);
                if (!record.trace_id().empty())
                    obj.string("traceId", hex_encode(record.trace_id()));
                if (!record.span_id().empty()) obj.string("spanId", hex_encode(record.span_id()));
                if (record.flags() & 0xFF)
                    obj.raw("traceFlags", std::to_string(record.flags() & 0xFF));
                if (!record.event_name().empty()) obj.string("eventName", record.event_name());
                if (!record.severity_text().empty())
                    obj.string("severityText", record.severity_text());
                if (record.severity_number() != 0)
                    obj.raw("severityNumber", std::to_string(record.severity_number()));
                if (obj.empty()) {
                    meta.clear();
                } else {
                    obj.close();
                }
                admit_decoded(std::move(e), limits, out);
            }
        }
    }
}

// --- the JSON mapping -> protobuf message ----------------------------------------------------

struct JsonError {
    std::string message;
};

// The member `camel` (or its proto name `snake`) of `obj`, or null when absent or JSON null.
const json::value* member(const json::object& obj, std::string_view camel,
                          std::string_view snake = {}) {
    const json::value* v = obj.if_contains(camel);
    if (!v && !snake.empty()) v = obj.if_contains(snake);
    if (v && v->is_null()) return nullptr;
    return v;
}

const json::object& as_object(const json::value& v, std::string_view what) {
    if (!v.is_object()) throw JsonError{fmt::format("{} must be an object", what)};
    return v.get_object();
}

const json::array& as_array(const json::value* v, std::string_view what) {
    static const json::array kEmpty;
    if (!v) return kEmpty;
    if (!v->is_array()) throw JsonError{fmt::format("{} must be an array", what)};
    return v->get_array();
}

std::string as_string(const json::value* v, std::string_view what) {
    if (!v) return {};
    if (!v->is_string()) throw JsonError{fmt::format("{} must be a string", what)};
    return std::string(v->get_string());
}

// A 64-bit integer: a JSON number, or a decimal string (how the mapping writes int64/fixed64).
template <class T>
T as_integer(const json::value* v, std::string_view what) {
    if (!v) return 0;
    if (v->is_int64()) {
        const std::int64_t i = v->get_int64();
        if (std::is_unsigned_v<T> && i < 0)
            throw JsonError{fmt::format("{} must not be negative", what)};
        return static_cast<T>(i);
    }
    if (v->is_uint64()) {
        const std::uint64_t u = v->get_uint64();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
            throw JsonError{fmt::format("{} is out of range", what)};
        return static_cast<T>(u);
    }
    if (v->is_double()) {
        const double d = v->get_double();
        // Whole numbers only; 2^63 and 2^64 are the first doubles out of range.
        const double lo = std::is_unsigned_v<T> ? 0.0 : -9223372036854775808.0;
        const double hi = std::is_unsigned_v<T> ? 18446744073709551616.0 : 9223372036854775808.0;
        if (!(d >= lo && d < hi) || d != std::floor(d))
            throw JsonError{fmt::format("{} must be a whole number", what)};
        return static_cast<T>(d);
    }
    if (v->is_string()) {
        const auto s = v->get_string();
        T out = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) {
            throw JsonError{
                fmt::format("{} must be a whole number (a number or a decimal string)", what)};
        }
        return out;
    }
    throw JsonError{fmt::format("{} must be a whole number", what)};
}

std::int32_t severity_of(const json::value* v) {
    if (v && v->is_string()) {
        // The mapping allows enum names too: SEVERITY_NUMBER_INFO2 and so on.
        static constexpr std::string_view kNames[] = {"TRACE", "DEBUG", "INFO",
                                                      "WARN",  "ERROR", "FATAL"};
        std::string_view s = v->get_string();
        constexpr std::string_view kPrefix = "SEVERITY_NUMBER_";
        if (s.substr(0, kPrefix.size()) == kPrefix) {
            s.remove_prefix(kPrefix.size());
            if (s == "UNSPECIFIED") return 0;
            for (std::size_t i = 0; i < std::size(kNames); ++i) {
                if (s.substr(0, kNames[i].size()) != kNames[i]) continue;
                const std::string_view rest = s.substr(kNames[i].size());
                const int step = rest.empty() ? 0
                                 : rest.size() == 1 && rest[0] >= '2' && rest[0] <= '4'
                                     ? rest[0] - '1'
                                     : -1;
                if (step >= 0) return static_cast<std::int32_t>(i * 4 + 1 + step);
            }
        }
    }
    const auto n = as_integer<std::int64_t>(v, "severityNumber");
    if (n < 0 || n > 255) throw JsonError{"severityNumber must be from 0 to 24"};
    return static_cast<std::int32_t>(n);
}

std::string hex_decode(const json::value* v, std::string_view what) {
    const std::string text = as_string(v, what);
    if (text.size() % 2) throw JsonError{fmt::format("{} must be hex digits", what)};
    std::string out(text.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(text.data() + 2 * i, text.data() + 2 * i + 2, value, 16);
        if (ec != std::errc{} || ptr != text.data() + 2 * i + 2)
            throw JsonError{fmt::format("{} must be hex digits", what)};
        out[i] = static_cast<char>(value);
    }
    return out;
}

std::string base64_of(const json::value* v, std::string_view what) {
    auto bytes = base64_decode(as_string(v, what));
    if (!bytes) throw JsonError{fmt::format("{} must be base64", what)};
    return std::move(*bytes);
}

void read_any(const json::value& v, otlp::AnyValue& out, std::string_view what);

void read_key_values(const json::value* v, RepeatedKeyValue& out, std::string_view what) {
    for (const json::value& item : as_array(v, what)) {
        const json::object& obj = as_object(item, what);
        otlp::KeyValue* kv = out.Add();
        kv->set_key(as_string(member(obj, "key"), "key"));
        if (const json::value* value = member(obj, "value"))
            read_any(*value, *kv->mutable_value(), "value");
    }
}

void read_any(const json::value& v, otlp::AnyValue& out, std::string_view what) {
    const json::object& obj = as_object(v, what);
    if (const auto* s = member(obj, "stringValue", "string_value")) {
        out.set_string_value(as_string(s, "stringValue"));
    } else if (const auto* b = member(obj, "boolValue", "bool_value")) {
        if (!b->is_bool()) throw JsonError{"boolValue must be true or false"};
        out.set_bool_value(b->get_bool());
    } else if (const auto* i = member(obj, "intValue", "int_value")) {
        out.set_int_value(as_integer<std::int64_t>(i, "intValue"));
    } else if (const auto* d = member(obj, "doubleValue", "double_value")) {
        if (d->is_number()) {
            out.set_double_value(d->to_number<double>());
        } else if (d->is_string() && (d->get_string() == "NaN" || d->get_string() == "Infinity" ||
                                      d->get_string() == "-Infinity")) {
            const auto s = d->get_string();
            out.set_double_value(s == "NaN"        ? std::nan("")
                                 : s == "Infinity" ? HUGE_VAL
                                                   : -HUGE_VAL);
        } else {
            throw JsonError{"doubleValue must be a number"};
        }
    } else if (const auto* a = member(obj, "arrayValue", "array_value")) {
        auto* array = out.mutable_array_value();
        for (const json::value& item :
             as_array(member(as_object(*a, "arrayValue"), "values"), "arrayValue.values")) {
            read_any(item, *array->add_values(), "arrayValue.values[]");
        }
    } else if (const auto* l = member(obj, "kvlistValue", "kvlist_value")) {
        read_key_values(member(as_object(*l, "kvlistValue"), "values"),
                        *out.mutable_kvlist_value()->mutable_values(), "kvlistValue.values");
    } else if (const auto* y = member(obj, "bytesValue", "bytes_value")) {
        out.set_bytes_value(base64_of(y, "bytesValue"));
    }
}

void read_record(const json::object& obj, otlp::LogRecord& r) {
    r.set_time_unix_nano(
        as_integer<std::uint64_t>(member(obj, "timeUnixNano", "time_unix_nano"), "timeUnixNano"));
    r.set_observed_time_unix_nano(as_integer<std::uint64_t>(
        member(obj, "observedTimeUnixNano", "observed_time_unix_nano"), "observedTimeUnixNano"));
    r.set_severity_number(severity_of(member(obj, "severityNumber", "severity_number")));
    r.set_severity_text(as_string(member(obj, "severityText", "severity_text"), "severityText"));
    if (const auto* body = member(obj, "body")) read_any(*body, *r.mutable_body(), "body");
    read_key_values(member(obj, "attributes"), *r.mutable_attributes(), "attributes");
    const auto flags = as_integer<std::uint64_t>(member(obj, "flags"), "flags");
    if (flags > 0xFFFFFFFFu) throw JsonError{"flags is out of range"};
    r.set_flags(static_cast<std::uint32_t>(flags));
    r.set_trace_id(hex_decode(member(obj, "traceId", "trace_id"), "traceId"));
    r.set_span_id(hex_decode(member(obj, "spanId", "span_id"), "spanId"));
    r.set_event_name(as_string(member(obj, "eventName", "event_name"), "eventName"));
}

void read_request(const json::value& doc, otlp::ExportLogsServiceRequest& request) {
    const json::object& root = as_object(doc, "the request");
    for (const json::value& rl :
         as_array(member(root, "resourceLogs", "resource_logs"), "resourceLogs")) {
        const json::object& rl_obj = as_object(rl, "resourceLogs[]");
        auto* resource_logs = request.add_resource_logs();
        if (const auto* res = member(rl_obj, "resource")) {
            read_key_values(member(as_object(*res, "resource"), "attributes"),
                            *resource_logs->mutable_resource()->mutable_attributes(),
                            "resource.attributes");
        }
        for (const json::value& sl :
             as_array(member(rl_obj, "scopeLogs", "scope_logs"), "scopeLogs")) {
            const json::object& sl_obj = as_object(sl, "scopeLogs[]");
            auto* scope_logs = resource_logs->add_scope_logs();
            if (const auto* scope = member(sl_obj, "scope")) {
                const json::object& s = as_object(*scope, "scope");
                auto* out = scope_logs->mutable_scope();
                out->set_name(as_string(member(s, "name"), "scope.name"));
                out->set_version(as_string(member(s, "version"), "scope.version"));
                read_key_values(member(s, "attributes"), *out->mutable_attributes(),
                                "scope.attributes");
            }
            for (const json::value& lr :
                 as_array(member(sl_obj, "logRecords", "log_records"), "logRecords")) {
                read_record(as_object(lr, "logRecords[]"), *scope_logs->add_log_records());
            }
        }
    }
}

}  // namespace

std::string otlp_level(std::int32_t severity_number, std::string_view severity_text) {
    static constexpr const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "fatal"};
    if (severity_number >= 1 && severity_number <= 24) return kLevels[(severity_number - 1) / 4];
    if (auto level = level_of_text(severity_text)) return *level;
    return "info";
}

std::variant<LogsRequest, DecodeError> decode_otlp_protobuf(std::string_view body,
                                                            const Limits& limits) {
    silence_protobuf_logs();
    otlp::ExportLogsServiceRequest request;
    if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return DecodeError{
            "the body is not an OTLP ExportLogsServiceRequest (protobuf), or one of its strings is "
            "not UTF-8"};
    }
    LogsRequest out;
    map_request(request, limits, out);
    return out;
}

std::variant<LogsRequest, DecodeError> decode_otlp_json(std::string_view body,
                                                        const Limits& limits) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 64;
    const json::value doc = json::parse(body, ec, {}, options);
    if (ec) return DecodeError{"the body is not valid JSON: " + ec.message()};
    otlp::ExportLogsServiceRequest request;
    try {
        read_request(doc, request);
    } catch (const JsonError& e) {
        return DecodeError{"the body is not an OTLP logs request: " + e.message};
    }
    LogsRequest out;
    map_request(request, limits, out);
    return out;
}

std::string otlp_response_protobuf(std::int64_t rejected, std::string_view message) {
    otlp::ExportLogsServiceResponse response;
    if (rejected > 0 || !message.empty()) {
        auto* partial = response.mutable_partial_success();
        partial->set_rejected_log_records(rejected);
        partial->set_error_message(repaired_utf8(message));
    }
    return response.SerializeAsString();
}

std::string otlp_response_json(std::int64_t rejected, std::string_view message) {
    if (rejected <= 0 && message.empty()) return "{}";
    std::string out;
    JsonObjectWriter root(out);
    std::string& partial = root.key("partialSuccess");
    JsonObjectWriter obj(partial);
    // int64 as a decimal string, as the mapping writes it.
    obj.string("rejectedLogRecords", std::to_string(rejected));
    obj.string("errorMessage", message);
    obj.close();
    root.close();
    return out;
}

std::string otlp_status_protobuf(int code, std::string_view message) {
    otlp::Status status;
    status.set_code(code);
    status.set_message(repaired_utf8(message));
    return status.SerializeAsString();
}

std::string otlp_status_json(int code, std::string_view message) {
    std::string out;
    JsonObjectWriter obj(out);
    obj.raw("code", std::to_string(code));
    obj.string("message", message);
    obj.close();
    return out;
}

}  // namespace smartlog::protocol
