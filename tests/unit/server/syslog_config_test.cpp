// [[syslog]] listeners in the config (docs/ingest.md "Syslog"): defaults, and every mistake
// refused at start with its file, line and key.
#include <gtest/gtest.h>

#include "server/config.hpp"
#include "tests/unit/server/config_errors.hpp"

namespace smartlog::server {
namespace {

using test_support::config_error;

constexpr std::string_view kAppsAndUsers = R"(
[[apps]]
id = "a1"
[[apps]]
id = "off"
active = false
[[users]]
id = "w"
token_sha256 = "none"
apps = { a1 = ["write"], off = ["write"] }
[[users]]
id = "r"
token_sha256 = "none"
apps = { a1 = ["read"] }
)";

std::string with(std::string_view syslog) {
    return std::string(kAppsAndUsers) + std::string(syslog);
}

TEST(SyslogConfig, DefaultsToTcpOnLoopback) {
    Config c;
    apply_toml(c,
               with("[[syslog]]\napp = \"a1\"\nuser = \"w\"\n[[syslog]]\nlisten = "
                    "\"127.0.0.1:6514\"\nprotocol = \"udp\"\napp = \"a1\"\nuser = \"w\"\n"),
               "test.toml");
    ASSERT_EQ(c.syslog.size(), 2u);
    EXPECT_EQ(c.syslog[0].listen, "127.0.0.1:5514");
    EXPECT_EQ(c.syslog[0].transport, SyslogTransport::tcp);
    EXPECT_EQ(c.syslog[1].transport, SyslogTransport::udp);
    EXPECT_EQ(c.syslog[1].app, "a1");
}

TEST(SyslogConfig, SectionsMayComeInAnyOrder) {
    EXPECT_EQ(config_error("[[syslog]]\napp = \"a1\"\nuser = \"w\"\n" + std::string(kAppsAndUsers)),
              "");
}

TEST(SyslogConfig, MistakesNameFileLineAndKey) {
    const std::pair<std::string, std::string> cases[] = {
        {"[[syslog]]\napp = \"a1\"\nuser = \"w\"\nprotocol = \"tls\"\n",
         "test.toml:18: syslog[0].protocol: expected \"tcp\" or \"udp\""},
        {"[[syslog]]\napp = \"a1\"\nuser = \"w\"\nlisten = \"nowhere\"\n",
         "test.toml:18: syslog[0].listen: listen: expected HOST:PORT"},
        {"[[syslog]]\nuser = \"w\"\n", "syslog[0].app: required"},
        {"[[syslog]]\napp = \"a1\"\n", "syslog[0].user: required"},
        {"[[syslog]]\napp = \"a1\"\nuser = \"w\"\nport = 1\n", "syslog[0].port: unknown key"},
        {"[[syslog]]\napp = \"nope\"\nuser = \"w\"\n",
         "syslog[0].app: no [[apps]] entry has id \"nope\""},
        {"[[syslog]]\napp = \"off\"\nuser = \"w\"\n", "syslog[0].app: app \"off\" is inactive"},
        {"[[syslog]]\napp = \"a1\"\nuser = \"ghost\"\n", "syslog[0].user: no [[users]] entry"},
        {"[[syslog]]\napp = \"a1\"\nuser = \"r\"\n", "needs the \"write\" permission"},
        {"[[syslog]]\napp = \"a1\"\nuser = \"w\"\n[[syslog]]\napp = \"a1\"\nuser = \"w\"\n",
         "syslog[1].listen: \"127.0.0.1:5514\" is declared twice"},
        {"[syslog]\napp = \"a1\"\n", "syslog: expected [[syslog]] tables"},
    };
    for (const auto& [toml, expected] : cases) {
        const std::string error = config_error(with(toml));
        EXPECT_NE(error.find(expected), std::string::npos) << toml << "\n=> " << error;
    }
}

TEST(SyslogConfig, OpenModeTakesAnyAppAndUser) {
    EXPECT_EQ(config_error("[[syslog]]\napp = \"anything\"\nuser = \"anyone\"\n"), "");
}

}  // namespace
}  // namespace smartlog::server
