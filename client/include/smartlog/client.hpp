// smartlog/client.hpp: the smartlog C++ client library (installed API).
//
// One Client is one WebSocket connection to smartlogd, kept alive by the library: it connects,
// authenticates, reconnects with exponential backoff and jitter, re-authenticates, re-applies
// the filter and resumes the live stream from the last entry it delivered. A producer's entries
// are batched, kept until the server acknowledges them, and resent after a reconnect.
//
// Threads: the Client runs its own network thread. Every public member function may be called
// from any thread and returns without waiting on the network, except the ones whose name
// starts with `wait_` (and the destructor, which flushes). Callbacks run on the network thread,
// one at a time; they may call any member function except `wait_*` and must not destroy the
// Client. Set callbacks before start().
// Delivery guarantees: docs/client.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog {

// One log entry as the server delivers it (the seed's LogEntry).
struct LogEntry {
    std::string id;              // UUIDv7 assigned by the server; later entries compare greater
    std::int64_t timestamp = 0;  // ms since the Unix epoch
    std::string level;           // lower-case: trace debug info warn error fatal, or custom
    std::string message;
    std::string metadata;  // JSON text as the producer sent it; empty when none
    std::string app_id;
    std::string user_id;
    // The message is ciphertext (the original NehonixSmartLogger library's encryption mode);
    // its keys, if the producer sent them, are in `json` under "encryption".
    bool encrypted = false;
    std::string json;  // the whole entry as the server's JSON object text
};

// Which entries a viewer receives (docs/protocol.md "Filters"). Applies to live entries and
// history.
struct Filter {
    std::vector<std::string> levels;         // empty: every level
    std::optional<std::int64_t> start_time;  // inclusive, ms since the epoch
    std::optional<std::int64_t> end_time;    // inclusive, ms since the epoch
    std::string search;                      // case-insensitive substring of the message
};

enum class Mode { viewer, producer };

enum class ConnectionState {
    disconnected,  // not connected; a reconnect is scheduled unless the client is stopped
    connecting,    // resolving, connecting, WebSocket handshake
    connected,     // socket open, not authenticated (only with authenticate = false)
    ready,         // authenticated: messages flow
    auth_failed,   // the server refused the credentials; the client does not retry
    stopped,       // close() or destruction
};
std::string_view to_string(ConnectionState s) noexcept;

// What happens to log() when the producer's queue is full.
enum class OverflowPolicy {
    drop_newest,  // log() returns false at once and counts the entry in dropped() (default)
    block,        // log() waits for room, up to ClientOptions::block_timeout (opt-in: it blocks)
};

struct ClientOptions {
    std::string url = "ws://127.0.0.1:3001/";  // ws://HOST[:PORT][/PATH] or wss://...
    std::string user_id;
    std::string app_id;
    std::optional<std::string> token;
    Mode mode = Mode::viewer;
    // false: connect but never send `auth` (for check_status before credentials are known good).
    bool authenticate = true;

