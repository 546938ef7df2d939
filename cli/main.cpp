// cli/main.cpp: the `smartlog` command: tail, send, history, metrics, clear, status.
// The main thread parses flags, waits and exits; output is written from the client's callbacks,
// which all run on the client's one network thread, so lines never interleave.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <smartlog/client.hpp>
#include <smartlog/parse.hpp>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Exit codes a script can rely on; --help and the README list them.
enum Exit : int {
    kOk = 0,
    kUsage = 1,       // bad flags or arguments
    kConnection = 2,  // could not connect, or lost the connection with work unfinished
    kAuth = 3,        // the server refused the credentials
    kRefused = 4,     // the server refused a request or some entries
    kInterrupted = 130,
};

constexpr const char* kExitCodes =
    "Exit codes: 0 ok; 1 usage error; 2 cannot connect or connection lost with work unfinished;\n"
    "3 authentication refused; 4 the server refused a request (permission, rejected entries).";

struct Common {
    std::string url = "ws://127.0.0.1:3001/";
    std::string user;
    std::string app;
    std::string token;
    std::string timeout = "10s";
    std::chrono::milliseconds timeout_ms{10'000};
    std::string tls_ca;
};

struct FilterFlags {
    std::vector<std::string> levels;
    std::string since;
    std::string until;
    std::string search;
};

[[noreturn]] void die(int code, const std::string& message) {
    std::fflush(stdout);
    std::fprintf(stderr, "smartlog: %s\n", message.c_str());
    std::fflush(stderr);
    // The client's thread may still run: leave without running destructors under it.
    std::_Exit(code);
}

// ---- output ----------------------------------------------------------------------------

std::string format_time(std::int64_t ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(((ms % 1000) + 1000) % 1000));
    return buf;
}

const char* level_colour(std::string_view level) {
    if (level == "trace") return "\x1b[90m";
    if (level == "debug") return "\x1b[36m";
    if (level == "log") return "\x1b[37m";
    if (level == "info") return "\x1b[32m";
    if (level == "warn") return "\x1b[33m";
    if (level == "error") return "\x1b[31m";
    if (level == "fatal") return "\x1b[1;31m";
    return "\x1b[35m";
}

struct Printer {
    bool json = false;
    bool colour = false;

    void print(const smartlog::LogEntry& e) const {
        std::string line;
        if (json) {
            line = smartlog::to_json(e);
        } else {
            std::string level = e.level;
            for (char& c : level)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (level.size() < 5) level.resize(5, ' ');
            line = format_time(e.timestamp) + " ";
            line += colour ? std::string(level_colour(e.level)) + level + "\x1b[0m" : level;
            line += " ";
            // Ciphertext of the original library's encryption mode: say so, it is not a message.
            if (e.encrypted) line += colour ? "\x1b[2m[encrypted]\x1b[0m " : "[encrypted] ";
            line += e.message;
            if (!e.metadata.empty())
                line += colour ? " \x1b[2m" + e.metadata + "\x1b[0m" : " " + e.metadata;
        }
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
    }
    void print(const std::vector<smartlog::LogEntry>& entries) const {
        for (const auto& e : entries) print(e);
        std::fflush(stdout);  // a pipe reader (grep, a test) sees each batch when it arrives
    }
};

std::string human_bytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (bytes >= 1024 && i < 4) {
        bytes /= 1024;
        ++i;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, i ? "%.1f %s" : "%.0f %s", bytes, units[i]);
    return buf;
}

double number_at(const json::value& v, std::initializer_list<std::string_view> path) {
    const json::value* cur = &v;
    for (auto key : path) {
        const json::object* o = cur->if_object();
        if (!o) return 0;
        auto it = o->find(key);
        if (it == o->end()) return 0;
        cur = &it->value();
    }
    if (cur->is_double()) return cur->get_double();
    if (cur->is_int64()) return static_cast<double>(cur->get_int64());
    if (cur->is_uint64()) return static_cast<double>(cur->get_uint64());
    return 0;
}

