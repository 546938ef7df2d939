// libFuzzer target: the bodies of POST /api/v1/logs (decode_ingest_body): JSON, NDJSON, text/plain.
// The input's first line is the Content-Type (absent when the input has no newline), the rest is
// the body. Any body is either refused with a 400 or split into accepted and rejected entries, one
// per JSON element or non-blank NDJSON line, each accepted one within the limits.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/level.hpp"
#include "server/routes/logs_routes.hpp"
#include "tests/fuzz/http_checks.hpp"

using namespace smartlog;
using fuzz::check;

namespace {

bool ndjson_type(std::string_view content_type) {
    const std::string_view type = content_type.substr(0, content_type.find(';'));
    return type == "application/x-ndjson" || type == "application/ndjson" ||
           type == "application/jsonl";
}

bool text_type(std::string_view content_type) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    return type == "text/plain";
}

std::size_t non_blank_lines(std::string_view body) {
    std::size_t n = 0;
    while (!body.empty()) {
        const auto nl = body.find('\n');
        if (body.substr(0, nl).find_first_not_of(" \t\r") != std::string_view::npos) ++n;
        body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    }
    return n;
}

// How many entries a JSON body holds: an array's size, {"logs": [...]}'s size, or none (400).
std::optional<std::size_t> json_entry_count(std::string_view body) {
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 64;
    const boost::json::value doc = boost::json::parse(body, ec, {}, options);
    if (ec) return std::nullopt;
    if (const auto* a = doc.if_array()) return a->size();
    if (const auto* o = doc.if_object()) {
        if (const auto* logs = o->if_contains("logs"); logs && logs->is_array())
            return logs->as_array().size();
    }
    return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    const bool has_type = nl != std::string_view::npos;
    const std::string_view content_type = has_type ? input.substr(0, nl) : std::string_view();
    const std::string_view body = has_type ? input.substr(nl + 1) : input;

    server::HttpRequest req{boost::beast::http::verb::post, "/api/v1/logs?app=app", 11};
    if (has_type) req.set(boost::beast::http::field::content_type, content_type);
    req.body() = std::string(body);
    req.prepare_payload();

    protocol::Limits limits;
    limits.max_message_bytes = 256;
    limits.max_metadata_bytes = 128;
    auto decoded = server::routes::decode_ingest_body(req, limits);

    // As stored: Beast trims the value's surrounding whitespace, as its parser does on the wire.
    // text/plain counts lines as NDJSON does (one entry per line that is not blank), unless the
    // body is a JSON array or {"logs": [...]}.
    const bool text = has_type && text_type(req[boost::beast::http::field::content_type]);
    const bool ndjson = has_type && ndjson_type(req[boost::beast::http::field::content_type]);
    std::optional<std::size_t> expected = ndjson ? non_blank_lines(body) : json_entry_count(body);
    if (text && !expected) expected = non_blank_lines(body);
    const bool lines = ndjson || (text && !json_entry_count(body));
    if (auto* refusal = std::get_if<server::HttpResponse>(&decoded)) {
        // NDJSON and text are never refused whole: each bad line is rejected alone.
        check(!lines && !expected);
        fuzz::check_error_response(*refusal, {400}, {"bad_json", "bad_request"});
        return 0;
    }
    const auto& logs = std::get<protocol::LogsRequest>(decoded);
    check(expected && logs.accepted.size() + logs.rejected.size() == *expected);
    // Every index once, accepted and rejected each in order.
    std::vector<bool> seen(*expected, false);
    for (const auto& e : logs.accepted) {
        check(e.index < seen.size() && !seen[e.index]);
        seen[e.index] = true;
        check(e.message.size() <= limits.max_message_bytes &&
              e.metadata.size() <= limits.max_metadata_bytes);
        check(!e.level.empty() && e.level.size() <= core::kMaxLevelLength &&
              core::normalize_level(e.level) == e.level);
        // Only an ISO-8601 timestamp may precede 1970, and not before year 0.
        if (e.timestamp) check(*e.timestamp >= -62'300'000'000'000);
        if (!e.metadata.empty()) {
            boost::system::error_code ec;
            boost::json::parse(e.metadata, ec);
            check(!ec);
        }
    }
    for (const auto& r : logs.rejected) {
        check(r.index < seen.size() && !seen[r.index] && !r.message.empty());
        seen[r.index] = true;
    }
    return 0;
}
