// server/access_control.hpp: who may authenticate for which app, with which permissions (README,
// "Configuration"). Immutable after construction; SIGHUP replaces it whole (Server::reload). Net
// thread.
#pragma once

#include <array>
#include <boost/system/result.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/errc.hpp"
#include "protocol/encode.hpp"
#include "protocol/messages.hpp"
#include "server/config.hpp"

namespace smartlog::server {

struct Grant {
    std::set<Permission> permissions;
    bool has(Permission p) const { return permissions.count(p) != 0; }
    std::vector<std::string> names() const;
};

using TokenDigest = std::array<unsigned char, 32>;

// The SHA-256 of the credentials' token; nullopt when they carry none.
std::optional<TokenDigest> token_digest(const protocol::Credentials& c);

class AccessControl {
public:
    explicit AccessControl(const Config& config);

    // The grant for these credentials, or why not: invalid_credentials (unknown user, missing
    // or wrong token), no_access (unknown app or no permission on it), app_inactive (only for
    // a user who has access). Tokens are compared as SHA-256 digests in constant time.
    boost::system::result<Grant, core::auth_errc> authenticate(
        const protocol::Credentials& c) const;
    // The same from the token's digest: what a session keeps to be checked again after a reload.
    boost::system::result<Grant, core::auth_errc> authenticate(
        const std::string& user_id, const std::optional<TokenDigest>& token,
        const std::string& app_id) const;

    // check_status: the full status for a caller whose credentials are valid, all false else.
    protocol::AccessStatus status(const protocol::Credentials& c, bool& credentials_ok) const;

    // The configured apps `user_id` holds a permission on (inactive ones included, marked), when
    // the token is right; nullopt when the credentials are not valid. Open mode: nullopt too
    // (every app is the caller's; the hub knows which exist).
    struct AppAccess {
        const AppConfig* app;
        Grant grant;
    };
    std::optional<std::vector<AppAccess>> apps_of(const std::string& user_id,
                                                  const std::optional<TokenDigest>& token) const;

    bool open_mode() const noexcept { return users_.empty(); }

private:
    bool credentials_valid(const std::string& user_id, const std::optional<TokenDigest>& token,
                           const UserConfig** user) const;

    std::vector<AppConfig> apps_;
    std::vector<UserConfig> users_;
};

// SHA-256 of `text` (OpenSSL).
std::array<unsigned char, 32> sha256(std::string_view text);

}  // namespace smartlog::server
