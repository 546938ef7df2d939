#include "cluster/redis_url.hpp"

#include <gtest/gtest.h>

namespace smartlog::cluster {
namespace {

TEST(RedisUrl, ReadsHostPortAndPassword) {
    auto url = parse_redis_url("redis://127.0.0.1:6380");
    EXPECT_EQ(url.host, "127.0.0.1");
    EXPECT_EQ(url.port, 6380);
    EXPECT_TRUE(url.password.empty());
    url = parse_redis_url("redis://:s3cret@redis.example:7000/");
    EXPECT_EQ(url.host, "redis.example");
    EXPECT_EQ(url.password, "s3cret");
    EXPECT_TRUE(url.user.empty());
    url = parse_redis_url("redis://smartlog:pw@[::1]:6379");
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.user, "smartlog");
    EXPECT_EQ(url.address(), "[::1]:6379");
    EXPECT_EQ(parse_redis_url("redis://db").port, 6379);
}

TEST(RedisUrl, RefusesWhatIsNotARedisUrl) {
    EXPECT_THROW(parse_redis_url("http://h:1"), std::invalid_argument);
    EXPECT_THROW(parse_redis_url("redis://"), std::invalid_argument);
    EXPECT_THROW(parse_redis_url("redis://h:0"), std::invalid_argument);
    EXPECT_THROW(parse_redis_url("redis://h:70000"), std::invalid_argument);
    EXPECT_THROW(parse_redis_url("redis://h:"), std::invalid_argument);
    EXPECT_THROW(parse_redis_url("redis://h:1/2"), std::invalid_argument);
    EXPECT_THROW(parse_redis_url("redis://pw@h:1"), std::invalid_argument);
}

TEST(RedisUrl, ListsSeveralAndKeepsPasswordsOutOfErrors) {
    const auto urls = parse_redis_urls("redis://a:1, redis://b:2");
    ASSERT_EQ(urls.size(), 2u);
    EXPECT_EQ(urls[1].address(), "b:2");
    EXPECT_THROW(parse_redis_urls("redis://a:1,redis://a:1"), std::invalid_argument);
    try {
        parse_redis_urls("redis://:hunter2@h:99999");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace smartlog::cluster
