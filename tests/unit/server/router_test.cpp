#include "server/router.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace smartlog::server {
namespace {

boost::json::value error_body(const HttpResponse& res) {
    boost::system::error_code ec;
    auto body = boost::json::parse(res.body(), ec);
    EXPECT_FALSE(ec) << res.body();
    return body;
}

// Found by fuzz_http: "DELETE /api/v1/lo\xa2s?app=shop" got a 404 whose message echoed the
// path's byte 0xA2 raw, which made the body invalid JSON.
TEST(Router, AnErrorThatEchoesBytesThatAreNotUtf8IsStillJson) {
    Router router;
    router.add(http::verb::get, "/api/v1/logs", [](const HttpRequest& req) {
        return text_response(req, http::status::ok, "application/json", "{}");
    });
    HttpRequest req{http::verb::delete_, "/api/v1/lo\xa2s?app=shop", 11};
    auto res = router.handle(req);
    EXPECT_EQ(res.result(), http::status::not_found);
    auto body = error_body(res);
    EXPECT_EQ(body.at("error").at("code").as_string(), "not_found");
    EXPECT_EQ(body.at("error").at("message").as_string(), "no such route: /api/v1/lo\xEF\xBF\xBDs");

    req.target("/api/v1/logs");
    req.method(http::verb::put);
    res = router.handle(req);
    EXPECT_EQ(res.result(), http::status::method_not_allowed);
    EXPECT_EQ(error_body(res).at("error").at("message").as_string(),
              "method not allowed on /api/v1/logs");
}

TEST(Router, JsonErrorEscapesQuotesAndControlCharacters) {
    HttpRequest req{http::verb::get, "/", 11};
    auto res = json_error(req, http::status::bad_request, "bad_request", "a \"quoted\"\n\x01 word");
    EXPECT_EQ(error_body(res).at("error").at("message").as_string(), "a \"quoted\"\n\x01 word");
}

}  // namespace
}  // namespace smartlog::server
