#include "server/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/unit/server/config_errors.hpp"

namespace smartlog::server {
namespace {

using test_support::config_error;

using namespace std::chrono_literals;

TEST(Config, DefaultsAreTheSpecs) {
    Settings s;
    EXPECT_EQ(s.listen, "127.0.0.1:3001");
    EXPECT_EQ(s.history_limit, 1000u);
    EXPECT_EQ(s.metrics_interval, 5s);
    EXPECT_EQ(s.idle_timeout, 60s);
    EXPECT_EQ(s.auth_timeout, 10s);
    EXPECT_EQ(s.batch_max_entries, 256u);
    EXPECT_EQ(s.batch_max_delay, 20ms);
    EXPECT_EQ(s.max_frame_bytes, 1u << 20);
    EXPECT_EQ(s.max_message_bytes, 64u << 10);
    EXPECT_EQ(s.max_metadata_bytes, 16u << 10);
    EXPECT_EQ(s.max_outbound_bytes, 8u << 20);
    EXPECT_EQ(s.retention_entries, 100'000u);
    EXPECT_EQ(s.retention_age, std::chrono::hours(24 * 7));
    EXPECT_EQ(s.durability, Durability::batch);
    EXPECT_EQ(s.query_timeout, 2s);
}

TEST(Config, QueryTimeoutIsAPositiveDuration) {
    Config c;
    apply_toml(c, "[server]\nquery_timeout = \"500ms\"\n", "test.toml");
    EXPECT_EQ(c.settings.query_timeout, 500ms);
    EXPECT_NE(config_error("[server]\nquery_timeout = \"0s\"\n").find("query_timeout"),
              std::string::npos);
    EXPECT_NE(config_error("[server]\nquery_timeout = 2\n").find("unit"), std::string::npos);
}

TEST(Config, ReadsTheSpecsExample) {
    Config c;
    apply_toml(c, R"(
[server]
listen = "0.0.0.0:3001"
data_dir = "./data"
idle_timeout = "2m"
max_outbound_bytes = "4MiB"
allowed_origins = ["https://logs.example.com"]

[[apps]]
id = "app456"
name = "Shop backend"
active = true

[[users]]
id = "user123"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
apps = { app456 = ["read", "write", "clear"] }
)",
               "smartlog.toml");
    EXPECT_EQ(c.settings.listen, "0.0.0.0:3001");
    EXPECT_EQ(c.settings.idle_timeout, 2min);
    EXPECT_EQ(c.settings.max_outbound_bytes, 4u << 20);
    EXPECT_EQ(c.settings.allowed_origins, (std::vector<std::string>{"https://logs.example.com"}));
    ASSERT_EQ(c.apps.size(), 1u);
    EXPECT_EQ(c.apps[0].name, "Shop backend");
    ASSERT_EQ(c.users.size(), 1u);
    EXPECT_TRUE(c.users[0].token_sha256.has_value());
    EXPECT_EQ(c.users[0].apps.at("app456").size(), 3u);
    EXPECT_FALSE(c.open_mode());
}

TEST(Config, ErrorsNameFileLineAndKey) {
    const std::string e = config_error("[server]\n\nhistory_limit = \"lots\"\n");
    EXPECT_NE(e.find("test.toml:3"), std::string::npos) << e;
    EXPECT_NE(e.find("server.history_limit"), std::string::npos) << e;
}

TEST(Config, RefusesUnknownKeysAndSections) {
    EXPECT_NE(config_error("[server]\nhistory_limt = 5\n").find("unknown setting"),
              std::string::npos);
    EXPECT_NE(config_error("[srever]\n").find("unknown section"), std::string::npos);
    EXPECT_NE(config_error("[[apps]]\nid = \"a\"\ncolour = \"red\"\n").find("apps[0].colour"),
              std::string::npos);
}

TEST(Config, RefusesBadValues) {
    EXPECT_NE(config_error("[server]\nidle_timeout = 60\n").find("unit"), std::string::npos);
    EXPECT_NE(config_error("[server]\ndurability = \"maybe\"\n"), "");
    EXPECT_NE(config_error("[server]\nmax_frame_bytes = \"1 MB please\"\n"), "");
    EXPECT_NE(config_error("[[users]]\nid = \"u\"\ntoken_sha256 = \"abc\"\n")
                  .find("users[0].token_sha256"),
              std::string::npos);
    EXPECT_NE(
        config_error("[[apps]]\nid = \"a\"\n[[users]]\nid = \"u\"\napps = { a = [\"admin\"] }\n"),
        "");
    EXPECT_NE(config_error("[[users]]\nid = \"u\"\napps = { ghost = [\"read\"] }\n").find("ghost"),
              std::string::npos);
    EXPECT_NE(config_error("[[apps]]\nid = \"a\"\n[[apps]]\nid = \"a\"\n").find("twice"),
              std::string::npos);
    EXPECT_NE(config_error("this is = = not toml").find("test.toml:1"), std::string::npos);
}

TEST(Config, NoUsersMeansOpenMode) {
    Config c;
    apply_toml(c, "[server]\nhistory_limit = 5\n", "x");
    EXPECT_TRUE(c.open_mode());
}

TEST(Config, ParsesListenAddresses) {
    EXPECT_EQ(parse_listen("127.0.0.1:3001").port, 3001);
    EXPECT_EQ(parse_listen("[::1]:80").host, "::1");
    EXPECT_THROW(parse_listen("localhost"), ConfigError);
    EXPECT_THROW(parse_listen("host:99999"), ConfigError);
    EXPECT_TRUE(is_loopback_host("127.0.0.1"));
    EXPECT_TRUE(is_loopback_host("::1"));
    EXPECT_FALSE(is_loopback_host("0.0.0.0"));
}

class ConfigPrecedence : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("smartlog-config-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        file_ = (dir_ / "smartlog.toml").string();
        std::ofstream(file_)
            << "[server]\nhistory_limit = 10\nbatch_max_entries = 7\nauth_timeout = \"3s\"\n";
    }
    void TearDown() override {
        ::unsetenv("SMARTLOG_HISTORY_LIMIT");
        ::unsetenv("SMARTLOG_BATCH_MAX_ENTRIES");
        std::filesystem::remove_all(dir_);
    }
    LoadResult load(std::vector<std::string> args) {
        std::vector<const char*> argv{"smartlogd"};
        for (const auto& a : args) argv.push_back(a.c_str());
        return load_config(static_cast<int>(argv.size()), argv.data());
    }
    std::filesystem::path dir_;
    std::string file_;
};

TEST_F(ConfigPrecedence, FlagsBeatEnvironmentWhichBeatsTheFile) {
    ::setenv("SMARTLOG_HISTORY_LIMIT", "20", 1);
    ::setenv("SMARTLOG_BATCH_MAX_ENTRIES", "8", 1);
    auto r = load({"--config", file_, "--history-limit", "30"});
    EXPECT_EQ(r.config.settings.history_limit, 30u);     // flag
    EXPECT_EQ(r.config.settings.batch_max_entries, 8u);  // environment
    EXPECT_EQ(r.config.settings.auth_timeout, 3s);       // file
    EXPECT_EQ(r.config.settings.metrics_interval, 5s);   // default
}

TEST_F(ConfigPrecedence, BadFlagValuesNameTheFlag) {
    try {
        load({"--idle-timeout", "soon"});
        FAIL() << "accepted a bad duration";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("--idle-timeout"), std::string::npos) << e.what();
    }
}

TEST_F(ConfigPrecedence, BadEnvironmentValuesNameTheVariable) {
    ::setenv("SMARTLOG_HISTORY_LIMIT", "many", 1);
    try {
        load({});
        FAIL() << "accepted a bad count";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("SMARTLOG_HISTORY_LIMIT"), std::string::npos)
            << e.what();
    }
}

TEST_F(ConfigPrecedence, MissingFileIsAnError) {
    EXPECT_THROW(load({"--config", (dir_ / "absent.toml").string()}), ConfigError);
}

}  // namespace
}  // namespace smartlog::server
