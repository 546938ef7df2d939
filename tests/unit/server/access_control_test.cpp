#include "server/access_control.hpp"

#include <gtest/gtest.h>

namespace smartlog::server {
namespace {

using core::auth_errc;

Config config() {
    Config c;
    apply_toml(c, R"(
[[apps]]
id = "shop"
[[apps]]
id = "old"
active = false
[[apps]]
id = "other"

[[users]]
id = "alice"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
apps = { shop = ["read", "write"], old = ["read"] }

[[users]]
id = "bob"
token_sha256 = "none"
apps = { shop = ["read"] }
)",
               "test.toml");
    return c;
}

protocol::Credentials creds(std::string user, std::string app, std::optional<std::string> token) {
    return {std::move(user), std::move(app), std::move(token)};
}

TEST(AccessControl, Sha256MatchesTheKnownDigest) {
    const auto d = sha256("test");
    EXPECT_EQ(d[0], 0x9f);
    EXPECT_EQ(d[31], 0x08);
}

TEST(AccessControl, GrantsConfiguredPermissions) {
    AccessControl ac(config());
    auto g = ac.authenticate(creds("alice", "shop", "test"));
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->has(Permission::read));
    EXPECT_TRUE(g->has(Permission::write));
    EXPECT_FALSE(g->has(Permission::clear));
    EXPECT_EQ(g->names(), (std::vector<std::string>{"read", "write"}));
}

TEST(AccessControl, UnknownUserAndWrongTokenAreIndistinguishable) {
    AccessControl ac(config());
    EXPECT_EQ(ac.authenticate(creds("mallory", "shop", "test")).error(),
              auth_errc::invalid_credentials);
    EXPECT_EQ(ac.authenticate(creds("alice", "shop", "wrong")).error(),
              auth_errc::invalid_credentials);
    EXPECT_EQ(ac.authenticate(creds("alice", "shop", std::nullopt)).error(),
              auth_errc::invalid_credentials);
}

TEST(AccessControl, UnknownAppAndNoPermissionAreIndistinguishable) {
    AccessControl ac(config());
    EXPECT_EQ(ac.authenticate(creds("alice", "nope", "test")).error(), auth_errc::no_access);
    EXPECT_EQ(ac.authenticate(creds("alice", "other", "test")).error(), auth_errc::no_access);
}

TEST(AccessControl, InactiveAppIsToldOnlyToUsersWithAccess) {
    AccessControl ac(config());
    EXPECT_EQ(ac.authenticate(creds("alice", "old", "test")).error(), auth_errc::app_inactive);
    EXPECT_EQ(ac.authenticate(creds("bob", "old", std::nullopt)).error(), auth_errc::no_access);
}

TEST(AccessControl, UserWithoutTokenNeedsNone) {
    AccessControl ac(config());
    EXPECT_TRUE(ac.authenticate(creds("bob", "shop", std::nullopt)));
}

TEST(AccessControl, OpenModeGrantsEverything) {
    AccessControl ac(Config{});
    auto g = ac.authenticate(creds("anyone", "anything", std::nullopt));
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->has(Permission::clear));
}

TEST(AccessControl, StatusRevealsNothingWithBadCredentials) {
    AccessControl ac(config());
    bool ok = true;
    auto s = ac.status(creds("alice", "shop", "wrong"), ok);
    EXPECT_FALSE(ok);
    EXPECT_FALSE(s.user_exists || s.app_exists || s.user_has_access || s.app_is_active);
    s = ac.status(creds("alice", "shop", "test"), ok);
    EXPECT_TRUE(ok);
    EXPECT_TRUE(s.user_exists && s.app_exists && s.user_has_access && s.app_is_active);
    s = ac.status(creds("alice", "old", "test"), ok);
    EXPECT_TRUE(s.user_has_access);
    EXPECT_FALSE(s.app_is_active);
    s = ac.status(creds("alice", "other", "test"), ok);
    EXPECT_FALSE(s.app_exists);
}

}  // namespace
}  // namespace smartlog::server
