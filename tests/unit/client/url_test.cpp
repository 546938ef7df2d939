#include "client/url.hpp"

#include <gtest/gtest.h>

namespace smartlog::client {
namespace {

TEST(ParseWsUrl, ReadsSchemeHostPortAndTarget) {
    auto u = parse_ws_url("ws://127.0.0.1:3001/");
    ASSERT_TRUE(u);
    EXPECT_FALSE(u->tls);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "3001");
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->host_header(), "127.0.0.1:3001");
}

TEST(ParseWsUrl, DefaultsPortsAndPath) {
    auto u = parse_ws_url("wss://logs.example.com");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->tls);
    EXPECT_EQ(u->port, "443");
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->host_header(), "logs.example.com");
    EXPECT_EQ(parse_ws_url("ws://h")->port, "80");
    EXPECT_EQ(parse_ws_url("WS://h/ws?x=1")->target, "/ws?x=1");
}

TEST(ParseWsUrl, AcceptsHttpAsPrintedBySmartlogdAndBracketedIpv6) {
    EXPECT_FALSE(parse_ws_url("http://127.0.0.1:3001/")->tls);
    auto u = parse_ws_url("ws://[::1]:3001/sub/");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->target, "/sub/");
    EXPECT_EQ(u->host_header(), "[::1]:3001");
}

TEST(ParseWsUrl, RefusesWhatIsNotAWebSocketUrl) {
    for (const char* bad : {"", "127.0.0.1:3001", "ftp://h/", "ws://", "ws://h:99999/", "ws://h:0/",
                            "ws://h:x/", "ws://u:p@h/", "ws://::1/", "ws://[::1/"}) {
        EXPECT_FALSE(parse_ws_url(bad)) << bad;
    }
}

}  // namespace
}  // namespace smartlog::client