std::string format_metrics(const std::string& payload) {
    boost::system::error_code ec;
    const json::value v = json::parse(payload, ec);
    if (ec) return payload;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s cpu %.1f%% of %.0f cores | memory %s used of %s | disk %s free of %s | "
                  "connections %.0f (app %.0f) | %.1f entries/s, %.1f errors/s",
                  format_time(static_cast<std::int64_t>(number_at(v, {"timestamp"}))).c_str(),
                  number_at(v, {"cpu", "usage"}), number_at(v, {"cpu", "cores"}),
                  human_bytes(number_at(v, {"memory", "used"})).c_str(),
                  human_bytes(number_at(v, {"memory", "total"})).c_str(),
                  human_bytes(number_at(v, {"disk", "free"})).c_str(),
                  human_bytes(number_at(v, {"disk", "total"})).c_str(),
                  number_at(v, {"network", "connections"}), number_at(v, {"activeConnections"}),
                  number_at(v, {"messageRate"}), number_at(v, {"errorRate"}));
    return buf;
}

// ---- flags -> options --------------------------------------------------------------------

void add_common(CLI::App& cmd, Common& c) {
    cmd.add_option("--url", c.url, "Server WebSocket URL")
        ->envname("SMARTLOG_URL")
        ->capture_default_str();
    cmd.add_option("-u,--user", c.user, "User id")->envname("SMARTLOG_USER");
    cmd.add_option("-a,--app", c.app, "App id")->envname("SMARTLOG_APP");
    cmd.add_option("--token", c.token, "User token (prefer the variable: flags show in ps)")
        ->envname("SMARTLOG_TOKEN");
    cmd.add_option("--timeout", c.timeout, "How long to wait to connect, or for acks and answers")
        ->capture_default_str();
    cmd.add_option("--tls-ca", c.tls_ca,
                   "wss:// only: PEM file of the CA to trust instead of the system's")
        ->envname("SMARTLOG_TLS_CA")
        ->check(CLI::ExistingFile);
}

