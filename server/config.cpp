#include "server/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <toml++/toml.h>

#include "cluster/redis_url.hpp"
#include "core/closest_name.hpp"
#include "core/units.hpp"
#include "protocol/limits.hpp"
#include "server/origin.hpp"

namespace smartlog::server {

namespace {

// One setting of README, "Configuration": the same key in TOML, as a flag and as an environment
// variable.
struct SettingSpec {
    std::string key;
    std::string help;
    // Sets the value from its text; throws std::invalid_argument with what was expected.
    std::function<void(Settings&, const std::string&)> set;
    std::function<std::string(const Settings&)> show;
};

std::string dashed(std::string key) {
    std::replace(key.begin(), key.end(), '_', '-');
    return key;
}

std::string env_name(const std::string& key) {
    std::string name = "SMARTLOG_" + key;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    return name;
}

template <class T>
SettingSpec duration_setting(std::string key, std::string help, T Settings::*member) {
    return {std::move(key), std::move(help),
            [member](Settings& s, const std::string& text) {
                auto d = core::parse_duration(text);
                if (!d || d->count() <= 0) {
                    throw std::invalid_argument(
                        "expected a positive duration with a unit, like \"250ms\", \"5s\", \"2m\", "
                        "\"7d\"");
                }
                s.*member = *d;
            },
            [member](const Settings& s) { return core::format_duration(s.*member); }};
}

template <class T>
SettingSpec size_setting(std::string key, std::string help, T Settings::*member) {
    return {std::move(key), std::move(help),
            [member](Settings& s, const std::string& text) {
                auto n = core::parse_size(text);
                if (!n || *n == 0) {
                    throw std::invalid_argument(
                        "expected a positive size, like 65536, \"64KiB\", \"8MiB\"");
                }
                s.*member = static_cast<T>(*n);
            },
            [member](const Settings& s) { return core::format_size(s.*member); }};
}

template <class T>
SettingSpec count_setting(std::string key, std::string help, T Settings::*member) {
    return {std::move(key), std::move(help),
            [member](Settings& s, const std::string& text) {
                std::uint64_t n = 0;
                auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
                if (ec != std::errc{} || ptr != text.data() + text.size() || n == 0) {
                    throw std::invalid_argument("expected a positive whole number");
                }
                s.*member = static_cast<T>(n);
            },
            [member](const Settings& s) { return std::to_string(s.*member); }};
}

// A whole number where 0 is meaningful (0: unlimited, or: the default of another setting).
template <class T>
SettingSpec zero_or_count_setting(std::string key, std::string help, T Settings::*member) {
    return {std::move(key), std::move(help),
            [member](Settings& s, const std::string& text) {
                std::uint64_t n = 0;
                auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
                if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) {
                    throw std::invalid_argument("expected a whole number (0: unlimited)");
                }
                s.*member = static_cast<T>(n);
            },
            [member](const Settings& s) { return std::to_string(s.*member); }};
}

SettingSpec bool_setting(std::string key, std::string help, bool Settings::*member) {
    return {std::move(key), std::move(help),
            [member](Settings& s, const std::string& text) {
                if (text == "true" || text == "1") s.*member = true;
                else if (text == "false" || text == "0") s.*member = false;
                else throw std::invalid_argument("expected true or false");
            },
            [member](const Settings& s) { return std::string(s.*member ? "true" : "false"); }};
}

SettingSpec string_setting(std::string key, std::string help, std::string Settings::*member) {
    return {std::move(key), std::move(help),
            [member](Settings& s, const std::string& text) { s.*member = text; },
            [member](const Settings& s) { return s.*member; }};
}

const std::vector<SettingSpec>& setting_specs() {
    static const std::vector<SettingSpec> specs = [] {
        std::vector<SettingSpec> v;
        v.push_back({"listen", "Address to listen on, HOST:PORT (port 0: any free port)",
                     [](Settings& s, const std::string& text) {
                         if (auto why = listen_problem(text)) throw std::invalid_argument(*why);
                         s.listen = text;
                     },
                     [](const Settings& s) { return s.listen; }});
        v.push_back(
            string_setting("data_dir", "Directory of the durable store", &Settings::data_dir));
        v.push_back({"durability",
                     "memory | batch | sync: what an acknowledgement promises (docs/storage.md)",
                     [](Settings& s, const std::string& text) {
                         if (text == "memory") s.durability = Durability::memory;
                         else if (text == "batch") s.durability = Durability::batch;
                         else if (text == "sync") s.durability = Durability::sync;
                         else
                             throw std::invalid_argument(
                                 "expected \"memory\", \"batch\" or \"sync\"");
                     },
                     [](const Settings& s) { return std::string(durability_name(s.durability)); }});
        v.push_back(count_setting("history_limit",
                                  "Entries kept in memory per app for request_history",
                                  &Settings::history_limit));
        v.push_back(size_setting(
            "history_max_bytes",
            "Bytes of entries kept in memory per app for request_history; the oldest go first",
            &Settings::history_max_bytes));
        v.push_back(duration_setting("metrics_interval", "How often metrics are pushed to viewers",
                                     &Settings::metrics_interval));
        v.push_back(duration_setting("idle_timeout",
                                     "Close connections silent this long (pings every third of it)",
                                     &Settings::idle_timeout));
        v.push_back(duration_setting("auth_timeout",
                                     "Close connections not authenticated within this time",
                                     &Settings::auth_timeout));
        v.push_back(count_setting("batch_max_entries",
                                  "A live batch leaves when it holds this many entries",
                                  &Settings::batch_max_entries));
        v.push_back(duration_setting("batch_max_delay", "... or this long after its first entry",
                                     &Settings::batch_max_delay));
        v.push_back(size_setting("max_frame_bytes",
                                 "Largest WebSocket message accepted (larger: close 1009)",
                                 &Settings::max_frame_bytes));
        v.push_back(size_setting("max_message_bytes", "Largest entry message accepted",
                                 &Settings::max_message_bytes));
        v.push_back(size_setting("max_metadata_bytes", "Largest entry metadata accepted",
                                 &Settings::max_metadata_bytes));
        v.push_back(size_setting(
            "max_outbound_bytes",
            "Unsent bytes a viewer may lag behind before live batches are dropped for it",
            &Settings::max_outbound_bytes));
        v.push_back(count_setting("retention_entries", "Entries kept on disk per app",
                                  &Settings::retention_entries));
        v.push_back(duration_setting("retention_age",
                                     "Entries older than this are removed from disk",
                                     &Settings::retention_age));
        v.push_back({"storage_check",
                     "quick | full | off: how the database is checked at start; damaged: refuse to "
                     "start (docs/storage.md)",
                     [](Settings& s, const std::string& text) {
                         if (text != "quick" && text != "full" && text != "off") {
                             throw std::invalid_argument("expected \"quick\", \"full\" or \"off\"");
                         }
                         s.storage_check = text;
                     },
                     [](const Settings& s) { return s.storage_check; }});
        v.push_back(count_setting("storage_queue_entries",
                                  "Entries waiting to be written before producers wait: WebSocket "
                                  "messages are read later, HTTP ingest gets 429 (backpressure)",
                                  &Settings::storage_queue_entries));
        v.push_back(duration_setting("query_timeout",
                                     "Longest a GET /api/v1/logs query may run on the durable "
                                     "store; longer: 503 query_timeout",
                                     &Settings::query_timeout));
        v.push_back(string_setting("tls_cert", "PEM certificate chain: serve wss:// and https://",
                                   &Settings::tls_cert));
        v.push_back(string_setting("tls_key", "PEM private key for tls_cert", &Settings::tls_key));
        v.push_back({"allowed_origins",
                     "Browser Origins allowed to connect, comma-separated (unset: any)",
                     [](Settings& s, const std::string& text) {
                         s.allowed_origins.clear();
                         std::stringstream in(text);
                         for (std::string item; std::getline(in, item, ',');) {
                             item.erase(0, item.find_first_not_of(' '));
                             item.erase(item.find_last_not_of(' ') + 1);
                             if (item.empty()) continue;
                             // A path or a trailing slash would never match a browser's Origin:
                             // refuse it here rather than lock every browser out in silence.
                             if (!parse_origin(item)) {
                                 throw std::invalid_argument(
                                     "\"" + item +
                                     "\" is not an origin: expected scheme://host[:port], "
                                     "no path, no trailing slash, not \"null\"");
                             }
                             s.allowed_origins.push_back(item);
                         }
                     },
                     [](const Settings& s) {
                         std::string out;
                         for (const auto& o : s.allowed_origins)
                             out += (out.empty() ? "" : ",") + o;
                         return out;
                     }});
        v.push_back(bool_setting("ws_deflate",
                                 "Offer permessage-deflate to WebSocket clients (max_frame_bytes "
                                 "then counts inflated bytes)",
                                 &Settings::ws_deflate));
        v.push_back(size_setting("max_body_bytes",
                                 "Largest HTTP request body accepted (larger: 413)",
                                 &Settings::max_body_bytes));
        v.push_back(size_setting(
            "max_inflated_bytes",
            "Largest HTTP request body once decompressed (gzip, deflate, snappy; larger: 413)",
            &Settings::max_inflated_bytes));
        v.push_back(duration_setting(
            "request_timeout",
            "An HTTP request must arrive whole within this (else the connection is closed)",
            &Settings::request_timeout));
        v.push_back(duration_setting(
            "header_timeout",
            "An HTTP request line and headers must arrive within this, and an idle kept-alive "
            "connection is closed after it (at most request_timeout)",
            &Settings::header_timeout));
        v.push_back(count_setting(
            "max_connections",
            "Open client connections, HTTP and WebSocket; more are answered 503 and closed",
            &Settings::max_connections));
        v.push_back(zero_or_count_setting("max_connections_per_address",
                                          "Open connections from one client address, loopback "
                                          "excepted; more are answered 503 (0: no cap)",
                                          &Settings::max_connections_per_address));
        v.push_back(zero_or_count_setting(
            "max_unauthenticated_connections",
            "Connections without credentials yet (HTTP between requests, WebSocket before auth); "
            "past it the oldest is closed (0: no cap)",
            &Settings::max_unauthenticated_connections));
        v.push_back(zero_or_count_setting(
            "max_apps",
            "Apps open mode creates on first use; auth for another is refused (0: no cap)",
            &Settings::max_apps));
        v.push_back(bool_setting("metrics_public_apps",
                                 "Show per-app series of /metrics to callers without credentials",
                                 &Settings::metrics_public_apps));
        v.push_back(zero_or_count_setting(
            "app_rate_limit",
            "Entries per second one app may ingest, all its producers together (0: unlimited)",
            &Settings::app_rate_limit));
        v.push_back(zero_or_count_setting(
            "app_rate_burst", "Entries an app may send at once above its rate (0: app_rate_limit)",
            &Settings::app_rate_burst));
        v.push_back(zero_or_count_setting(
            "connection_rate_limit",
            "Entries per second one WebSocket connection may send (0: unlimited)",
            &Settings::connection_rate_limit));
        v.push_back(zero_or_count_setting(
            "connection_rate_burst",
            "Entries a connection may send at once above its rate (0: connection_rate_limit)",
            &Settings::connection_rate_burst));
        v.push_back(zero_or_count_setting(
            "control_rate_limit",
            "Control messages (all but logs) per second one WebSocket connection may send; over "
            "it: rate_limited, then a close (0: unlimited)",
            &Settings::control_rate_limit));
        v.push_back(
            zero_or_count_setting("control_rate_burst",
                                  "Control messages a connection may send at once above its rate "
                                  "(0: control_rate_limit; ignored when the rate is 0)",
                                  &Settings::control_rate_burst));
        v.push_back({"cluster_redis",
                     "Cluster mode: Redis servers that nodes share apps through, comma-separated "
                     "redis://[:password@]host:port (unset: a single node)",
                     [](Settings& s, const std::string& text) {
                         cluster::parse_redis_urls(text);  // throws std::invalid_argument
                         s.cluster_redis = text;
                     },
                     [](const Settings& s) {
                         // Passwords stay out of --help and summaries.
                         std::string out;
                         for (const auto& url : cluster::parse_redis_urls(s.cluster_redis))
                             out += (out.empty() ? "redis://" : ",redis://") + url.address();
                         return out;
                     }});
        v.push_back(string_setting("node_id",
                                   "Cluster mode: this node's name in Redis (unset: host name and "
                                   "port)",
                                   &Settings::node_id));
        v.push_back(duration_setting("cluster_timeout",
                                     "Cluster mode: a Redis command unanswered this long closes "
                                     "the connection; ingest is refused as unavailable until it "
                                     "is made again",
                                     &Settings::cluster_timeout));
        v.push_back({"log_level", "Server log level: trace, debug, info, warn, error, off",
                     [](Settings& s, const std::string& text) {
                         static const std::set<std::string> levels{
                             "trace", "debug", "info", "warn", "error", "critical", "off"};
                         if (!levels.count(text))
                             throw std::invalid_argument(
                                 "expected trace, debug, info, warn, error or off");
                         s.log_level = text;
                     },
                     [](const Settings& s) { return s.log_level; }});
        return v;
    }();
    return specs;
}

// "; did you mean PREFIX+name?" when `typed` is a likely typo of one of `known`, else "".
std::string did_you_mean(std::string_view typed, const std::vector<std::string>& known,
                         std::string_view prefix = {}) {
    auto match = core::closest_name(typed, known);
    return match ? fmt::format("; did you mean {}{}?", prefix, *match) : std::string();
}

// A parse error on a line like `listen = 127.0.0.1:3001` most likely comes from a value that
// TOML reads as a date, a time or a bare word: say to quote it instead of what the parser saw.
std::optional<std::string> unquoted_value_hint(std::string_view text, std::size_t line) {
    if (line == 0) return std::nullopt;
    for (std::size_t n = 1; n < line; ++n) {
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        text.remove_prefix(nl + 1);
    }
    std::string_view row = text.substr(0, text.find('\n'));
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    const auto eq = row.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        return v;
    };
    const std::string_view key = trim(row.substr(0, eq));
    std::string_view value = trim(row.substr(eq + 1));
    if (const auto hash = value.find(" #"); hash != std::string_view::npos)
        value = trim(value.substr(0, hash));
    const bool bare_key =
        !key.empty() && key.find_first_not_of(
                            "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string_view::npos;
    if (!bare_key || value.empty() ||
        std::string_view("\"'[{").find(value.front()) != std::string_view::npos) {
        return std::nullopt;
    }
    return fmt::format("{0}: the value {1} must be quoted: write {0} = \"{1}\"", key, value);
}

[[noreturn]] void fail_at(const std::string& source, const toml::source_region& where,
                          const std::string& key, const std::string& why) {
    if (where.begin.line) {
        throw ConfigError(fmt::format("{}:{}: {}: {}", source, where.begin.line, key, why));
    }
    throw ConfigError(fmt::format("{}: {}: {}", source, key, why));
}

std::string node_text(const toml::node& node, const std::string& source, const std::string& key) {
    if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
    if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
    if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
    if (const toml::array* array = node.as_array()) {
        std::string out;
        for (const toml::node& item : *array) {
            if (!item.is_string())
                fail_at(source, item.source(), key, "expected an array of strings");
            out += (out.empty() ? "" : ",") + *item.value<std::string>();
        }
        return out;
    }
    fail_at(source, node.source(), key, "expected a string or a whole number");
}

std::optional<std::array<unsigned char, 32>> parse_sha256_hex(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    std::array<unsigned char, 32> out{};
    for (std::size_t i = 0; i < 32; ++i) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, value, 16);
        if (ec != std::errc{} || ptr != hex.data() + 2 * i + 2) return std::nullopt;
        out[i] = static_cast<unsigned char>(value);
    }
    return out;
}

