// app/main.cpp: smartlogd. The one place that picks concrete classes and wires them together.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cluster/redis_bus.hpp"
#include "core/clock.hpp"
#include "server/config.hpp"
#include "server/connection_limit.hpp"
#include "server/server.hpp"
#include "server/tls_context.hpp"
#include "server/storage_log.hpp"
#include "storage/memory_store.hpp"
#include "storage/sqlite_store.hpp"
#include "web/assets.hpp"

namespace {

using namespace smartlog;

// The dashboard's own files, with a CSP strict enough that a page from elsewhere cannot be
// injected into it: no inline script, no framing, connections only to this origin.
void serve_dashboard(server::Router& router) {
    router.set_fallback([](const server::HttpRequest& req) {
        const web::Asset* asset = web::find_asset(server::target_path(req.target()));
        if (!asset)
            return server::json_error(req, server::http::status::not_found, "not_found",
                                      "no such page");
        auto res =
            server::text_response(req, server::http::status::ok, std::string(asset->content_type),
                                  std::string(asset->body));
        res.set("Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'");
        res.set("X-Content-Type-Options", "nosniff");
        res.set("Referrer-Policy", "no-referrer");
        return res;
    });
}

// "HOST:PORT/", with IPv6 addresses in brackets.
std::string address_of(const server::tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    const std::string host =
        address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return host + ":" + std::to_string(endpoint.port()) + "/";
}

// The user this process runs as, for messages about permissions: "nobody (uid 65534)".
std::string current_user() {
    const uid_t uid = geteuid();
    const passwd* pw = getpwuid(uid);
    return fmt::format("{} (uid {})", pw ? pw->pw_name : "?", uid);
}

// Refuses a data_dir this process cannot create or write, naming the user and what to do:
// SQLite would only say "unable to open database file".
void check_data_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    int err = ec ? ec.value() : 0;
    if (!err) {
        const std::string probe = (std::filesystem::path(dir) / ".smartlogd-write-check").string();
        const int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            err = errno;
        } else {
            ::close(fd);
            ::unlink(probe.c_str());
        }
    }
    if (!err) return;
    const passwd* pw = getpwuid(geteuid());
    const std::string name = pw ? pw->pw_name : std::to_string(geteuid());
    if (err == EACCES || err == EPERM) {
        throw server::ConfigError(fmt::format(
            "data_dir \"{0}\": permission denied for user {1}: give that user write access "
            "(e.g. sudo install -d -o {2} \"{0}\") or choose another directory with --data-dir or "
            "data_dir",
            dir, current_user(), name));
    }
    throw server::ConfigError(fmt::format(
        "data_dir \"{}\": {} (running as {}); choose another directory with --data-dir or data_dir",
        dir, std::strerror(err), current_user()));
}

// This node's name in Redis: node_id, or the host name and the port it listens on.
std::string node_id(const server::Settings& settings, const server::tcp::endpoint& endpoint) {
    if (!settings.node_id.empty()) return settings.node_id;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "localhost");
    return fmt::format("{}:{}", host, endpoint.port());
}

// --check-config: what would start, and the warnings it would start with; nothing is opened.
int check_config(const server::Config& config) {
    const server::Settings& settings = config.settings;
    const auto address = server::parse_listen(settings.listen);
    if (config.open_mode() && !server::is_loopback_host(address.host) && !settings.insecure_open) {
        throw server::ConfigError(
            "open mode (no [[users]] configured) accepts anyone, so it listens on loopback only; "
            "configure [[users]] or pass --insecure-open to listen on " +
            settings.listen);
    }
    server::make_tls_context(settings);  // throws on unreadable or mismatched cert and key
    std::printf("%s\n",
                fmt::format("{}: OK: listen {}{}, durability {}, data_dir {}, {}, {}{}",
                            config.config_file.empty() ? "(no config file)" : config.config_file,
                            settings.listen, settings.tls_cert.empty() ? "" : " (TLS)",
                            server::durability_name(settings.durability), settings.data_dir,
                            server::count_of(config.apps.size(), "app"),
                            server::count_of(config.users.size(), "user"),
                            config.open_mode() ? " (open mode: anyone gets every permission)" : "")
                    .c_str());
    for (const std::string& warning : server::config_warnings(config))
        std::printf("warning: %s\n", warning.c_str());
    return 0;
}