void add_filter(CLI::App& cmd, FilterFlags& f) {
    cmd.add_option("-l,--level", f.levels,
                   "Levels to show, comma-separated (error,fatal); LEVEL+ means that level and "
                   "above (warn+), in the order trace debug log info warn error fatal")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd.add_option("--since", f.since,
                   "Only entries from this time: a duration back (10m, 2h, 7d) or ISO-8601");
    cmd.add_option("--until", f.until, "Only entries up to this time: a duration back or ISO-8601");
    cmd.add_option("-s,--search", f.search,
                   "Only entries whose message contains this (case-insensitive)");
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t parse_time_flag(const std::string& flag, const std::string& text) {
    if (auto d = smartlog::parse_duration(text)) return now_ms() - d->count();
    if (auto t = smartlog::parse_time(text)) return *t;
    die(kUsage, flag + " \"" + text + "\": expected a duration like 10m or an ISO-8601 time");
}

smartlog::Filter make_filter(const FilterFlags& f) {
    smartlog::Filter out;
    for (const auto& raw : f.levels) {
        const bool and_above = !raw.empty() && raw.back() == '+';
        auto level = smartlog::normalize_level(and_above ? raw.substr(0, raw.size() - 1) : raw);
        if (!level) die(kUsage, "--level \"" + raw + "\" is longer than 32 characters");
        if (!and_above) {
            out.levels.push_back(*level);
            continue;
        }
        auto and_up = smartlog::levels_at_or_above(*level);
        if (and_up.empty())
            die(kUsage,
                "--level " + raw + ": \"+\" needs one of trace debug log info warn error fatal");
        for (auto& l : and_up) out.levels.push_back(std::move(l));
    }
    if (!f.since.empty()) out.start_time = parse_time_flag("--since", f.since);
    if (!f.until.empty()) out.end_time = parse_time_flag("--until", f.until);
    out.search = f.search;
    return out;
}

smartlog::ClientOptions make_options(Common& c, smartlog::Mode mode, bool authenticate = true) {
    auto d = smartlog::parse_duration(c.timeout);
    if (!d || d->count() <= 0)
        die(kUsage, "--timeout \"" + c.timeout + "\": expected a duration like 10s");
    c.timeout_ms = *d;
    if (c.user.empty()) die(kUsage, "no user: pass --user or set SMARTLOG_USER");
    if (c.app.empty()) die(kUsage, "no app: pass --app or set SMARTLOG_APP");
    smartlog::ClientOptions o;
    o.url = c.url;
    o.user_id = c.user;
    o.app_id = c.app;
    if (!c.token.empty()) o.token = c.token;
    o.tls_ca_file = c.tls_ca;
    o.mode = mode;
    o.authenticate = authenticate;
    o.connect_timeout = std::min<std::chrono::milliseconds>(c.timeout_ms, 10s);
    return o;
}

std::unique_ptr<smartlog::Client> make_client(const smartlog::ClientOptions& o) {
    try {
        return std::make_unique<smartlog::Client>(o);
    } catch (const std::exception& e) {
        die(kUsage, e.what());
    }
}

// Waits for the first connection; exits with the right code when there is none.
void connect_or_die(smartlog::Client& client, const Common& c) {
    const auto state = client.wait_ready(c.timeout_ms);
    switch (state) {
        case smartlog::ConnectionState::ready:
        case smartlog::ConnectionState::connected: return;
        case smartlog::ConnectionState::auth_failed:
            die(kAuth, "authentication refused for user \"" + c.user + "\" on app \"" + c.app +
                           "\": " + client.last_error());
        default: {
            const std::string why = client.last_error();
            die(kConnection,
                "cannot connect to " + c.url + (why.empty() ? ": timed out" : ": " + why));
        }
    }
}

// ---- waiting -----------------------------------------------------------------------------

// Set by callbacks, awaited by main. Signals are blocked in every thread and taken here.
class Outcome {
public:
    void finish(int code, std::string message = {}) {
        std::lock_guard lock(mu_);
        if (code_) return;
        code_ = code;
        message_ = std::move(message);
    }
    // Waits for finish() or SIGINT/SIGTERM (-> kOk when `interrupt_ok`, else kInterrupted).
    int wait(const sigset_t& signals, bool interrupt_ok,
             std::optional<std::chrono::milliseconds> timeout = {}, int timeout_code = kConnection,
             const std::string& timeout_message = {}) {
        const auto deadline =
            std::chrono::steady_clock::now() + timeout.value_or(std::chrono::hours(24 * 365));
        for (;;) {
            {
                std::lock_guard lock(mu_);
                if (code_) {
                    if (!message_.empty()) std::fprintf(stderr, "smartlog: %s\n", message_.c_str());
                    return *code_;
                }
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                if (!timeout_message.empty())
                    std::fprintf(stderr, "smartlog: %s\n", timeout_message.c_str());
                return timeout_code;
            }
            timespec ts{0, 50'000'000};
            if (sigtimedwait(&signals, nullptr, &ts) > 0) return interrupt_ok ? kOk : kInterrupted;
        }
    }

private:
    std::mutex mu_;
    std::optional<int> code_;
    std::string message_;
};

sigset_t block_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

void report_errors(smartlog::Client& client, Outcome& outcome, bool fatal) {
    client.on_error([&outcome, fatal](const smartlog::ServerError& e) {
        if (fatal) {
            outcome.finish(kRefused, "server refused: " + e.code + ": " + e.message);
        } else {
            std::fprintf(stderr, "smartlog: server: %s: %s\n", e.code.c_str(), e.message.c_str());
        }
    });
}

// ---- subcommands -------------------------------------------------------------------------

struct TailFlags {
    FilterFlags filter;
    bool json = false;
    std::size_t lines = 20;
    std::string colour = "auto";
};

bool use_colour(const std::string& mode) {
    if (mode == "always") return true;
    if (mode == "never") return false;
    return isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
}

int run_tail(Common& c, const TailFlags& f) {
    auto options = make_options(c, smartlog::Mode::viewer);
    options.initial_history = f.lines;
    const sigset_t signals = block_signals();
    auto client = make_client(options);
    Printer printer{f.json, !f.json && use_colour(f.colour)};
    Outcome outcome;
    client->on_history([&](const std::vector<smartlog::LogEntry>& entries,
                           const smartlog::HistoryInfo&) { printer.print(entries); });
    client->on_logs(
        [&](const std::vector<smartlog::LogEntry>& entries) { printer.print(entries); });
    client->on_dropped([](const smartlog::Dropped& d) {
        if (d.kind == smartlog::Dropped::Kind::resume_gap) {
            std::fprintf(
                stderr,
                "smartlog: entries after %s are no longer kept by the server: some were missed\n",
                d.after_id.c_str());
        } else {
            std::fprintf(stderr, "smartlog: %llu entries were missed\n",
                         static_cast<unsigned long long>(d.count));
        }
    });
    client->on_cleared([](const smartlog::Cleared& cl) {
        std::fprintf(stderr, "smartlog: %s cleared the history of %s (%llu %s)\n",
                     cl.cleared_by.c_str(), cl.app_id.c_str(),
                     static_cast<unsigned long long>(cl.count),
                     cl.count == 1 ? "entry" : "entries");
    });
    std::atomic<bool> was_ready{false};
    client->on_state([&](smartlog::ConnectionState s, const std::string& detail) {
        if (s == smartlog::ConnectionState::ready) {
            if (was_ready.exchange(true)) std::fprintf(stderr, "smartlog: reconnected\n");
        } else if (s == smartlog::ConnectionState::disconnected && was_ready) {
            std::fprintf(stderr, "smartlog: disconnected (%s), reconnecting\n", detail.c_str());
        } else if (s == smartlog::ConnectionState::auth_failed) {
            outcome.finish(kAuth, "authentication refused: " + detail);
        }
    });
    report_errors(*client, outcome, true);
    client->set_filter(make_filter(f.filter));
    client->start();
    connect_or_die(*client, c);
    const int code = outcome.wait(signals, true);
    client->close();
    return code;
}

struct SendFlags {
    std::string level = "info";
    std::vector<std::string> meta;
    std::vector<std::string> words;
};

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

int run_send(Common& c, const SendFlags& f) {
    auto options = make_options(c, smartlog::Mode::producer);
    // A pipe is read only as fast as the server takes it: nothing is dropped.
    options.overflow = smartlog::OverflowPolicy::block;
    options.max_queued_entries = 20'000;
    smartlog::Metadata metadata;
    for (const auto& kv : f.meta) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            die(kUsage, "--meta \"" + kv + "\": expected KEY=VALUE");
        metadata.add(std::string_view(kv).substr(0, eq), std::string_view(kv).substr(eq + 1));
    }
    auto client = make_client(options);
    std::atomic<int> refused{0};
    std::string first_refusal;
    std::mutex refusal_mu;
    client->on_error([&](const smartlog::ServerError& e) {
        std::lock_guard lock(refusal_mu);
        if (refused++ == 0) first_refusal = e.code + ": " + e.message;
    });
    client->start();
    connect_or_die(*client, c);

    std::uint64_t lines = 0;
    if (!f.words.empty()) {
        std::string message;
        for (const auto& w : f.words) message += (message.empty() ? "" : " ") + w;
        client->log(f.level, message, metadata);
        lines = 1;
    } else {
        // Ctrl-C stops reading (no SA_RESTART: the read fails with EINTR) and still sends what
        // was read; a second Ctrl-C kills.
        struct sigaction sa {};
        sa.sa_handler = on_interrupt;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        std::string line;
        while (!g_interrupted && std::getline(std::cin, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            client->log(f.level, line, metadata);
            ++lines;
        }
    }
    const bool all_acked = client->wait_acknowledged(c.timeout_ms + 0ms);
    const auto stats = client->stats();
    client->close();
    if (!all_acked) {
        const auto state = client->state();
        if (state == smartlog::ConnectionState::auth_failed)
            die(kAuth, "authentication refused: " + client->last_error());
        die(kConnection,
            std::to_string(stats.queued) + " of " + std::to_string(lines) +
                " entries not acknowledged by " + c.url + " within " + c.timeout +
                (client->last_error().empty() ? "" : " (" + client->last_error() + ")"));
    }
    if (stats.rejected) {
        die(kRefused, std::to_string(stats.rejected) + " of " + std::to_string(lines) +
                          " entries refused by the server; first: " + first_refusal);
    }
    return g_interrupted ? kInterrupted : kOk;
}

struct HistoryFlags {
    FilterFlags filter;
    std::size_t limit = 100;
    std::string after;
    bool json = false;
    std::string colour = "auto";
};

int run_history(Common& c, const HistoryFlags& f) {
    auto options = make_options(c, smartlog::Mode::viewer);
    options.reconnect = false;
    const sigset_t signals = block_signals();
    auto client = make_client(options);
    Printer printer{f.json, !f.json && use_colour(f.colour)};
    Outcome outcome;
    client->on_history(
        [&](const std::vector<smartlog::LogEntry>& entries, const smartlog::HistoryInfo& info) {
            printer.print(entries);
            if (info.gap)
                std::fprintf(stderr, "smartlog: entries after %s are no longer kept\n",
                             f.after.c_str());
            if (!info.more) outcome.finish(kOk);
        });
    report_errors(*client, outcome, true);
    client->on_state([&](smartlog::ConnectionState s, const std::string& detail) {
        if (s == smartlog::ConnectionState::disconnected)
            outcome.finish(kConnection, "connection lost: " + detail);
    });
    client->set_filter(make_filter(f.filter));
    client->request_history(f.limit, f.after);
    client->start();
    connect_or_die(*client, c);
    const int code =
        outcome.wait(signals, false, c.timeout_ms, kConnection, "no answer within " + c.timeout);
    client->close();
    return code;
}

// Boost.JSON writes doubles as 2.0122574055158324E1: scripts and people want 20.122574.
// Whole numbers print as integers; the rest with at most six decimals, trailing zeros cut.
void write_plain_json(std::string& out, const json::value& v) {
    switch (v.kind()) {
        case json::kind::double_: {
            const double d = v.get_double();
            if (!std::isfinite(d)) {
                out += "null";
            } else if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
                out += std::to_string(static_cast<std::int64_t>(d));
            } else {
                char buffer[400];
                std::snprintf(buffer, sizeof buffer, "%.6f", d);
                std::string text = buffer;
                text.erase(text.find_last_not_of('0') + 1);
                if (text.back() == '.') text.pop_back();
                out += text == "-0" ? "0" : text;
            }
            return;
        }
        case json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, value] : v.get_object()) {
                if (!first) out += ',';
                first = false;
                out += json::serialize(json::string(key));
                out += ':';
                write_plain_json(out, value);
            }
            out += '}';
            return;
        }
        case json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v.get_array()) {
                if (!first) out += ',';
                first = false;
                write_plain_json(out, item);
            }
            out += ']';
            return;
        }
        default: out += json::serialize(v);
    }
}