void apply_server_table(Settings& settings, const toml::table& server, const std::string& source) {
    for (const auto& [name, node] : server) {
        const std::string key(name.str());
        const std::string full = "server." + key;
        if (key == "insecure_open") {
            if (!node.is_boolean()) fail_at(source, node.source(), full, "expected true or false");
            settings.insecure_open = *node.value<bool>();
            continue;
        }
        auto& specs = setting_specs();
        auto it = std::find_if(specs.begin(), specs.end(),
                               [&](const SettingSpec& s) { return s.key == key; });
        if (it == specs.end()) {
            std::vector<std::string> keys{"insecure_open"};
            for (const auto& spec : specs) keys.push_back(spec.key);
            fail_at(source, node.source(), full,
                    "unknown setting" + did_you_mean(key, keys, "server."));
        }
        try {
            it->set(settings, node_text(node, source, full));
        } catch (const std::invalid_argument& e) {
            fail_at(source, node.source(), full, e.what());
        }
    }
}

void apply_apps(Config& config, const toml::node& apps_node, const std::string& source) {
    const toml::array* apps = apps_node.as_array();
    if (!apps) fail_at(source, apps_node.source(), "apps", "expected [[apps]] tables");
    for (std::size_t i = 0; i < apps->size(); ++i) {
        const toml::table* t = (*apps)[i].as_table();
        const std::string where = fmt::format("apps[{}]", i);
        if (!t) fail_at(source, (*apps)[i].source(), where, "expected a table");
        AppConfig app;
        for (const auto& [name, node] : *t) {
            const std::string key(name.str());
            if (key == "id" && node.is_string()) app.id = *node.value<std::string>();
            else if (key == "name" && node.is_string()) app.name = *node.value<std::string>();
            else if (key == "active" && node.is_boolean()) app.active = *node.value<bool>();
            else if (key == "id" || key == "name")
                fail_at(source, node.source(), where + "." + key, "expected a string");
            else if (key == "active")
                fail_at(source, node.source(), where + ".active", "expected true or false");
            else
                fail_at(source, node.source(), where + "." + key,
                        "unknown key" + did_you_mean(key, {"id", "name", "active"}));
        }
        if (app.id.empty())
            fail_at(source, t->source(), where + ".id", "required, a non-empty string");
        for (const auto& other : config.apps) {
            if (other.id == app.id)
                fail_at(source, t->source(), where + ".id",
                        "app \"" + app.id + "\" is declared twice");
        }
        config.apps.push_back(std::move(app));
    }
}

