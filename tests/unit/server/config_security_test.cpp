// The settings of the TLS, Origin, deflate and history-budget hardening.
#include <gtest/gtest.h>

#include "server/config.hpp"
#include "tests/unit/server/config_errors.hpp"

namespace smartlog::server {
namespace {

using test_support::config_error;

TEST(ConfigSecurity, Defaults) {
    Settings s;
    EXPECT_EQ(s.history_max_bytes, 64u << 20);
    EXPECT_FALSE(s.ws_deflate);
    EXPECT_TRUE(s.tls_cert.empty());
    EXPECT_TRUE(s.tls_key.empty());
    EXPECT_TRUE(s.allowed_origins.empty());
}

TEST(ConfigSecurity, ReadsTheNewSettings) {
    Config c;
    apply_toml(c, "[server]\nhistory_max_bytes = \"2MiB\"\nws_deflate = true\n", "x");
    EXPECT_EQ(c.settings.history_max_bytes, 2u << 20);
    EXPECT_TRUE(c.settings.ws_deflate);
    apply_toml(c, "[server]\nws_deflate = false\n", "x");
    EXPECT_FALSE(c.settings.ws_deflate);
}

TEST(ConfigSecurity, RefusesBadValuesWithLineAndKey) {
    auto e = config_error("[server]\n\nws_deflate = \"maybe\"\n");
    EXPECT_NE(e.find("test.toml:3: server.ws_deflate"), std::string::npos) << e;
    e = config_error("[server]\nhistory_max_bytes = 0\n");
    EXPECT_NE(e.find("test.toml:2: server.history_max_bytes"), std::string::npos) << e;
}

TEST(ConfigSecurity, AllowedOriginsMustBeOrigins) {
    for (const char* bad : {"\"https://example.com/\"", "[\"https://example.com\", \"null\"]",
                            "\"example.com\"", "\"https://example.com/app\""}) {
        const auto e = config_error(std::string("[server]\nallowed_origins = ") + bad + "\n");
        EXPECT_NE(e.find("test.toml:2: server.allowed_origins"), std::string::npos)
            << bad << ": " << e;
        EXPECT_NE(e.find("not an origin"), std::string::npos) << e;
    }
    Config c;
    apply_toml(
        c, "[server]\nallowed_origins = [\"https://A.example.com\", \"http://localhost:3001\"]\n",
        "x");
    EXPECT_EQ(c.settings.allowed_origins.size(), 2u);
}

TEST(ConfigSecurity, TlsCertAndKeyGoTogether) {
    std::vector<const char*> argv{"smartlogd", "--tls-cert", "/nonexistent/cert.pem"};
    try {
        load_config(static_cast<int>(argv.size()), argv.data());
        FAIL() << "accepted tls_cert without tls_key";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("tls_key"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace smartlog::server