std::string plain_json(const std::string& payload) {
    boost::system::error_code ec;
    const json::value v = json::parse(payload, ec);
    if (ec) return payload;
    std::string out;
    write_plain_json(out, v);
    return out;
}

int run_metrics(Common& c, bool watch, bool as_json) {
    auto options = make_options(c, smartlog::Mode::viewer);
    options.reconnect = watch;
    const sigset_t signals = block_signals();
    auto client = make_client(options);
    Outcome outcome;
    client->on_metrics([&](const std::string& payload) {
        const std::string line = (as_json ? plain_json(payload) : format_metrics(payload)) + "\n";
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
        if (!watch) outcome.finish(kOk);
    });
    report_errors(*client, outcome, true);
    client->on_state([&](smartlog::ConnectionState s, const std::string& detail) {
        if (s == smartlog::ConnectionState::disconnected && !watch) {
            outcome.finish(kConnection, "connection lost: " + detail);
        }
    });
    client->request_metrics();
    client->start();
    connect_or_die(*client, c);
    const int code = watch ? outcome.wait(signals, true)
                           : outcome.wait(signals, false, c.timeout_ms, kConnection,
                                          "no answer within " + c.timeout);
    client->close();
    return code;
}

int run_clear(Common& c) {
    auto options = make_options(c, smartlog::Mode::viewer);
    options.reconnect = false;
    const sigset_t signals = block_signals();
    auto client = make_client(options);
    Outcome outcome;
    client->on_cleared([&](const smartlog::Cleared& cl) {
        std::printf("cleared %llu %s of app %s\n", static_cast<unsigned long long>(cl.count),
                    cl.count == 1 ? "entry" : "entries", cl.app_id.c_str());
        outcome.finish(kOk);
    });
    report_errors(*client, outcome, true);
    client->on_state([&](smartlog::ConnectionState s, const std::string& detail) {
        if (s == smartlog::ConnectionState::disconnected)
            outcome.finish(kConnection, "connection lost: " + detail);
    });
    client->clear();
    client->start();
    connect_or_die(*client, c);
    const int code =
        outcome.wait(signals, false, c.timeout_ms, kConnection, "no answer within " + c.timeout);
    client->close();
    return code;
}

