#include "server/access_control.hpp"

#include <algorithm>
#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace smartlog::server {

std::array<unsigned char, 32> sha256(std::string_view text) {
    std::array<unsigned char, 32> digest{};
    unsigned int size = 0;
    EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
    return digest;
}

std::vector<std::string> Grant::names() const {
    std::vector<std::string> out;
    for (Permission p : permissions) out.emplace_back(permission_name(p));
    return out;
}

AccessControl::AccessControl(const Config& config) : apps_(config.apps), users_(config.users) {}

std::optional<TokenDigest> token_digest(const protocol::Credentials& c) {
    // Hash even without a token, so that timing does not tell the cases apart.
    const auto digest = sha256(c.token.value_or(""));
    if (!c.token) return std::nullopt;
    return digest;
}

bool AccessControl::credentials_valid(const std::string& user_id,
                                      const std::optional<TokenDigest>& token,
                                      const UserConfig** user) const {
    auto it = std::find_if(users_.begin(), users_.end(),
                           [&](const UserConfig& u) { return u.id == user_id; });
    if (it == users_.end()) return false;
    *user = &*it;
    if (!it->token_sha256) return true;
    if (!token) return false;
    return CRYPTO_memcmp(token->data(), it->token_sha256->data(), token->size()) == 0;
}

boost::system::result<Grant, core::auth_errc> AccessControl::authenticate(
    const protocol::Credentials& c) const {
    return authenticate(c.user_id, token_digest(c), c.app_id);
}

boost::system::result<Grant, core::auth_errc> AccessControl::authenticate(
    const std::string& user_id, const std::optional<TokenDigest>& token,
    const std::string& app_id) const {
    if (open_mode()) return Grant{{Permission::read, Permission::write, Permission::clear}};
    const UserConfig* user = nullptr;
    if (!credentials_valid(user_id, token, &user)) return core::auth_errc::invalid_credentials;
    auto app = std::find_if(apps_.begin(), apps_.end(),
                            [&](const AppConfig& a) { return a.id == app_id; });
    auto grant = user->apps.find(app_id);
    if (app == apps_.end() || grant == user->apps.end() || grant->second.empty()) {
        return core::auth_errc::no_access;
    }
    if (!app->active) return core::auth_errc::app_inactive;
    return Grant{grant->second};
}

std::optional<std::vector<AccessControl::AppAccess>> AccessControl::apps_of(
    const std::string& user_id, const std::optional<TokenDigest>& token) const {
    const UserConfig* user = nullptr;
    if (open_mode() || !credentials_valid(user_id, token, &user)) return std::nullopt;
    std::vector<AppAccess> out;
    for (const AppConfig& app : apps_) {
        auto grant = user->apps.find(app.id);
        if (grant != user->apps.end() && !grant->second.empty())
            out.push_back({&app, Grant{grant->second}});
    }
    return out;
}

protocol::AccessStatus AccessControl::status(const protocol::Credentials& c,
                                             bool& credentials_ok) const {
    protocol::AccessStatus s;
    if (open_mode()) {
        credentials_ok = true;
        return {true, true, true, true};
    }
    const UserConfig* user = nullptr;
    credentials_ok = credentials_valid(c.user_id, token_digest(c), &user);
    if (!credentials_ok) return s;
    s.user_exists = true;
    auto app = std::find_if(apps_.begin(), apps_.end(),
                            [&](const AppConfig& a) { return a.id == c.app_id; });
    auto grant = user->apps.find(c.app_id);
    // Like auth's no_access: an app the user has no permission on is not shown to exist.
    s.user_has_access = app != apps_.end() && grant != user->apps.end() && !grant->second.empty();
    s.app_exists = s.user_has_access;
    s.app_is_active = s.user_has_access && app->active;
    return s;
}

}  // namespace smartlog::server
