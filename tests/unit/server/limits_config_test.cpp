// The settings of the connection and rate limits (docs/protocol.md, "Limits").
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "server/config.hpp"
#include "tests/unit/server/config_errors.hpp"

namespace smartlog::server {
namespace {

using test_support::config_error;
using test_support::load_error;

using namespace std::chrono_literals;

TEST(LimitsConfig, Defaults) {
    Settings s;
    EXPECT_EQ(s.max_connections, 1000u);
    EXPECT_EQ(s.header_timeout, 5s);
    EXPECT_EQ(s.request_timeout, 10s);
    EXPECT_EQ(s.app_rate_limit, 0u);
    EXPECT_EQ(s.app_rate_burst, 0u);
    EXPECT_EQ(s.connection_rate_limit, 0u);
    EXPECT_EQ(s.connection_rate_burst, 0u);
}

TEST(LimitsConfig, ReadsEveryLimitFromTheFile) {
    Config c;
    apply_toml(c, R"([server]
max_connections = 5
header_timeout = "250ms"
app_rate_limit = 100
app_rate_burst = 500
connection_rate_limit = 10
connection_rate_burst = 0
)",
               "test.toml");
    EXPECT_EQ(c.settings.max_connections, 5u);
    EXPECT_EQ(c.settings.header_timeout, 250ms);
    EXPECT_EQ(c.settings.app_rate_limit, 100u);
    EXPECT_EQ(c.settings.app_rate_burst, 500u);
    EXPECT_EQ(c.settings.connection_rate_limit, 10u);
    EXPECT_EQ(c.settings.connection_rate_burst, 0u);
}

TEST(LimitsConfig, RefusesBadValuesWithFileLineAndKey) {
    const std::string zero = config_error("[server]\n\nmax_connections = 0\n");
    EXPECT_NE(zero.find("test.toml:3: server.max_connections"), std::string::npos) << zero;
    EXPECT_NE(config_error("[server]\nmax_connections = -1\n").find("server.max_connections"),
              std::string::npos);
    EXPECT_NE(
        config_error("[server]\nheader_timeout = 5\n").find("test.toml:2: server.header_timeout"),
        std::string::npos);
    EXPECT_NE(config_error("[server]\nheader_timeout = \"0s\"\n").find("server.header_timeout"),
              std::string::npos);
    const std::string negative = config_error("[server]\napp_rate_limit = -5\n");
    EXPECT_NE(negative.find("test.toml:2: server.app_rate_limit"), std::string::npos) << negative;
    EXPECT_NE(config_error("[server]\nconnection_rate_limit = \"fast\"\n")
                  .find("server.connection_rate_limit"),
              std::string::npos);
    EXPECT_NE(config_error("[server]\napp_rate_burst = \"\"\n").find("server.app_rate_burst"),
              std::string::npos);
    EXPECT_NE(config_error("[server]\nconnection_rate_burst = 1.5\n")
                  .find("server.connection_rate_burst"),
              std::string::npos);
}

TEST(LimitsConfig, ClientCapsDefaultsAndFile) {
    Settings s;
    EXPECT_EQ(s.max_connections_per_address, 64u);
    EXPECT_EQ(s.max_unauthenticated_connections, 256u);
    EXPECT_EQ(s.max_apps, 1000u);
    EXPECT_FALSE(s.metrics_public_apps);
    Config c;
    apply_toml(c, R"([server]
max_connections_per_address = 0
max_unauthenticated_connections = 10
max_apps = 5
metrics_public_apps = true
)",
               "test.toml");
    EXPECT_EQ(c.settings.max_connections_per_address, 0u);
    EXPECT_EQ(c.settings.max_unauthenticated_connections, 10u);
    EXPECT_EQ(c.settings.max_apps, 5u);
    EXPECT_TRUE(c.settings.metrics_public_apps);
    EXPECT_NE(config_error("[server]\nmax_apps = -1\n").find("test.toml:2: server.max_apps"),
              std::string::npos);
    EXPECT_NE(config_error("[server]\nmax_connections_per_address = \"many\"\n")
                  .find("server.max_connections_per_address"),
              std::string::npos);
    EXPECT_NE(
        config_error("[server]\nmetrics_public_apps = 2\n").find("server.metrics_public_apps"),
        std::string::npos);
}

TEST(LimitsConfig, RefusesABurstWithoutItsRate) {
    Settings s;
    s.app_rate_burst = 10;
    EXPECT_THROW(check_rate_settings(s), ConfigError);
    s.app_rate_limit = 5;
    EXPECT_NO_THROW(check_rate_settings(s));
    s.connection_rate_burst = 3;
    EXPECT_THROW(check_rate_settings(s), ConfigError);
    const std::string e = load_error({"--connection-rate-burst", "10"});
    EXPECT_NE(e.find("connection_rate_limit"), std::string::npos) << e;
}

TEST(LimitsConfig, BadFlagsNameTheFlag) {
    EXPECT_NE(load_error({"--max-connections", "0"}).find("--max-connections"), std::string::npos);
    EXPECT_NE(load_error({"--app-rate-limit", "lots"}).find("--app-rate-limit"), std::string::npos);
    EXPECT_NE(load_error({"--header-timeout", "soon"}).find("--header-timeout"), std::string::npos);
    ::setenv("SMARTLOG_MAX_CONNECTIONS", "many", 1);
    const std::string e = load_error({});
    ::unsetenv("SMARTLOG_MAX_CONNECTIONS");
    EXPECT_NE(e.find("SMARTLOG_MAX_CONNECTIONS"), std::string::npos) << e;
}

}  // namespace
}  // namespace smartlog::server
