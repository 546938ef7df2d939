#include "server/upgrade_check.hpp"

#include <gtest/gtest.h>

namespace smartlog::server {
namespace {

http::request<http::string_body> upgrade(std::optional<std::string> key,
                                         std::optional<std::string> version) {
    http::request<http::string_body> req{http::verb::get, "/ws", 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "websocket");
    if (key) req.set(http::field::sec_websocket_key, *key);
    if (version) req.set(http::field::sec_websocket_version, *version);
    return req;
}

TEST(WebsocketKey, AcceptsTheBase64Of16Bytes) {
    EXPECT_TRUE(websocket_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));  // RFC 6455's example
    EXPECT_TRUE(websocket_key_valid("AAAAAAAAAAAAAAAAAAAAAA=="));
    EXPECT_TRUE(websocket_key_valid("/////////////////////w=="));
}

TEST(WebsocketKey, RefusesEverythingElse) {
    for (std::string_view key : {"", "x", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
                                 "dGhlIHNhbXBsZSBub25jZQ",    // no padding
                                 "dGhlIHNhbXBsZSBub25jZR==",  // bits past the 128th
                                 "dGhlIHNhbXBsZSBub25j*Q==",  // not base64
                                 "dGhlIHNhbXBsZSBub25jZQ==\n", " dGhlIHNhbXBsZSBub25jZQ==",
                                 "dGhlIHNhbXBsZSBub25jZQ=A", "AAAAAAAAAAAAAAAAAAAAAAAA"}) {
        EXPECT_FALSE(websocket_key_valid(key)) << key;
    }
}

TEST(CheckUpgrade, PassesAWellFormedRequest) {
    EXPECT_FALSE(check_upgrade(upgrade("dGhlIHNhbXBsZSBub25jZQ==", "13")));
}

TEST(CheckUpgrade, MissingOrMalformedKeyIs400) {
    for (std::optional<std::string> key :
         {std::optional<std::string>{}, std::optional<std::string>{""},
          std::optional<std::string>{"short"}}) {
        auto refusal = check_upgrade(upgrade(key, "13"));
        ASSERT_TRUE(refusal);
        EXPECT_EQ(refusal->status, http::status::bad_request);
        EXPECT_NE(refusal->message.find("Sec-WebSocket-Key"), std::string::npos);
    }
}

TEST(CheckUpgrade, OtherVersionsAre426) {
    for (std::optional<std::string> version :
         {std::optional<std::string>{}, std::optional<std::string>{"8"},
          std::optional<std::string>{"13, 8"}}) {
        auto refusal = check_upgrade(upgrade("dGhlIHNhbXBsZSBub25jZQ==", version));
        ASSERT_TRUE(refusal);
        EXPECT_EQ(refusal->status, http::status::upgrade_required);
    }
}

}  // namespace
}  // namespace smartlog::server
