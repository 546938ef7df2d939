#include "protocol/requests.hpp"

#include "protocol/encode.hpp"  // filter_json: the same normalised form the server echoes
#include "protocol/utf8.hpp"

namespace smartlog::protocol {

std::string json_quote(std::string_view s) {
    // Log lines come from anywhere (a pipe, a binary's stderr): invalid UTF-8 would make the
    // whole frame invalid JSON, so each bad byte becomes U+FFFD instead.
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        if (n > 1) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    static constexpr char kHex[] = "0123456789abcdef";
                    out += "\\u00";
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xF]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    out.push_back('"');
    return out;
}

namespace {

std::string credentials_body(const Credentials& c) {
    std::string out = "{\"userId\":" + json_quote(c.user_id) + ",\"appId\":" + json_quote(c.app_id);
    if (c.token) out += ",\"token\":" + json_quote(*c.token);
    return out;
}

}  // namespace

std::string auth_request(const Credentials& credentials, Mode mode) {
    return "{\"type\":\"auth\",\"data\":" + credentials_body(credentials) +
           ",\"mode\":" + (mode == Mode::producer ? "\"producer\"" : "\"viewer\"") + "}}";
}

std::string check_status_request(const Credentials& credentials) {
    return "{\"type\":\"check_status\",\"data\":" + credentials_body(credentials) + "}}";
}

std::string filter_request(const core::Filter& filter) {
    return "{\"type\":\"filter\",\"filters\":" + filter_json(filter) + "}";
}

std::string history_request(std::optional<std::size_t> limit, std::string_view after_id) {
    std::string out = "{\"type\":\"request_history\"";
    if (limit) out += ",\"limit\":" + std::to_string(*limit);
    if (!after_id.empty()) out += ",\"afterId\":" + json_quote(after_id);
    out += "}";
    return out;
}

std::string clear_request() { return R"({"type":"clear"})"; }
std::string metrics_request() { return R"({"type":"request_metrics"})"; }
std::string ping_request() { return R"({"type":"ping"})"; }

std::string entry_object(std::int64_t timestamp_ms, std::string_view level,
                         std::string_view message, std::string_view metadata_json) {
    std::string out;
    out.reserve(message.size() + metadata_json.size() + level.size() + 64);
    out += "{\"timestamp\":";
    out += std::to_string(timestamp_ms);
    out += ",\"level\":";
    out += json_quote(level);
    out += ",\"message\":";
    out += json_quote(message);
    if (!metadata_json.empty()) {
        out += ",\"metadata\":";
        out += metadata_json;
    }
    out += '}';
    return out;
}

std::string logs_request(std::uint64_t ref, std::span<const std::string> entry_objects) {
    std::size_t size = 64;
    for (const auto& e : entry_objects) size += e.size() + 1;
    std::string out;
    out.reserve(size);
    out += "{\"type\":\"logs\",\"ref\":";
    out += std::to_string(ref);
    out += ",\"data\":{\"logs\":[";
    for (std::size_t i = 0; i < entry_objects.size(); ++i) {
        if (i) out.push_back(',');
        out += entry_objects[i];
    }
    out += "]}}";
    return out;
}

}  // namespace smartlog::protocol