    // Reconnection: the n-th consecutive failure waits min(initial * 2^n, max), then a random
    // part of `jitter` (0..1) of it is taken off, so many clients do not come back in step.
    bool reconnect = true;
    std::chrono::milliseconds reconnect_initial{250};
    std::chrono::milliseconds reconnect_max{10'000};
    double reconnect_jitter = 0.5;
    std::chrono::milliseconds connect_timeout{5'000};

    // Producer: a batch leaves when it holds batch_max_entries or batch_max_bytes of entries,
    // or batch_max_delay after its first entry.
    std::size_t batch_max_entries = 512;
    std::size_t batch_max_bytes = 256 * 1024;
    std::chrono::milliseconds batch_max_delay{50};
    // Entries not yet acknowledged (waiting, in flight, or to resend): the bound of the queue.
    std::size_t max_queued_entries = 100'000;
    OverflowPolicy overflow = OverflowPolicy::drop_newest;
    std::chrono::milliseconds block_timeout{std::chrono::milliseconds::max()};
    // Batches sent and not yet acknowledged at one time.
    std::size_t max_in_flight_batches = 16;
    // How long the destructor waits for the server to acknowledge what is queued.
    std::chrono::milliseconds close_timeout{5'000};

    // Viewer: ask for history once authenticated the first time (nullopt: live only). The answer
    // goes to on_history; live entries follow it with no gap and no duplicate.
    std::optional<std::size_t> initial_history;
    // Viewer: after a reconnect (or a `dropped` notice) fetch what was missed since the last
    // delivered entry and deliver it through on_logs, before live entries resume.
    bool resume = true;

    // wss:// only: verify the server's certificate against the system store (or ca_file).
    bool tls_verify = true;
    std::string tls_ca_file;
};

struct ServerError {
    std::string code;     // docs/protocol.md error code ("forbidden", ...) or auth_error code
    std::string message;  // the server's text
};

struct HistoryInfo {
    bool gap = false;  // entries were lost between afterId and the first entry returned
    // The answer continues: a large answer arrives in several calls, the last with more = false.
    bool more = false;
};

struct Cleared {
    std::string app_id;
    std::string cleared_by;
    std::int64_t timestamp = 0;
    std::uint64_t count = 0;
};

// Entries that will not be delivered, and why.
struct Dropped {
    enum class Kind {
        local_queue,  // producer: log() found the queue full; `count` entries were not queued
        server_live,  // viewer: the server skipped `count` live entries (resume is off)
        resume_gap,   // viewer: resuming found that entries after `after_id` were evicted
    };
    Kind kind = Kind::local_queue;
    std::uint64_t count = 0;  // 0 when unknown (resume_gap)
    std::string after_id;
};

struct Status {
    bool success = false;  // credentials valid
    std::string message;
    bool user_exists = false;
    bool app_exists = false;
    bool user_has_access = false;
    bool app_is_active = false;
};

struct ClientStats {
    std::uint64_t queued = 0;    // entries waiting, in flight or to resend
    std::uint64_t sent = 0;      // entries written to a socket (resends counted again)
    std::uint64_t acked = 0;     // entries the server accepted
    std::uint64_t rejected = 0;  // entries the server (or the size check in log()) refused
    std::uint64_t dropped = 0;   // entries log() could not queue
    std::uint64_t resent = 0;    // entries sent again after a reconnect
    std::uint64_t reconnects = 0;
    std::uint64_t live_duplicates_skipped = 0;
};

// Metadata for one entry: a JSON object of string, number and boolean fields, or raw JSON.
class Metadata {
public:
    Metadata() = default;
    Metadata& add(std::string_view key, std::string_view value);
    Metadata& add(std::string_view key, const char* value) {
        return add(key, std::string_view(value));
    }
    Metadata& add(std::string_view key, std::int64_t value);
    Metadata& add(std::string_view key, int value) {
        return add(key, static_cast<std::int64_t>(value));
    }
    Metadata& add(std::string_view key, double value);
    Metadata& add(std::string_view key, bool value);
    // Any JSON value as text, sent as is. REQUIRES: `json` is valid JSON.
    static Metadata raw(std::string json);
    bool empty() const noexcept { return json_.empty() && fields_.empty(); }
    // The metadata as JSON text; empty when there is none.
    std::string json() const;

private:
    std::string json_;    // set by raw()
    std::string fields_;  // `"k":v,"k2":v2` built by add()
};

class Client {
public:
    using LogsHandler = std::function<void(const std::vector<LogEntry>&)>;
    using HistoryHandler = std::function<void(const std::vector<LogEntry>&, const HistoryInfo&)>;
    using MetricsHandler = std::function<void(const std::string& metrics_json)>;
    using ClearedHandler = std::function<void(const Cleared&)>;
    using ErrorHandler = std::function<void(const ServerError&)>;
    using DroppedHandler = std::function<void(const Dropped&)>;
    // `detail` says why (the socket error, the auth_error message); empty when nothing to say.
    using StateHandler = std::function<void(ConnectionState, const std::string& detail)>;
    using StatusHandler = std::function<void(const Status&)>;

    // REQUIRES: options.url parses; user_id and app_id non-empty when authenticate is true.
    // Throws std::invalid_argument otherwise. Does not connect until start().
    explicit Client(ClientOptions options);
    // Flushes what is queued, waits up to close_timeout for its acknowledgement, then closes.
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void on_logs(LogsHandler h);        // live entries, and what a resume fetched
    void on_history(HistoryHandler h);  // answers to request_history and initial_history
    void on_metrics(MetricsHandler h);
    void on_cleared(ClearedHandler h);
    void on_error(ErrorHandler h);  // `error` frames, and entries a logs_ack rejected
    void on_dropped(DroppedHandler h);
    void on_state(StateHandler h);

    // Starts the network thread and the first connection attempt.
    void start();
    // Sends what is queued, closes the connection and stops the network thread. Entries not yet
    // acknowledged are abandoned (call wait_acknowledged first to avoid that). Idempotent.
    void close();

    // ---- producer ----
    // Queues one entry, timestamped now. Returns false when it was not queued: the queue is
    // full (drop_newest; counted in stats().dropped and reported through on_dropped) or the
    // entry alone is larger than batch_max_bytes (counted in stats().rejected).
    bool log(std::string_view level, std::string_view message, const Metadata& metadata = {});
    bool log(std::string_view level, std::string_view message, const Metadata& metadata,
             std::chrono::system_clock::time_point when);
    // Sends the waiting entries now rather than at the next size or time bound.
    void flush();
    // Sends what waits, then blocks until the queue is empty (entries other threads log
    // meanwhile included), the client stops or fails to authenticate, or `timeout` passes.
    // True when nothing is left unacknowledged. REQUIRES: not called from a callback.
    bool wait_acknowledged(std::chrono::milliseconds timeout);

    // ---- viewer ----
    // Replaces the filter; it is re-applied after every reconnect.
    void set_filter(Filter filter);
    // Asks for history (docs/protocol.md); the answer goes to on_history. Queued while
    // disconnected.
    void request_history(std::optional<std::size_t> limit = std::nullopt,
                         std::string after_id = {});
    void request_metrics();
    void clear();
    // Asks whether the configured credentials are valid (check_status); needs no auth.
    void check_status(StatusHandler h);
    // The id of the newest entry delivered through on_logs (or initial_history's on_history).
    std::string last_seen_id() const;

    // ---- state ----
    ConnectionState state() const;
    // Why the last connection attempt failed or the connection dropped; empty if none did.
    std::string last_error() const;
    // Blocks until the state is ready, auth_failed or stopped, or `timeout` passes.
    ConnectionState wait_ready(std::chrono::milliseconds timeout);
    ClientStats stats() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// The entry as one line of JSON (the server's LogEntry object).
std::string to_json(const LogEntry& entry);

}  // namespace smartlog
