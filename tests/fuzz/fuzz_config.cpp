// libFuzzer target: the TOML config. Any input is either accepted or refused with ConfigError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smartlog::server::Config config;
    try {
        smartlog::server::apply_toml(
            config, std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
    } catch (const smartlog::server::ConfigError&) {
        return 0;
    }
    // What was accepted must be usable: every granted app is declared.
    for (const auto& user : config.users) {
        for (const auto& [app, perms] : user.apps) {
            bool declared = false;
            for (const auto& a : config.apps) declared = declared || a.id == app;
            if (!declared) std::abort();
        }
    }
    if (config.settings.history_limit == 0 || config.settings.batch_max_entries == 0) std::abort();
    return 0;
}
