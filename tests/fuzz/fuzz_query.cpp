// libFuzzer target: the query string of GET /api/v1/logs: query_params, then parse_logs_query.
// The input is everything after '?'. The parameters must survive percent-encoding again, and
// the query is either a 400 or one the store may run (README, "HTTP API" ranges).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/filter.hpp"
#include "core/level.hpp"
#include "protocol/limits.hpp"
#include "server/routes/http_request.hpp"
#include "server/routes/logs_routes.hpp"
#include "tests/fuzz/http_checks.hpp"

using namespace smartlog;
using fuzz::check;

namespace {

std::string percent_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string target =
        "/api/v1/logs?" + std::string(reinterpret_cast<const char*>(data), size);
    const auto params = server::routes::query_params(target);

    std::string again = "/api/v1/logs?";
    for (const auto& [key, value] : params)
        again += percent_encode(key) + "=" + percent_encode(value) + "&";
    check(server::routes::query_params(again) == params);

    server::HttpRequest req{boost::beast::http::verb::get, target, 11};
    auto parsed = server::routes::parse_logs_query(req, params, "app");
    if (auto* refusal = std::get_if<server::HttpResponse>(&parsed)) {
        fuzz::check_error_response(*refusal, {400}, {"bad_request"});
        // Refused only for a parameter it checks, or for one it does not know: anything but app.
        bool any = false;
        for (const auto& [key, value] : params) any = any || key != "app";
        check(any);
        return 0;
    }
    const auto& query = std::get<storage::Query>(parsed);
    const core::Filter& q = query.filter;
    check(query.app_id == "app");
    check(query.limit >= 1 && query.limit <= server::routes::kMaxQueryLimit);
    if (!params.count("limit")) check(query.limit == server::routes::kDefaultQueryLimit);
    if (q.start_time && q.end_time) check(*q.start_time <= *q.end_time);
    check(q.start_time.has_value() == (params.count("start") == 1));
    check(q.end_time.has_value() == (params.count("end") == 1));
    auto search = params.find("q");
    // `q` is text and field conditions (core/field_query.hpp): the text is what is left of it.
    check(search == params.end() ? q.search.empty() && q.fields.empty()
                                 : q.search.size() <= search->second.size() &&
                                       q.search.size() <= core::kMaxSearchBytes);
    if (query.before_id)
        check(!query.before_id->empty() && query.before_id->size() <= protocol::kMaxIdBytes &&
              *query.before_id == params.at("before"));
    check(q.levels.size() <= core::kMaxFilterLevels);
    for (std::size_t i = 0; i < q.levels.size(); ++i) {
        const std::string& level = q.levels[i];
        check(!level.empty() && core::normalize_level(level) == level);
        check(std::find(q.levels.begin() + static_cast<std::ptrdiff_t>(i) + 1, q.levels.end(),
                        level) == q.levels.end());
    }
    return 0;
}
