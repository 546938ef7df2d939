// client/metadata.cpp: smartlog::Metadata and to_json(LogEntry), the public value helpers.
// Pure; no thread rule.
#include <charconv>
#include <cmath>
#include <smartlog/client.hpp>

#include "protocol/requests.hpp"

namespace smartlog {

Metadata& Metadata::add(std::string_view key, std::string_view value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":" + protocol::json_quote(value);
    return *this;
}

Metadata& Metadata::add(std::string_view key, std::int64_t value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":" + std::to_string(value);
    return *this;
}

Metadata& Metadata::add(std::string_view key, double value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":";
    if (!std::isfinite(value)) {
        fields_ += "null";  // JSON has no NaN or infinity
    } else {
        char buf[32];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, value);
        fields_.append(buf, ec == std::errc() ? p : buf);
    }
    return *this;
}

Metadata& Metadata::add(std::string_view key, bool value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":" + (value ? "true" : "false");
    return *this;
}

Metadata Metadata::raw(std::string json) {
    Metadata m;
    m.json_ = std::move(json);
    return m;
}

std::string Metadata::json() const {
    if (!json_.empty()) return json_;
    if (fields_.empty()) return {};
    return "{" + fields_ + "}";
}

std::string to_json(const LogEntry& e) {
    if (!e.json.empty()) return e.json;
    std::string out = "{\"id\":" + protocol::json_quote(e.id) +
                      ",\"timestamp\":" + std::to_string(e.timestamp) +
                      ",\"level\":" + protocol::json_quote(e.level) +
                      ",\"message\":" + protocol::json_quote(e.message);
    if (!e.metadata.empty()) out += ",\"metadata\":" + e.metadata;
    out += ",\"appId\":" + protocol::json_quote(e.app_id) +
           ",\"userId\":" + protocol::json_quote(e.user_id) + "}";
    return out;
}

}  // namespace smartlog