void apply_users(Config& config, const toml::node& users_node, const std::string& source) {
    const toml::array* users = users_node.as_array();
    if (!users) fail_at(source, users_node.source(), "users", "expected [[users]] tables");
    for (std::size_t i = 0; i < users->size(); ++i) {
        const toml::table* t = (*users)[i].as_table();
        const std::string where = fmt::format("users[{}]", i);
        if (!t) fail_at(source, (*users)[i].source(), where, "expected a table");
        UserConfig user;
        for (const auto& [name, node] : *t) {
            const std::string key(name.str());
            const std::string full = where + "." + key;
            if (key == "id") {
                if (!node.is_string()) fail_at(source, node.source(), full, "expected a string");
                user.id = *node.value<std::string>();
            } else if (key == "token_sha256") {
                if (!node.is_string())
                    fail_at(source, node.source(), full, "expected 64 hex digits");
                if (*node.value<std::string>() == "none") {
                    user.no_token = true;
                    continue;
                }
                user.token_sha256 = parse_sha256_hex(*node.value<std::string>());
                if (!user.token_sha256)
                    fail_at(source, node.source(), full,
                            "expected 64 hex digits (sha-256 of the token)");
            } else if (key == "apps") {
                const toml::table* grants = node.as_table();
                if (!grants)
                    fail_at(source, node.source(), full,
                            "expected a table like { app1 = [\"read\", \"write\"] }");
                for (const auto& [app_name, perms_node] : *grants) {
                    const std::string app_key = full + "." + std::string(app_name.str());
                    const toml::array* perms = perms_node.as_array();
                    if (!perms)
                        fail_at(source, perms_node.source(), app_key,
                                "expected an array of \"read\", \"write\", \"clear\"");
                    auto& set = user.apps[std::string(app_name.str())];
                    for (const toml::node& p : *perms) {
                        const auto text = p.value<std::string>();
                        if (text == "read") set.insert(Permission::read);
                        else if (text == "write") set.insert(Permission::write);
                        else if (text == "clear") set.insert(Permission::clear);
                        else
                            fail_at(source, p.source(), app_key,
                                    "permissions are \"read\", \"write\" and \"clear\"");
                    }
                }
            } else {
                fail_at(source, node.source(), full,
                        "unknown key" + did_you_mean(key, {"id", "token_sha256", "apps"}));
            }
        }
        if (user.id.empty())
            fail_at(source, t->source(), where + ".id", "required, a non-empty string");
        for (const auto& other : config.users) {
            if (other.id == user.id)
                fail_at(source, t->source(), where + ".id",
                        "user \"" + user.id + "\" is declared twice");
        }
        config.users.push_back(std::move(user));
    }
    // A user without a token can be signed in as by anyone: with other users beside it, that is
    // most likely a forgotten line, so it has to be asked for (docs/security.md, "Users").
    if (config.users.size() > 1) {
        for (std::size_t i = 0; i < config.users.size(); ++i) {
            const UserConfig& user = config.users[i];
            if (user.token_sha256 || user.no_token) continue;
            fail_at(
                source, (*users)[i].source(), fmt::format("users[{}].token_sha256", i),
                fmt::format(
                    "required when there are several users (without it anyone could sign in as "
                    "\"{0}\" "
                    "with any token): set the sha-256 of {0}'s token, or token_sha256 = \"none\" "
                    "to let {0} in without one",
                    user.id));
        }
    }
}

