// server/config.hpp: settings, apps and users (README, "Configuration"), from the TOML file, the
// environment and the command line, in that order of increasing precedence. Start-up,
// --check-config and SIGHUP (which re-reads apps and users only).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace smartlog::server {

using std::chrono::milliseconds;

enum class Durability { memory, batch, sync };
enum class Permission { read, write, clear };

struct Settings {
    std::string listen = "127.0.0.1:3001";
    std::string data_dir = "./data";
    Durability durability = Durability::batch;
    std::size_t history_limit = 1000;
    std::uint64_t history_max_bytes = 64u << 20;  // per app, besides history_limit
    milliseconds metrics_interval{5000};
    milliseconds idle_timeout{60'000};
    milliseconds auth_timeout{10'000};
    std::size_t batch_max_entries = 256;
    milliseconds batch_max_delay{20};
    std::uint64_t max_frame_bytes = 1u << 20;
    std::uint64_t max_message_bytes = 64u << 10;
    std::uint64_t max_metadata_bytes = 16u << 10;
    std::uint64_t max_outbound_bytes = 8u << 20;
    std::uint64_t retention_entries = 100'000;
    milliseconds retention_age{7ll * 24 * 3600 * 1000};
    std::string storage_check =
        "quick";  // quick | full | off: what start-up checks (docs/storage.md)
    // Entries waiting for the storage thread before producers wait (backpressure).
    std::uint64_t storage_queue_entries = 250'000;
    milliseconds query_timeout{2'000};  // time budget of one stored-log query (GET /api/v1/logs)
    std::string tls_cert;
    std::string tls_key;
    std::vector<std::string> allowed_origins;     // empty: any Origin; else serialized origins
    bool ws_deflate = false;                      // offer permessage-deflate to WebSocket clients
    std::uint64_t max_body_bytes = 1u << 20;      // largest HTTP request body (larger: 413)
    std::uint64_t max_inflated_bytes = 8u << 20;  // largest body once gzip / snappy is undone
    milliseconds request_timeout{10'000};         // an HTTP request must arrive whole within this
    // Request line and headers must arrive within this (load_config clamps it to
    // request_timeout); it also bounds how long a kept-alive connection waits for a request.
    milliseconds header_timeout{5'000};
    std::size_t max_connections = 1000;  // open client connections, HTTP and WebSocket
    // Per client address (loopback excepted; 0: no cap), HTTP and WebSocket together.
    std::size_t max_connections_per_address = 64;
    // Connections that have proven nothing yet; at the cap the oldest is closed (0: no cap).
    std::size_t max_unauthenticated_connections = 256;
    std::size_t max_apps = 1000;       // apps open mode creates on first use (0: no cap)
    bool metrics_public_apps = false;  // per-app series of /metrics for callers without credentials
    // Ingest budgets in entries per second; 0: unlimited. A burst of 0 means one second's worth.
    std::uint64_t app_rate_limit = 0;
    std::uint64_t app_rate_burst = 0;
    std::uint64_t connection_rate_limit = 0;
    std::uint64_t connection_rate_burst = 0;
    // Control messages (everything but `logs`) per second and connection; 0: unlimited.
    std::uint64_t control_rate_limit = 50;
    std::uint64_t control_rate_burst = 200;
    // Cluster mode (docs/cluster.md): comma-separated redis://[:password@]host:port URLs; apps
    // are spread over them. Empty: a single node, nothing shared.
    std::string cluster_redis;
    std::string node_id;  // names this node in Redis (CLIENT LIST); empty: host name and port
    // A Redis command unanswered this long closes its connection (Redis then counts as down).
    milliseconds cluster_timeout{5000};
    std::string log_level = "info";
    bool insecure_open = false;
};

struct AppConfig {
    std::string id;
    std::string name;
    bool active = true;
};

struct UserConfig {
    std::string id;
    std::optional<std::array<unsigned char, 32>> token_sha256;
    bool no_token = false;  // token_sha256 = "none": anyone may sign in as this user, on purpose
    std::map<std::string, std::set<Permission>> apps;
};

// A [[syslog]] listener (docs/ingest.md "Syslog"): what arrives on it is written to `app` as
// `user`, who must hold the write permission there.
enum class SyslogTransport { tcp, udp };
struct SyslogConfig {
    std::string listen = "127.0.0.1:5514";
    SyslogTransport transport = SyslogTransport::tcp;
    std::string app;
    std::string user;
};

struct Config {
    Settings settings;
    std::vector<AppConfig> apps;
    std::vector<UserConfig> users;
    std::vector<SyslogConfig> syslog;
    std::string config_file;  // empty when none was given
    // Open mode: no [[users]] at all; any user and app is accepted with every permission.
    bool open_mode() const noexcept { return users.empty(); }
};

// A configuration that cannot be used; what() names the file, line and key where it can.
class ConfigError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Outcome of parsing the command line.
struct LoadResult {
    Config config;
    bool exit_now = false;  // --help or --version was printed
    int exit_code = 0;
    bool check_only = false;  // --check-config: validate, report, exit
};

// Reads flags, the environment (`environ`-style getenv) and the --config file.
// Throws ConfigError on any bad value; prints help and version itself.
LoadResult load_config(int argc, const char* const* argv);

// Reads the TOML file `file` alone (no flags, no environment). Throws ConfigError.
Config read_config_file(const std::string& file);

// Parses TOML text into `config` (for tests and load_config). `source` names it in errors.
void apply_toml(Config& config, std::string_view toml_text, const std::string& source);

// The listen address split into host and port. Throws ConfigError.
struct ListenAddress {
    std::string host;
    std::uint16_t port = 0;
};
ListenAddress parse_listen(const std::string& listen);
// Why `listen` is not a usable HOST:PORT, said so that the fix is in the message; nullopt if it is.
std::optional<std::string> listen_problem(const std::string& listen);

// What a valid configuration still gets a loud warning for (users anyone can sign in as).
std::vector<std::string> config_warnings(const Config& config);
bool is_loopback_host(const std::string& host);

// Refuses a burst given without its rate. Throws ConfigError. (Part of load_config.)
void check_rate_settings(const Settings& settings);

// "1 app", "2 apps": counts in messages read as English.
std::string count_of(std::size_t n, std::string_view noun);

std::string_view permission_name(Permission p) noexcept;
std::string_view durability_name(Durability d) noexcept;

}  // namespace smartlog::server
