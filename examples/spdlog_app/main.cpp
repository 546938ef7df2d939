// spdlog_app: an application whose spdlog logger writes to the terminal and to smartlog.
//   SMARTLOG_URL=ws://127.0.0.1:3001/ SMARTLOG_USER=me SMARTLOG_APP=shop ./spdlog_app
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <smartlog/client.hpp>
#include <smartlog/spdlog_sink.hpp>
#include <string>

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

}  // namespace

int main() {
    smartlog::ClientOptions options;
    options.url = env_or("SMARTLOG_URL", "ws://127.0.0.1:3001/");
    options.user_id = env_or("SMARTLOG_USER", "example");
    options.app_id = env_or("SMARTLOG_APP", "spdlog_app");
    if (const char* token = std::getenv("SMARTLOG_TOKEN")) options.token = token;
    options.mode = smartlog::Mode::producer;

    // The client keeps the connection (and reconnects) on its own thread; logging never waits.
    auto client = std::make_shared<smartlog::Client>(options);
    client->start();

    auto logger = std::make_shared<spdlog::logger>(
        "spdlog_app",
        spdlog::sinks_init_list{std::make_shared<spdlog::sinks::stderr_color_sink_mt>(),
                                std::make_shared<smartlog::spdlog_sink_mt>(client)});
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);

    spdlog::debug("configuration loaded from {}", "/etc/spdlog_app.toml");
    spdlog::info("spdlog_app {} started", "1.0");
    spdlog::warn("cache is {}% full", 91);
    spdlog::error("payment {} failed: {}", 1234, "card declined");
    spdlog::critical("database unreachable");
    // A viewer's filter as the README writes it (designated initialisers: C++20; every member
    // named, as -Wextra asks).
    const smartlog::Filter errors_only{
        .levels = {"error", "fatal"}, .start_time = {}, .end_time = {}, .search = {}};
    spdlog::debug("a viewer of errors only would ask for {} levels", errors_only.levels.size());

    // Before exiting, make sure the server has everything (the destructor would wait too).
    if (!client->wait_acknowledged(std::chrono::seconds(10))) {
        std::fprintf(stderr, "spdlog_app: some logs did not reach %s: %s\n", options.url.c_str(),
                     client->last_error().c_str());
        return 1;
    }
    return 0;
}