void apply_syslog(Config& config, const toml::node& syslog_node, const std::string& source) {
    const toml::array* listeners = syslog_node.as_array();
    if (!listeners) fail_at(source, syslog_node.source(), "syslog", "expected [[syslog]] tables");
    for (std::size_t i = 0; i < listeners->size(); ++i) {
        const toml::table* t = (*listeners)[i].as_table();
        const std::string where = fmt::format("syslog[{}]", i);
        if (!t) fail_at(source, (*listeners)[i].source(), where, "expected a table");
        SyslogConfig listener;
        for (const auto& [name, node] : *t) {
            const std::string key(name.str());
            const std::string full = where + "." + key;
            if (key != "listen" && key != "protocol" && key != "app" && key != "user") {
                fail_at(source, node.source(), full,
                        "unknown key (expected listen, protocol, app, user)");
            }
            if (!node.is_string()) fail_at(source, node.source(), full, "expected a string");
            const std::string value = *node.value<std::string>();
            if (key == "listen") {
                try {
                    parse_listen(value);
                } catch (const ConfigError& e) {
                    fail_at(source, node.source(), full, e.what());
                }
                listener.listen = value;
            } else if (key == "protocol") {
                if (value == "tcp") listener.transport = SyslogTransport::tcp;
                else if (value == "udp") listener.transport = SyslogTransport::udp;
                else fail_at(source, node.source(), full, "expected \"tcp\" or \"udp\"");
            } else if (key == "app") {
                listener.app = value;
            } else {
                listener.user = value;
            }
        }
        if (listener.app.empty())
            fail_at(source, t->source(), where + ".app", "required: the app its messages go to");
        if (listener.user.empty())
            fail_at(source, t->source(), where + ".user",
                    "required: the user its messages are written as");
        if (listener.app.size() > protocol::kMaxIdBytes ||
            listener.user.size() > protocol::kMaxIdBytes) {
            fail_at(source, t->source(), where,
                    fmt::format("app and user ids are at most {} bytes", protocol::kMaxIdBytes));
        }
        for (const auto& other : config.syslog) {
            // Port 0 picks a free port each time: never the same twice.
            if (other.listen == listener.listen && other.transport == listener.transport &&
                parse_listen(other.listen).port != 0) {
                fail_at(source, t->source(), where + ".listen",
                        "\"" + listener.listen + "\" is declared twice");
            }
        }
        config.syslog.push_back(std::move(listener));
    }
}

