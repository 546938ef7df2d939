// tests/fuzz/http_checks.hpp: what every HTTP fuzz target asserts of a refusal. A failed check
// aborts, which libFuzzer reports as a crash with the input that caused it. Single-threaded.
#pragma once

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <initializer_list>
#include <string_view>

#include "server/router.hpp"

namespace smartlog::fuzz {

inline void check(bool ok) {
    if (!ok) std::abort();
}

// A refusal has one of `statuses` and the {"error":{"code","message"}} JSON body of README, "HTTP
// API", with `code` among `codes` when given.
inline void check_error_response(const server::HttpResponse& res,
                                 std::initializer_list<unsigned> statuses,
                                 std::initializer_list<std::string_view> codes = {}) {
    bool status_ok = false;
    for (unsigned s : statuses) status_ok = status_ok || res.result_int() == s;
    check(status_ok);
    check(res[boost::beast::http::field::content_type] == "application/json");
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(res.body(), ec);
    check(!ec && body.is_object());
    const auto* error = body.as_object().if_contains("error");
    check(error && error->is_object());
    const auto* code = error->as_object().if_contains("code");
    const auto* message = error->as_object().if_contains("message");
    check(code && code->is_string() && message && message->is_string() &&
          !message->as_string().empty());
    if (codes.size() == 0) return;
    bool code_ok = false;
    for (std::string_view c : codes) code_ok = code_ok || code->as_string() == c;
    check(code_ok);
}

}  // namespace smartlog::fuzz
