#include "protocol/ingest_common.hpp"

#include <cmath>
#include <google/protobuf/stubs/logging.h>
#include <fmt/format.h>

#include "core/level.hpp"
#include "protocol/encode.hpp"
#include "protocol/utf8.hpp"

namespace smartlog::protocol {

bool valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        // ASCII runs dominate log text: skip them a byte at a time without the table.
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string repaired_utf8(std::string_view s) {
    if (valid_utf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

void append_json_text(std::string& out, std::string_view s) {
    if (valid_utf8(s)) {
        append_json_string(out, s);
    } else {
        append_json_string(out, repaired_utf8(s));
    }
}

void append_json_double(std::string& out, double d) {
    if (std::isnan(d)) {
        out += "\"NaN\"";
    } else if (std::isinf(d)) {
        out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
        fmt::format_to(std::back_inserter(out), "{}", d);
    }
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (bytes.size() - i == 1) {
        const unsigned v = at(i) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (bytes.size() - i == 2) {
        const unsigned v = (at(i) << 16) | (at(i + 1) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3 + 3);
    unsigned buffer = 0;
    int bits = 0;
    std::size_t padding = 0;
    for (char c : text) {
        int d = -1;
        if (c >= 'A' && c <= 'Z') d = c - 'A';
        else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
        else if (c >= '0' && c <= '9') d = c - '0' + 52;
        else if (c == '+' || c == '-') d = 62;
        else if (c == '/' || c == '_') d = 63;
        else if (c == '=') {
            ++padding;
            continue;
        }
        if (d < 0 || padding) return std::nullopt;
        buffer = ((buffer << 6) | static_cast<unsigned>(d)) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    // A lone sixth of a byte, or padding past what completes a quantum, is not base64.
    if (bits >= 6 || padding > 2) return std::nullopt;
    return out;
}

std::string hex_encode(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

std::string& JsonObjectWriter::key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    append_json_text(out_, k);
    out_ += ':';
    return out_;
}

std::optional<std::int64_t> millis_of_nanos(std::uint64_t nanos) noexcept {
    if (nanos == 0) return std::nullopt;
    return static_cast<std::int64_t>(nanos / 1'000'000);
}

std::optional<std::string> level_of_text(std::string_view text) {
    if (text.empty()) return std::nullopt;
    return core::normalize_level(valid_utf8(text) ? std::string(text) : repaired_utf8(text));
}

void silence_protobuf_logs() {
    static const bool silenced = [] {
        google::protobuf::SetLogHandler(nullptr);
        return true;
    }();
    (void)silenced;
}

void admit_decoded(IncomingEntry entry, const Limits& limits, LogsRequest& out) {
    if (entry.message.size() > limits.max_message_bytes) {
        out.rejected.push_back(
            {entry.index, fmt::format("message is {} bytes, over max_message_bytes ({})",
                                      entry.message.size(), limits.max_message_bytes)});
        return;
    }
    if (entry.metadata.size() > limits.max_metadata_bytes) {
        out.rejected.push_back(
            {entry.index, fmt::format("metadata is {} bytes, over max_metadata_bytes ({})",
                                      entry.metadata.size(), limits.max_metadata_bytes)});
        return;
    }
    out.accepted.push_back(std::move(entry));
}

}  // namespace smartlog::protocol