// Each syslog listener writes as a user that holds write on an active app (outside open mode).
// Checked once every section is read, as the sections may come in any order.
void check_syslog(const Config& config, const toml::table& root, const std::string& source) {
    const toml::array* listeners = root["syslog"].as_array();
    for (std::size_t i = 0; i < config.syslog.size(); ++i) {
        const SyslogConfig& s = config.syslog[i];
        const toml::source_region where =
            listeners && i < listeners->size() ? (*listeners)[i].source() : toml::source_region{};
        const std::string name = fmt::format("syslog[{}]", i);
        if (config.open_mode()) continue;
        const auto app = std::find_if(config.apps.begin(), config.apps.end(),
                                      [&](const AppConfig& a) { return a.id == s.app; });
        if (app == config.apps.end())
            fail_at(source, where, name + ".app", "no [[apps]] entry has id \"" + s.app + "\"");
        if (!app->active)
            fail_at(source, where, name + ".app",
                    "app \"" + s.app + "\" is inactive: nothing may write to it");
        const auto user = std::find_if(config.users.begin(), config.users.end(),
                                       [&](const UserConfig& u) { return u.id == s.user; });
        if (user == config.users.end())
            fail_at(source, where, name + ".user", "no [[users]] entry has id \"" + s.user + "\"");
        const auto grant = user->apps.find(s.app);
        if (grant == user->apps.end() || !grant->second.count(Permission::write)) {
            fail_at(
                source, where, name + ".user",
                "user \"" + s.user + "\" needs the \"write\" permission on app \"" + s.app + "\"");
        }
    }
}

}  // namespace

