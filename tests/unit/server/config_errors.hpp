// tests/unit/server/config_errors.hpp: what the config tests share: the error a TOML text or
// a command line is refused with.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/config.hpp"

namespace smartlog::server::test_support {

// The ConfigError message `toml` is refused with; "" when it is accepted.
inline std::string config_error(std::string_view toml) {
    Config c;
    try {
        apply_toml(c, toml, "test.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

// The ConfigError message the command line `smartlogd args...` is refused with; "" when accepted.
inline std::string load_error(const std::vector<std::string>& args) {
    std::vector<const char*> argv{"smartlogd"};
    for (const auto& a : args) argv.push_back(a.c_str());
    try {
        load_config(static_cast<int>(argv.size()), argv.data());
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace smartlog::server::test_support
