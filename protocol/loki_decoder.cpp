#include "protocol/loki_decoder.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <vector>

#include "protocol/proto/loki_push.pb.h"

namespace smartlog::protocol {

namespace json = boost::json;

namespace {

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

// The level a stream's labels name, else its entry's structured metadata; else "info".
std::string level_of(const Pairs& labels, const Pairs& structured) {
    for (const Pairs* pairs : {&labels, &structured}) {
        for (std::string_view name : {"level", "detected_level", "severity"}) {
            for (const auto& [k, v] : *pairs) {
                if (k != name) continue;
                if (auto level = level_of_text(v)) return *level;
            }
        }
    }
    return "info";
}

void append_pairs(std::string& out, const Pairs& pairs) {
    JsonObjectWriter obj(out);
    for (const auto& [k, v] : pairs) obj.string(k, v);
    obj.close();
}

// The entry of one line: docs/ingest.md "Loki" for the layout of its metadata.
void add_entry(std::size_t index, std::optional<std::int64_t> timestamp, std::string_view line,
               const std::string& labels_json, const Pairs& labels, const Pairs& structured,
               const Limits& limits, LogsRequest& out) {
    IncomingEntry e;
    e.index = index;
    e.timestamp = timestamp;
    e.level = level_of(labels, structured);
    e.message = repaired_utf8(line);
    JsonObjectWriter obj(e.metadata);
    if (!labels.empty()) obj.raw("labels", labels_json);
    if (!structured.empty()) append_pairs(obj.key("structuredMetadata"), structured);
    if (obj.empty()) {
        e.metadata.clear();
    } else {
        obj.close();
    }
    admit_decoded(std::move(e), limits, out);
}

struct BadShape {
    std::string message;
};

// Nanoseconds since the epoch as Loki sends them: a decimal string (a number is accepted too).
std::optional<std::int64_t> nanos_to_millis(const json::value& v) {
    std::uint64_t nanos = 0;
    if (v.is_string()) {
        const auto s = v.get_string();
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), nanos);
        if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) {
            throw BadShape{
                "a value's timestamp must be nanoseconds since the epoch, as a decimal string"};
        }
    } else if (v.is_uint64()) {
        nanos = v.get_uint64();
    } else if (v.is_int64() && v.get_int64() >= 0) {
        nanos = static_cast<std::uint64_t>(v.get_int64());
    } else {
        throw BadShape{
            "a value's timestamp must be nanoseconds since the epoch, as a decimal string"};
    }
    return millis_of_nanos(nanos);
}

Pairs string_pairs(const json::value& v, std::string_view what) {
    if (!v.is_object()) throw BadShape{fmt::format("{} must be an object of strings", what)};
    Pairs out;
    for (const auto& kv : v.get_object()) {
        if (!kv.value().is_string())
            throw BadShape{fmt::format("{} must be an object of strings", what)};
        out.emplace_back(kv.key(), kv.value().get_string());
    }
    return out;
}