void check_rate_settings(const Settings& s) {
    if (s.app_rate_burst && !s.app_rate_limit) {
        throw ConfigError(
            fmt::format("app_rate_burst ({}) needs app_rate_limit: without a rate there is no "
                        "limit to burst above",
                        s.app_rate_burst));
    }
    if (s.connection_rate_burst && !s.connection_rate_limit) {
        throw ConfigError(
            fmt::format("connection_rate_burst ({}) needs connection_rate_limit: without a rate "
                        "there is no limit to burst above",
                        s.connection_rate_burst));
    }
}

std::string count_of(std::size_t n, std::string_view noun) {
    return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string_view permission_name(Permission p) noexcept {
    switch (p) {
        case Permission::read: return "read";
        case Permission::write: return "write";
        case Permission::clear: return "clear";
    }
    return "";
}

std::string_view durability_name(Durability d) noexcept {
    switch (d) {
        case Durability::memory: return "memory";
        case Durability::batch: return "batch";
        case Durability::sync: return "sync";
    }
    return "";
}

void apply_toml(Config& config, std::string_view toml_text, const std::string& source) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source);
    } catch (const toml::parse_error& e) {
        const auto line = e.source().begin.line;
        if (auto hint = unquoted_value_hint(toml_text, line)) {
            throw ConfigError(fmt::format("{}:{}: {}", source, line, *hint));
        }
        throw ConfigError(fmt::format("{}:{}: {}", source, line, e.description()));
    }
    for (const auto& [name, node] : root) {
        const std::string key(name.str());
        if (key == "server") {
            const toml::table* server = node.as_table();
            if (!server) fail_at(source, node.source(), "server", "expected a [server] table");
            apply_server_table(config.settings, *server, source);
        } else if (key == "apps") {
            apply_apps(config, node, source);
        } else if (key == "users") {
            apply_users(config, node, source);
        } else if (key == "syslog") {
            apply_syslog(config, node, source);
        } else {
            fail_at(source, node.source(), key,
                    "unknown section (expected [server], [[apps]], [[users]], [[syslog]])" +
                        did_you_mean(key, {"server", "apps", "users", "syslog"}));
        }
    }
    check_syslog(config, root, source);
    for (const auto& user : config.users) {
        for (const auto& grant : user.apps) {
            const std::string& app_id = grant.first;
            const bool known = std::any_of(config.apps.begin(), config.apps.end(),
                                           [&](const AppConfig& a) { return a.id == app_id; });
            if (!known) {
                throw ConfigError(
                    fmt::format("{}: users.{}.apps.{}: no [[apps]] entry has id \"{}\"", source,
                                user.id, app_id, app_id));
            }
        }
    }
}

