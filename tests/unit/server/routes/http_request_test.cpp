#include "server/routes/http_request.hpp"

#include <gtest/gtest.h>

namespace smartlog::server::routes {
namespace {

TEST(QueryParams, PercentDecodesAndKeepsTheLastOfARepeatedKey) {
    auto p = query_params("/x?a=1&b=x+y%21&a=2&flag&&=v&c=%zz%4");
    EXPECT_EQ(p.at("a"), "2");
    EXPECT_EQ(p.at("b"), "x y!");
    EXPECT_EQ(p.at("flag"), "");
    EXPECT_EQ(p.at(""), "v");
    EXPECT_EQ(p.at("c"), "%zz%4");
    EXPECT_TRUE(query_params("/x").empty());
}

AccessControl users() {
    Config c;
    apply_toml(c, R"(
[[apps]]
id = "shop"
[[apps]]
id = "old"
active = false
[[users]]
id = "alice"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
apps = { shop = ["read", "write"], old = ["read"] }
)",
               "test.toml");
    return AccessControl(c);
}

HttpRequest request(std::string_view authorization, std::string_view user) {
    HttpRequest req{http::verb::get, "/api/v1/logs", 11};
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    if (!user.empty()) req.set("X-Smartlog-User", user);
    return req;
}

unsigned status_of(const std::variant<Caller, HttpResponse>& r) {
    return std::holds_alternative<HttpResponse>(r) ? std::get<HttpResponse>(r).result_int() : 200;
}

TEST(Authorize, AcceptsTheBearerTokenOfAUserWithThePermission) {
    const AccessControl access = users();
    auto r = authorize(access, request("bearer test  ", "alice"), "shop", Permission::write);
    ASSERT_TRUE(std::holds_alternative<Caller>(r));
    EXPECT_EQ(std::get<Caller>(r).user_id, "alice");
    EXPECT_EQ(std::get<Caller>(r).app_id, "shop");
}

TEST(Authorize, SaysWhyItRefuses) {
    const AccessControl access = users();
    EXPECT_EQ(status_of(authorize(access, request("Bearer test", "alice"), "", Permission::read)),
              400u);
    EXPECT_EQ(status_of(authorize(access, request("Bearer test", std::string(129, 'u')), "shop",
                                  Permission::read)),
              400u);
    EXPECT_EQ(
        status_of(authorize(access, request("Basic dGVzdA==", "alice"), "shop", Permission::read)),
        401u);
    EXPECT_EQ(status_of(authorize(access, request("Bearer", "alice"), "shop", Permission::read)),
              401u);
    EXPECT_EQ(status_of(authorize(access, request("Bearer test", ""), "shop", Permission::read)),
              401u);
    EXPECT_EQ(
        status_of(authorize(access, request("Bearer wrong", "alice"), "shop", Permission::read)),
        401u);
    EXPECT_EQ(
        status_of(authorize(access, request("Bearer test", "alice"), "shop", Permission::clear)),
        403u);
    EXPECT_EQ(
        status_of(authorize(access, request("Bearer test", "alice"), "old", Permission::read)),
        403u);
    EXPECT_EQ(
        status_of(authorize(access, request("Bearer test", "alice"), "nope", Permission::read)),
        403u);
    auto r = authorize(access, request("Bearer wrong", "alice"), "shop", Permission::read);
    EXPECT_EQ(std::get<HttpResponse>(r)[http::field::www_authenticate], "Bearer");
}

TEST(Authorize, OpenModeNamesAnAnonymousCallerHttp) {
    const AccessControl open{Config{}};
    auto r = authorize(open, request("", ""), "any", Permission::clear);
    ASSERT_TRUE(std::holds_alternative<Caller>(r));
    EXPECT_EQ(std::get<Caller>(r).user_id, "http");
}

}  // namespace
}  // namespace smartlog::server::routes
