// What a mistaken configuration is told, verbatim: the listen address, a misspelt key or flag,
// an unquoted value, a user without a token beside others.
#include <gtest/gtest.h>

#include "core/closest_name.hpp"
#include "server/config.hpp"
#include "tests/unit/server/config_errors.hpp"

namespace smartlog::server {
namespace {

using test_support::config_error;
using test_support::load_error;

TEST(ConfigMessages, ListenAddressesSayWhatToWrite) {
    EXPECT_EQ(listen_problem("127.0.0.1:3001"), std::nullopt);
    EXPECT_EQ(listen_problem("[::1]:0"), std::nullopt);
    EXPECT_EQ(listen_problem("http://127.0.0.1:3016"),
              "expected HOST:PORT without a scheme or path, like \"127.0.0.1:3016\"");
    EXPECT_EQ(listen_problem("3001"),
              "expected HOST:PORT, not a port alone: write \"127.0.0.1:3001\" (this machine "
              "only) or \"0.0.0.0:3001\" (every interface)");
    EXPECT_EQ(listen_problem(":3001"),
              "\":3001\" has no host: write \"127.0.0.1:3001\" (this machine only) or "
              "\"0.0.0.0:3001\" (every interface)");
    EXPECT_EQ(listen_problem("host:99999"),
              "the port of \"host:99999\" must be a number from 0 to 65535");
    EXPECT_EQ(listen_problem("::1:3001"), "an IPv6 address goes in brackets: \"[::1]:3001\"");
    EXPECT_EQ(config_error("[server]\nlisten = \"3001\"\n"),
              "test.toml:2: server.listen: expected HOST:PORT, not a port alone: write "
              "\"127.0.0.1:3001\" (this "
              "machine only) or \"0.0.0.0:3001\" (every interface)");
    EXPECT_EQ(
        load_error({"--listen", "http://127.0.0.1:3016"}),
        "--listen: \"http://127.0.0.1:3016\": expected HOST:PORT without a scheme or path, like "
        "\"127.0.0.1:3016\"");
}

TEST(ConfigMessages, UnquotedValuesAreToldToBeQuoted) {
    EXPECT_EQ(config_error("[server]\nlisten = 127.0.0.1:3001\n"),
              "test.toml:2: listen: the value 127.0.0.1:3001 must be quoted: write listen = "
              "\"127.0.0.1:3001\"");
    EXPECT_EQ(
        config_error("[server]\n\nidle_timeout = 5s # short\n"),
        "test.toml:3: idle_timeout: the value 5s must be quoted: write idle_timeout = \"5s\"");
}

TEST(ConfigMessages, MisspeltNamesGetADidYouMean) {
    EXPECT_EQ(
        config_error("[server]\nhistroy_limit = 5\n"),
        "test.toml:2: server.histroy_limit: unknown setting; did you mean server.history_limit?");
    EXPECT_EQ(config_error("[server]\ncompletely_else = 5\n"),
              "test.toml:2: server.completely_else: unknown setting");
    EXPECT_EQ(config_error("[[app]]\nid = \"a\"\n"),
              "test.toml:1: app: unknown section (expected [server], [[apps]], [[users]], "
              "[[syslog]]); did you mean apps?");
    EXPECT_EQ(config_error("[[apps]]\nid = \"a\"\nactiv = true\n"),
              "test.toml:3: apps[0].activ: unknown key; did you mean active?");
    EXPECT_EQ(load_error({"--lisen", "127.0.0.1:0"}),
              "unknown option --lisen (did you mean --listen?); smartlogd --help lists them all");
    EXPECT_EQ(
        load_error({"--data-dri=/tmp/x"}),
        "unknown option --data-dri (did you mean --data-dir?); smartlogd --help lists them all");
    EXPECT_EQ(load_error({"--zzzzzz"}), "unknown option --zzzzzz; smartlogd --help lists them all");
}

TEST(ConfigMessages, SeveralUsersEachNeedATokenOrNoneOnPurpose) {
    const std::string apps = "[[apps]]\nid = \"a\"\n";
    const std::string alice = "[[users]]\nid = \"alice\"\ntoken_sha256 = \"" +
                              std::string(64, 'a') + "\"\napps = { a = [\"read\"] }\n";
    EXPECT_EQ(config_error(apps + alice + "[[users]]\nid = \"bob\"\napps = { a = [\"read\"] }\n"),
              "test.toml:7: users[1].token_sha256: required when there are several users (without "
              "it anyone could "
              "sign in as \"bob\" with any token): set the sha-256 of bob's token, or token_sha256 "
              "= \"none\" to "
              "let bob in without one");
    Config c;
    apply_toml(c,
               apps + alice +
                   "[[users]]\nid = \"bob\"\ntoken_sha256 = \"none\"\napps = { a = [\"read\"] }\n",
               "test.toml");
    ASSERT_EQ(c.users.size(), 2u);
    EXPECT_TRUE(c.users[1].no_token);
    EXPECT_FALSE(c.users[1].token_sha256);
    EXPECT_EQ(config_warnings(c),
              std::vector<std::string>{
                  "user \"bob\" has no token: anyone can sign in as bob, with any token or none, "
                  "and get bob's permissions (docs/security.md, \"Users\")"});
    // One user alone may go without: accepted, and warned about.
    Config alone;
    apply_toml(alone, apps + "[[users]]\nid = \"me\"\napps = { a = [\"read\"] }\n", "test.toml");
    EXPECT_EQ(config_warnings(alone).size(), 1u);
}

TEST(ConfigMessages, CountsReadAsEnglish) {
    EXPECT_EQ(count_of(1, "app"), "1 app");
    EXPECT_EQ(count_of(0, "user"), "0 users");
    EXPECT_EQ(count_of(2, "connection"), "2 connections");
}

TEST(ClosestName, SuggestsOnlyLikelyTypos) {
    const std::vector<std::string> names{"listen", "data_dir", "history_limit", "id"};
    EXPECT_EQ(core::closest_name("lisen", names), "listen");
    EXPECT_EQ(core::closest_name("data_dri", names), "data_dir");
    EXPECT_EQ(core::closest_name("HISTORY_LIMIT", names), std::nullopt);  // case matters in TOML
    EXPECT_EQ(core::closest_name("lvl", {"level", "limit"}), "level");
    EXPECT_EQ(core::closest_name("zz", names), std::nullopt);  // too short to guess
    EXPECT_EQ(core::closest_name("nothing_alike", names), std::nullopt);
    EXPECT_EQ(core::edit_distance("kitten", "sitting", 10), 3u);
    EXPECT_EQ(core::edit_distance("abc", "abcdefgh", 2), 3u);  // beyond the cap: cap + 1
}

}  // namespace
}  // namespace smartlog::server