std::optional<std::string> listen_problem(const std::string& listen) {
    if (const auto scheme = listen.find("://"); scheme != std::string::npos) {
        std::string rest = listen.substr(scheme + 3);
        rest = rest.substr(0, rest.find('/'));
        return fmt::format("expected HOST:PORT without a scheme or path, like \"{}\"",
                           rest.empty() ? "127.0.0.1:3001" : rest);
    }
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        const bool port_only =
            !listen.empty() && listen.find_first_not_of("0123456789") == std::string::npos;
        if (port_only) {
            return fmt::format(
                "expected HOST:PORT, not a port alone: write \"127.0.0.1:{0}\" (this machine only) "
                "or \"0.0.0.0:{0}\" (every interface)",
                listen);
        }
        return fmt::format(
            "expected HOST:PORT, like \"127.0.0.1:3001\" or \"[::1]:3001\", got \"{}\"", listen);
    }
    std::string host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || value > 65535) {
        return fmt::format("the port of \"{}\" must be a number from 0 to 65535", listen);
    }
    if (host.empty() || host == "[]") {
        return fmt::format(
            "\"{}\" has no host: write \"127.0.0.1:{}\" (this machine only) or \"0.0.0.0:{}\" "
            "(every interface)",
            listen, port, port);
    }
    if (host.find(':') != std::string::npos && host.front() != '[') {
        return fmt::format("an IPv6 address goes in brackets: \"[{}]:{}\"", host, port);
    }
    return std::nullopt;
}

ListenAddress parse_listen(const std::string& listen) {
    if (auto why = listen_problem(listen)) throw ConfigError("listen: " + *why);
    const auto colon = listen.rfind(':');
    ListenAddress out;
    out.host = listen.substr(0, colon);
    if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
        out.host = out.host.substr(1, out.host.size() - 2);
    }
    std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), out.port);
    return out;
}