int run_status(Common& c, bool as_json) {
    auto options = make_options(c, smartlog::Mode::viewer, false);
    options.reconnect = false;
    const sigset_t signals = block_signals();
    auto client = make_client(options);
    Outcome outcome;
    client->check_status([&](const smartlog::Status& s) {
        auto yes = [](bool b) { return b ? "yes" : "no"; };
        if (as_json) {
            auto tf = [](bool b) { return b ? "true" : "false"; };
            std::printf(
                "{\"success\":%s,\"userExists\":%s,\"appExists\":%s,\"userHasAccess\":%s,"
                "\"appIsActive\":%s}\n",
                tf(s.success), tf(s.user_exists), tf(s.app_exists), tf(s.user_has_access),
                tf(s.app_is_active));
        } else {
            std::printf(
                "server: %s\ncredentials: %s (%s)\nuser exists: %s\napp exists: %s\naccess: "
                "%s\napp active: %s\n",
                c.url.c_str(), s.success ? "valid" : "invalid", s.message.c_str(),
                yes(s.user_exists), yes(s.app_exists), yes(s.user_has_access),
                yes(s.app_is_active));
        }
        if (!s.success) return outcome.finish(kAuth);
        outcome.finish(s.user_has_access && s.app_is_active ? kOk : kRefused);
    });
    client->on_state([&](smartlog::ConnectionState s, const std::string& detail) {
        if (s == smartlog::ConnectionState::disconnected)
            outcome.finish(kConnection, "connection lost: " + detail);
    });
    client->start();
    connect_or_die(*client, c);
    const int code =
        outcome.wait(signals, false, c.timeout_ms, kConnection, "no answer within " + c.timeout);
    client->close();
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"smartlog: watch and send logs of a smartlog server (smartlogd) from a terminal"};
    app.footer(std::string("\nEnvironment: SMARTLOG_URL (default ws://127.0.0.1:3001/), "
                           "SMARTLOG_USER, SMARTLOG_APP, "
                           "SMARTLOG_TOKEN.\n") +
               kExitCodes);
    app.require_subcommand(1);
    app.set_version_flag("--version", "smartlog " SMARTLOG_VERSION);

    // One set of connection flags per subcommand: CLI11 reads the environment into the options of
    // every subcommand, used or not, so shared storage would let a later subcommand's
    // environment value overwrite the flag given to the one that runs.
    Common tail_common, send_common, history_common, metrics_common, clear_common, status_common;
    TailFlags tail;
    SendFlags send;
    HistoryFlags history;
    bool metrics_watch = false, metrics_json = false, status_json = false;

    auto* tail_cmd = app.add_subcommand(
        "tail", "Print the last entries, then new entries as they arrive, until Ctrl-C");
    add_common(*tail_cmd, tail_common);
    add_filter(*tail_cmd, tail.filter);
    tail_cmd->add_option("-n,--lines", tail.lines, "How many past entries to print first")
        ->capture_default_str();
    tail_cmd->add_flag("--json", tail.json, "One JSON entry per line");
    tail_cmd->add_option("--color", tail.colour, "auto (when stdout is a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();

    auto* send_cmd = app.add_subcommand("send",
                                        "Send MESSAGE as one entry, or each line of stdin as an "
                                        "entry; waits until the server has them all");
    add_common(*send_cmd, send_common);
    send_cmd->add_option("-l,--level", send.level, "Level of the entries")->capture_default_str();
    send_cmd->add_option("-m,--meta", send.meta, "Metadata field KEY=VALUE (repeatable)")
        ->allow_extra_args(false);
    send_cmd->add_option("message", send.words, "The message (none: read stdin)");

    auto* history_cmd =
        app.add_subcommand("history", "Print the entries the server keeps, oldest first");
    add_common(*history_cmd, history_common);
    add_filter(*history_cmd, history.filter);
    history_cmd->add_option("-n,--limit", history.limit, "At most this many (the newest)")
        ->capture_default_str();
    history_cmd->add_option("--after", history.after, "Only entries after this entry id");
    history_cmd->add_flag("--json", history.json, "One JSON entry per line");
    history_cmd->add_option("--color", history.colour, "auto, always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();

    auto* metrics_cmd = app.add_subcommand("metrics", "Print the server's metrics for the app");
    add_common(*metrics_cmd, metrics_common);
    metrics_cmd->add_flag("-w,--watch", metrics_watch,
                          "Keep printing them as the server sends them");
    metrics_cmd->add_flag("--json", metrics_json, "The metrics as JSON, one object per line");

    auto* clear_cmd = app.add_subcommand("clear", "Delete the app's history on the server");
    add_common(*clear_cmd, clear_common);

    auto* status_cmd = app.add_subcommand(
        "status",
        "Check the credentials: user and app exist, access, app active (exit 0 only if all are)");
    add_common(*status_cmd, status_common);
    status_cmd->add_flag("--json", status_json, "As one JSON object");

    for (auto* cmd : {tail_cmd, send_cmd, history_cmd, metrics_cmd, clear_cmd, status_cmd}) {
        cmd->footer(kExitCodes);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kOk : kUsage;
    }

    if (*tail_cmd) return run_tail(tail_common, tail);
    if (*send_cmd) return run_send(send_common, send);
    if (*history_cmd) return run_history(history_common, history);
    if (*metrics_cmd) return run_metrics(metrics_common, metrics_watch, metrics_json);
    if (*clear_cmd) return run_clear(clear_common);
    if (*status_cmd) return run_status(status_common, status_json);
    return kUsage;
}