int run(int argc, char** argv) {
    auto loaded = server::load_config(argc, argv);
    if (loaded.exit_now) return loaded.exit_code;
    const server::Config& config = loaded.config;
    const server::Settings& settings = config.settings;
    if (loaded.check_only) return check_config(config);

    auto logger = spdlog::stderr_color_mt("smartlogd");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(settings.log_level));

    const auto address = server::parse_listen(settings.listen);
    if (config.open_mode()) {
        if (!server::is_loopback_host(address.host) && !settings.insecure_open) {
            throw server::ConfigError(
                "open mode (no [[users]] configured) accepts anyone, so it listens on loopback "
                "only; "
                "configure [[users]] or pass --insecure-open to listen on " +
                settings.listen);
        }
    }

    core::SystemClock clock;
    // Storage errors, recoveries and backlogs in the server log, a few lines per kind per 10 s.
    // Declared before the store: the store's threads call it until the store is gone.
    server::StorageLog storage_log([](spdlog::level::level_enum level, const std::string& line) {
        spdlog::log(level, "{}", line);
    });
    // The restore starts with opening the store: it reads the histories (preload_per_app).
    const auto restore_started = std::chrono::steady_clock::now();
    std::unique_ptr<storage::Store> store;
    if (settings.durability == server::Durability::memory) {
        store = std::make_unique<storage::MemoryStore>();
    } else {
        storage::SqliteOptions options;
        options.data_dir = settings.data_dir;
        options.sync = settings.durability == server::Durability::sync;
        options.retention_entries = settings.retention_entries;
        options.retention_age = settings.retention_age;
        options.query_timeout = settings.query_timeout;
        options.max_queued_entries = settings.storage_queue_entries;
        options.on_event = [&storage_log](const storage::StoreEvent& event) {
            storage_log.on_event(event, std::chrono::steady_clock::now());
        };
        options.check = settings.storage_check == "full"  ? storage::StartupCheck::full
                        : settings.storage_check == "off" ? storage::StartupCheck::none
                                                          : storage::StartupCheck::quick;
        // The histories are read while the check runs, or on a single node after it, while
        // the server already serves (docs/storage.md, "Restart").
        options.preload_per_app = settings.history_limit;
        options.preload_in_background = settings.cluster_redis.empty();
        // Cluster mode: the bus may bring an entry this node stored already (docs/cluster.md).
        options.skip_known_ids = !settings.cluster_redis.empty();
        check_data_dir(settings.data_dir);
        try {
            store = std::make_unique<storage::SqliteStore>(std::move(options), clock);
        } catch (const std::runtime_error& e) {
            throw server::ConfigError(std::string("storage: ") + e.what());
        }
    }
    server::reserve_descriptors(settings.max_connections);
    server::Server server(config, *store, clock);
    serve_dashboard(server.router());
    // Cluster mode: the bus before the histories, which it then brings up to date from Redis.
    std::unique_ptr<cluster::RedisBus> bus;
    if (!settings.cluster_redis.empty()) {
        cluster::RedisBus::Options options;
        options.servers = cluster::parse_redis_urls(settings.cluster_redis);
        options.node_id = node_id(settings, server.local_endpoint());
        options.history_limit = settings.history_limit;
        options.connection.command_timeout = settings.cluster_timeout;
        // Published every metrics interval: missing three in a row, this node no longer counts.
        options.connections_ttl =
            3 * std::chrono::duration_cast<std::chrono::milliseconds>(settings.metrics_interval);
        options.log = [](const std::string& line) { spdlog::warn("{}", line); };
        bus = std::make_unique<cluster::RedisBus>(server.context().ioc, std::move(options));
        server.context().hub.set_bus(bus.get());
        bus->start();
    }
    auto ms_since = [](std::chrono::steady_clock::time_point start) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
            .count();
    };
    // "restored=N in M ms": bench and scripts wait for it; keep its shape.
    if (bus) {
        // The bus brings each history up to date from where the store left it: before serving.
        const std::size_t restored = server.context().hub.restore(settings.history_limit);
        spdlog::info("restored={} in {} ms ({} apps)", restored, ms_since(restore_started),
                     server.context().hub.channels().size());
    } else {
        // Served meanwhile: each request waits for its own app's history alone.
        server.context().hub.restore_in_background(
            settings.history_limit, [ms_since, restore_started](const server::RestoreSummary& r) {
                spdlog::info(
                    "restored={} in {} ms ({} apps, {} of them read first because a "
                    "request needed them)",
                    r.entries, ms_since(restore_started), r.apps, r.read_first);
            });
    }

    const std::string bound = address_of(server.local_endpoint());
    const std::string url = (server.tls() ? "https://" : "http://") + bound;
    const std::string ws_url = (server.tls() ? "wss://" : "ws://") + bound;
    // Tests and scripts wait for this line; keep its shape.
    std::printf("smartlogd %s listening on %s (WebSocket %s)\n", SMARTLOG_VERSION, url.c_str(),
                ws_url.c_str());
    std::printf("dashboard: %s\n", url.c_str());
    std::fflush(stdout);
    // Warnings only once the server really runs: before a fatal error they would only mislead.
    if (config.open_mode()) {
        spdlog::warn(
            "open mode: no [[users]] configured, any userId/appId is accepted with every "
            "permission");
    }
    for (const std::string& warning : server::config_warnings(config)) spdlog::warn("{}", warning);
    spdlog::info("durability={} history_limit={} config={}",
                 server::durability_name(settings.durability), settings.history_limit,
                 config.config_file.empty() ? "(none)" : config.config_file);
    if (bus) {
        std::string servers;
        for (const auto& url : cluster::parse_redis_urls(settings.cluster_redis))
            servers += (servers.empty() ? "" : ", ") + url.address();
        spdlog::info("cluster mode: node {} on Redis {}",
                     node_id(settings, server.local_endpoint()), servers);
    }
    server.run();
    spdlog::info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "smartlogd: " << e.what() << "\n";
        return 2;
    }
}