void read_json(const json::value& doc, const Limits& limits, LogsRequest& out) {
    const json::object* root = doc.if_object();
    const json::value* streams = root ? root->if_contains("streams") : nullptr;
    if (!streams || !streams->is_array()) throw BadShape{"the body must be {\"streams\": [...]}"};
    std::size_t index = 0;
    for (const json::value& stream : streams->get_array()) {
        const json::object* s = stream.if_object();
        if (!s) throw BadShape{"each stream must be an object"};
        Pairs labels;
        if (const json::value* l = s->if_contains("stream"); l && !l->is_null())
            labels = string_pairs(*l, "stream");
        std::string labels_json;
        append_pairs(labels_json, labels);
        const json::value* values = s->if_contains("values");
        if (!values || !values->is_array())
            throw BadShape{"each stream must have \"values\": [[\"<ns>\", \"line\"], ...]"};
        for (const json::value& value : values->get_array()) {
            const json::array* v = value.if_array();
            if (!v || v->size() < 2 || v->size() > 3 || !(*v)[1].is_string()) {
                throw BadShape{
                    "each value must be [\"<ns>\", \"line\"] or [\"<ns>\", \"line\", {structured "
                    "metadata}]"};
            }
            const auto timestamp = nanos_to_millis((*v)[0]);
            Pairs structured;
            if (v->size() == 3 && !(*v)[2].is_null())
                structured = string_pairs((*v)[2], "structured metadata");
            add_entry(index++, timestamp, (*v)[1].get_string(), labels_json, labels, structured,
                      limits, out);
        }
    }
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_loki_labels(std::string_view text) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    const auto skip_spaces = [&] {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    };
    // At a closing brace: the selector must end there.
    const auto closed = [&]() -> std::optional<decltype(out)> {
        ++i;
        skip_spaces();
        return i == text.size() ? std::optional(out) : std::nullopt;
    };
    skip_spaces();
    if (i == text.size() || text[i] != '{') return std::nullopt;
    ++i;
    skip_spaces();
    if (i < text.size() && text[i] == '}') return closed();
    for (;;) {
        skip_spaces();
        const std::size_t start = i;
        while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                                   text[i] == '_' || (text[i] == '.' && i > start))) {
            ++i;
        }
        if (i == start || std::isdigit(static_cast<unsigned char>(text[start])))
            return std::nullopt;
        std::string name(text.substr(start, i - start));
        skip_spaces();
        if (i == text.size() || text[i] != '=') return std::nullopt;
        ++i;
        skip_spaces();
        if (i == text.size() || text[i] != '"') return std::nullopt;
        ++i;
        std::string value;
        for (;;) {
            if (i == text.size()) return std::nullopt;
            const char c = text[i++];
            if (c == '"') break;
            if (c == '\\') {
                if (i == text.size()) return std::nullopt;
                const char esc = text[i++];
                value += esc == 'n' ? '\n' : esc == 't' ? '\t' : esc;
            } else {
                value += c;
            }
        }
        out[std::move(name)] = std::move(value);
        skip_spaces();
        if (i == text.size()) return std::nullopt;
        if (text[i] == ',') {
            ++i;
            skip_spaces();
            // A trailing comma is allowed, as in PromQL.
            if (i < text.size() && text[i] == '}') return closed();
            continue;
        }
        if (text[i] != '}') return std::nullopt;
        return closed();
    }
}

std::variant<LogsRequest, DecodeError> decode_loki_json(std::string_view body,
                                                        const Limits& limits) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 16;
    const json::value doc = json::parse(body, ec, {}, options);
    if (ec) return DecodeError{"the body is not valid JSON: " + ec.message()};
    LogsRequest out;
    try {
        read_json(doc, limits, out);
    } catch (const BadShape& e) {
        return DecodeError{e.message};
    }
    return out;
}

std::variant<LogsRequest, DecodeError> decode_loki_protobuf(std::string_view body,
                                                            const Limits& limits) {
    silence_protobuf_logs();
    loki::PushRequest request;
    if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return DecodeError{
            "the body is not a Loki PushRequest (protobuf), or one of its strings is not UTF-8"};
    }
    LogsRequest out;
    std::size_t index = 0;
    for (const auto& stream : request.streams()) {
        const auto parsed = parse_loki_labels(stream.labels());
        if (!parsed)
            return DecodeError{"a stream's labels are not {name=\"value\", ...}: " +
                               repaired_utf8(stream.labels().substr(0, 200))};
        Pairs labels(parsed->begin(), parsed->end());
        std::string labels_json;
        append_pairs(labels_json, labels);
        for (const auto& entry : stream.entries()) {
            Pairs structured;
            for (const auto& pair : entry.structured_metadata())
                structured.emplace_back(pair.name(), pair.value());
            std::optional<std::int64_t> timestamp;
            const auto& ts = entry.timestamp();
            // Seconds within what ms since the epoch can hold; nanos 0 to 999,999,999.
            if (ts.seconds() < -9'000'000'000'000 || ts.seconds() > 9'000'000'000'000 ||
                ts.nanos() < 0 || ts.nanos() > 999'999'999) {
                return DecodeError{"an entry's timestamp is out of range"};
            }
            if (ts.seconds() != 0 || ts.nanos() != 0)
                timestamp = ts.seconds() * 1000 + ts.nanos() / 1'000'000;
            add_entry(index++, timestamp, entry.line(), labels_json, labels, structured, limits,
                      out);
        }
    }
    return out;
}

}  // namespace smartlog::protocol
