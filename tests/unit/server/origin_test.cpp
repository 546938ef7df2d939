#include "server/origin.hpp"

#include <gtest/gtest.h>

namespace smartlog::server {
namespace {

TEST(Origin, ParsesSchemeHostAndPort) {
    auto o = parse_origin("https://Logs.Example.COM:8443");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->scheme, "https");
    EXPECT_EQ(o->host, "logs.example.com");
    EXPECT_EQ(o->port, 8443);
}

TEST(Origin, ADefaultPortEqualsNoPort) {
    EXPECT_EQ(parse_origin("http://example.com"), parse_origin("http://example.com:80"));
    EXPECT_EQ(parse_origin("https://example.com"), parse_origin("https://example.com:443"));
    EXPECT_NE(parse_origin("http://example.com"), parse_origin("https://example.com"));
}

TEST(Origin, AcceptsIpLiterals) {
    auto v4 = parse_origin("http://127.0.0.1:3001");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "127.0.0.1");
    auto v6 = parse_origin("http://[::1]:3001");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "[::1]");
    EXPECT_EQ(v6->port, 3001);
    EXPECT_EQ(parse_origin("http://[::1]")->port, 80);
}

TEST(Origin, RefusesWhatIsNotASerializedOrigin) {
    for (const char* text : {"null",
                             "",
                             "example.com",
                             "http://",
                             "http://example.com/",
                             "http://example.com/path",
                             "http://example.com?q",
                             "http://example.com#f",
                             "http://user@example.com",
                             "http://example.com:",
                             "http://example.com:0",
                             "http://example.com:65536",
                             "http://example.com:80x",
                             "http://example.com:+80",
                             "http://exa mple.com",
                             "1http://example.com",
                             "http://[::1",
                             "http://[zz]",
                             "http://a:b:80",
                             " http://example.com"}) {
        EXPECT_FALSE(parse_origin(text)) << text;
    }
}

TEST(Origin, MatchesOnlyTheSameSchemeHostAndPort) {
    const std::vector<std::string> allowed{"http://example.com", "https://logs.example.com:8443"};
    EXPECT_TRUE(origin_in(allowed, "http://example.com"));
    EXPECT_TRUE(origin_in(allowed, "HTTP://EXAMPLE.com"));
    EXPECT_TRUE(origin_in(allowed, "http://example.com:80"));
    EXPECT_TRUE(origin_in(allowed, "https://logs.example.com:8443"));
    for (const char* look_alike :
         {"http://example.com.evil", "http://evil.example.com", "http://example.com:8080",
          "https://example.com", "http://example.com/", "null", "http://xexample.com",
          "http://example.co", "https://logs.example.com", "http://logs.example.com:8443",
          "http://example.com@evil.com", "http://evil.com#http://example.com"}) {
        EXPECT_FALSE(origin_in(allowed, look_alike)) << look_alike;
    }
}

TEST(Origin, NullNeverMatchesEvenIfListed) { EXPECT_FALSE(origin_in({"null"}, "null")); }

}  // namespace
}  // namespace smartlog::server
