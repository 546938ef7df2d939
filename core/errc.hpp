// core/errc.hpp: the error codes of the protocol (docs/protocol.md), as a std::error_category.
#pragma once

#include <string_view>
#include <system_error>

namespace smartlog::core {

// Codes carried by `error` messages. Their names are the wire names.
enum class errc {
    bad_json = 1,
    bad_request,
    unauthenticated,
    forbidden,
    too_large,
    rate_limited,
    // Cluster mode: Redis did not take the entries (docs/cluster.md); retry later.
    unavailable,
};

// Codes carried by `auth_error` messages.
enum class auth_errc {
    invalid_credentials = 1,
    no_access,
    app_inactive,
    bad_request,
};

const std::error_category& error_category() noexcept;
const std::error_category& auth_error_category() noexcept;

std::error_code make_error_code(errc e) noexcept;
std::error_code make_error_code(auth_errc e) noexcept;

// The wire name of a code ("bad_json", "no_access", ...).
std::string_view wire_name(errc e) noexcept;
std::string_view wire_name(auth_errc e) noexcept;

}  // namespace smartlog::core

template <>
struct std::is_error_code_enum<smartlog::core::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<smartlog::core::auth_errc> : std::true_type {};
