// server/access_control.hpp: who may authenticate for which app, with which permissions (SPEC 4).
// Immutable after construction, except for apps created on first use in open mode. Net thread.
#pragma once

#include <boost/system/result.hpp>
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

class AccessControl {
public:
    explicit AccessControl(const Config& config);

    // The grant for these credentials, or why not: invalid_credentials (unknown user, missing
    // or wrong token), no_access (unknown app or no permission on it), app_inactive (only for
    // a user who has access). Tokens are compared as SHA-256 digests in constant time.
    boost::system::result<Grant, core::auth_errc> authenticate(const protocol::Credentials& c) const;

    // check_status: the full status for a caller whose credentials are valid, all false else.
    protocol::AccessStatus status(const protocol::Credentials& c, bool& credentials_ok) const;

    bool open_mode() const noexcept { return users_.empty(); }

private:
    bool credentials_valid(const protocol::Credentials& c, const UserConfig** user) const;

    std::vector<AppConfig> apps_;
    std::vector<UserConfig> users_;
};

// SHA-256 of `text` (OpenSSL).
std::array<unsigned char, 32> sha256(std::string_view text);

}  // namespace smartlog::server
