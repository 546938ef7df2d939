#include "core/errc.hpp"

#include <string>

namespace smartlog::core {

std::string_view wire_name(errc e) noexcept {
    switch (e) {
        case errc::bad_json: return "bad_json";
        case errc::bad_request: return "bad_request";
        case errc::unauthenticated: return "unauthenticated";
        case errc::forbidden: return "forbidden";
        case errc::too_large: return "too_large";
        case errc::rate_limited: return "rate_limited";
        case errc::unavailable: return "unavailable";
    }
    return "unknown";
}

std::string_view wire_name(auth_errc e) noexcept {
    switch (e) {
        case auth_errc::invalid_credentials: return "invalid_credentials";
        case auth_errc::no_access: return "no_access";
        case auth_errc::app_inactive: return "app_inactive";
        case auth_errc::bad_request: return "bad_request";
    }
    return "unknown";
}

namespace {

class ErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "smartlog"; }
    std::string message(int ev) const override {
        return std::string(wire_name(static_cast<errc>(ev)));
    }
};

class AuthErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "smartlog.auth"; }
    std::string message(int ev) const override {
        return std::string(wire_name(static_cast<auth_errc>(ev)));
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory category;
    return category;
}

const std::error_category& auth_error_category() noexcept {
    static const AuthErrorCategory category;
    return category;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

std::error_code make_error_code(auth_errc e) noexcept {
    return {static_cast<int>(e), auth_error_category()};
}

}  // namespace smartlog::core