bool is_loopback_host(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Config read_config_file(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw ConfigError(fmt::format("{}: cannot be read ({})", file, std::strerror(errno)));
    std::stringstream text;
    text << in.rdbuf();
    Config config;
    apply_toml(config, text.str(), file);
    config.config_file = file;
    return config;
}

std::vector<std::string> config_warnings(const Config& config) {
    std::vector<std::string> out;
    for (const UserConfig& user : config.users) {
        if (user.token_sha256) continue;
        out.push_back(fmt::format(
            "user \"{0}\" has no token: anyone can sign in as {0}, with any token or none, "
            "and get {0}'s permissions (docs/security.md, \"Users\")",
            user.id));
    }
    return out;
}

namespace {

// CLI11 reports a misspelt flag as "unexpected arguments" with exit code 109: find it first and
// name the flag it most likely meant.
void refuse_unknown_flags(const CLI::App& app, int argc, const char* const* argv) {
    std::vector<std::string> known;
    for (const CLI::Option* option : app.get_options()) {
        for (const std::string& name : option->get_lnames()) known.push_back("--" + name);
    }
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") break;
        if (arg.size() < 3 || arg.substr(0, 2) != "--") continue;
        const std::string name(arg.substr(0, arg.find('=')));
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        auto match = core::closest_name(name, known);
        throw ConfigError(fmt::format("unknown option {}{}; smartlogd --help lists them all", name,
                                      match ? " (did you mean " + *match + "?)" : std::string()));
    }
}

}  // namespace

LoadResult load_config(int argc, const char* const* argv) {
    CLI::App app{
        "smartlogd: real-time log and metrics server (NehonixSmartLogger protocol).\n"
        "Every setting is also read from the [server] table of --config and from the\n"
        "environment variable named in its help; flags beat the environment, which\n"
        "beats the file.",
        "smartlogd"};
    app.set_version_flag("--version", SMARTLOG_VERSION);
    app.get_formatter()->column_width(32);

    std::string config_file;
    app.add_option("-c,--config", config_file,
                   "TOML file with [server], [[apps]], [[users]] (env SMARTLOG_CONFIG)");
    bool insecure_open = false;
    app.add_flag(
        "--insecure-open", insecure_open,
        "Allow open mode (no [[users]]) on a non-loopback address (env SMARTLOG_INSECURE_OPEN=1)");

    const Settings defaults;
    const auto& specs = setting_specs();
    std::vector<std::string> flag_values(specs.size());
    std::vector<CLI::Option*> options;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto& spec = specs[i];
        options.push_back(
            app.add_option("--" + dashed(spec.key), flag_values[i],
                           fmt::format("{} [default: {}] (env {})", spec.help,
                                       spec.show(defaults).empty() ? "unset" : spec.show(defaults),
                                       env_name(spec.key))));
    }

    bool check_only = false;
    app.add_flag("--check-config", check_only,
                 "Read and check the configuration (file, environment, flags), print a summary and "
                 "exit: 0 if usable");

    LoadResult result;
    refuse_unknown_flags(app, argc, argv);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ExtrasError& e) {
        throw ConfigError(fmt::format(
            "{}; every setting is a --flag VALUE (smartlogd --help lists them)", e.what()));
    } catch (const CLI::ParseError& e) {
        result.exit_now = true;
        result.exit_code = app.exit(e);
        return result;
    }

    result.check_only = check_only;
    Config& config = result.config;
    if (config_file.empty()) {
        if (const char* env = std::getenv("SMARTLOG_CONFIG")) config_file = env;
    }
    if (!config_file.empty()) config = read_config_file(config_file);

    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto& spec = specs[i];
        std::string value, origin;
        if (options[i]->count()) {
            value = flag_values[i];
            origin = "--" + dashed(spec.key);
        } else if (const char* env = std::getenv(env_name(spec.key).c_str())) {
            value = env;
            origin = env_name(spec.key);
        } else {
            continue;
        }
        try {
            spec.set(config.settings, value);
        } catch (const std::invalid_argument& e) {
            // cluster_redis may carry passwords: its own message names the URL without them.
            if (spec.key == "cluster_redis") throw ConfigError(origin + ": " + e.what());
            throw ConfigError(fmt::format("{}: \"{}\": {}", origin, value, e.what()));
        }
    }
    if (insecure_open) {
        config.settings.insecure_open = true;
    } else if (const char* env = std::getenv("SMARTLOG_INSECURE_OPEN")) {
        config.settings.insecure_open = std::string(env) == "1" || std::string(env) == "true";
    }

    parse_listen(config.settings.listen);  // refuse a bad address before anything starts
    if (config.settings.tls_cert.empty() != config.settings.tls_key.empty()) {
        throw ConfigError("tls_cert and tls_key go together: set both or neither");
    }
    check_rate_settings(config.settings);
    // A header deadline past the whole request's is the request's (docs/protocol.md, "Limits"):
    // clamped here once, so every deadline derived from it agrees.
    config.settings.header_timeout =
        std::min(config.settings.header_timeout, config.settings.request_timeout);
    return result;
}

}  // namespace smartlog::server
