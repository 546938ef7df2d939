// cluster/bus.hpp: what the server knows of cluster mode (docs/cluster.md): a bus that appends
// an app's entries for every node, clears an app everywhere, and feeds this node's per-app
// windows in one order. The server sees only this interface; app/ picks the implementation
// (cluster/redis_bus.hpp). Net thread only: every call and every callback is on the thread
// that runs the server's io_context.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "protocol/messages.hpp"

namespace smartlog::cluster {

// A producer's batch as it named it (the WebSocket `ref`, docs/protocol.md), so that a batch
// sent again after a lost acknowledgement is appended once: the same ref, user and entries.
struct RetryKey {
    std::string ref;           // the ref as JSON text (decode_frame); REQUIRES: not empty
    std::uint64_t digest = 0;  // retry_digest() of the entries as the producer sent them
};

// A digest of `entries` as the producer sent them: before the receive time is set, which a
// retry on another node would not share. Batches that differ in any field of any entry get
// different digests (but for a chance of 2^-64).
inline std::uint64_t retry_digest(const std::vector<protocol::IncomingEntry>& entries) noexcept {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits
    const auto mix_number = [&h](std::uint64_t n) {
        for (int i = 0; i < 8; ++i, n >>= 8) {
            h ^= n & 0xff;
            h *= 1099511628211ull;
        }
    };
    const auto mix = [&](std::string_view s) {
        mix_number(s.size());  // the length first, so that ("ab", "c") and ("a", "bc") differ
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
    };
    for (const auto& e : entries) {
        mix_number(e.index);
        mix_number(e.timestamp ? 1 : 0);
        mix_number(static_cast<std::uint64_t>(e.timestamp.value_or(0)));
        mix_number(e.encrypted ? 1 : 0);
        mix(e.level);
        mix(e.message);
        mix(e.metadata);
        mix(e.encryption);
    }
    return h;
}

// Entries of one app as the bus delivers them: in the app's order, each once, with their ids
// made by the bus (core/cluster_id.hpp) and their timestamps set.
struct BusEntries {
    std::string user_id;
    std::vector<std::string> ids;                   // one per entry
    std::vector<protocol::IncomingEntry> entries;   // ids.size() of them
};

// The hub, as the bus sees it. Called on the net thread, never from inside a Bus call.
class BusListener {
public:
    // Entries of `app`, next in its order, to keep and store. `live`: new entries, to fan out;
    // otherwise the window's first fill from what Redis keeps, or what this node missed while
    // it was down (history and storage only).
    virtual void on_bus_entries(const std::string& app, BusEntries entries, bool live) = 0;
    // A producer of `app` sent metrics (send_metrics), on this node or another: for its viewers.
    virtual void on_bus_app_metrics(const std::string& app, const std::string& user_id,
                                    std::string_view metrics, std::int64_t timestamp) = 0;
    // `app` was cleared, on this node or another: empty its window and tell its viewers.
    virtual void on_bus_cleared(const std::string& app, const std::string& cleared_by,
                                std::int64_t time_ms, std::uint64_t count) = 0;
    // The window of `app` no longer follows Redis (a new epoch this node did not see begin: Redis
    // lost data, or a clear's message was missed): empty it and tell its viewers (`cleared`,
    // by no user); what Redis keeps follows as live entries.
    virtual void on_bus_reset(const std::string& app) = 0;
    // Entries of `app` between this node's stored window and what Redis keeps were trimmed from
    // Redis while this node was down: empty the window (keeping the stored rows), so that a
    // resume from before the missing entries answers `gap`; Redis's window follows.
    virtual void on_bus_window_lost(const std::string& app) = 0;
    // `count` entries of `app` after `after_id` (empty: none delivered yet) were trimmed from
    // Redis before this node could read them: tell its viewers (`dropped`). The entries that
    // follow come next, through on_bus_entries.
    virtual void on_bus_dropped(const std::string& app, std::uint64_t count,
                                const std::string& after_id) = 0;
    // The window of `app` is in step with Redis (first fill done, or a hole repaired).
    virtual void on_bus_ready(const std::string& app) = 0;

protected:
    ~BusListener() = default;
};

class Bus {
public:
    virtual ~Bus() = default;

    // Where deliveries go. REQUIRES: set before open(); outlives the bus's use.
    virtual void set_listener(BusListener* listener) = 0;
    // Starts following `app`: its window is filled from Redis, then kept fed (on_bus_*).
    // `newest_kept_id`: the newest entry this node restored from its own storage, if any; the
    // fill then brings only what came after it, when Redis still holds all of that in the same
    // epoch (else on_bus_window_lost or on_bus_reset first).
    virtual void open(const std::string& app, std::string_view newest_kept_id = {}) = 0;
    // Stops following `app`; nothing more is delivered for it.
    virtual void close(const std::string& app) = 0;
    // True once the window of `app` was filled and no read of it (a repair) is in flight.
    virtual bool ready(const std::string& app) const = 0;
    // True when `id` is of the epoch this node follows for `app` but at an offset it has not
    // received yet: an answer after it must wait for the bus.
    virtual bool ahead(const std::string& app, std::string_view id) const = 0;

    // Appends `entries` (timestamps set) for every node, one atomic step in Redis. `done` runs
    // once Redis has answered: no error means every node will deliver them, and `last_id` is
    // the id the last of them has (its entry arrives through on_bus_entries). Errors:
    // core::errc::unavailable (Redis unreachable, too much waiting, or Redis refused).
    using Appended = std::function<void(std::error_code, std::string last_id)>;
    virtual void append(const std::string& app, const std::string& user_id,
                        std::vector<protocol::IncomingEntry> entries, Appended done) = 0;
    // append() for a batch the producer named: when Redis took a batch with the same key (ref
    // and digest) of the same user for `app` within about a minute, nothing is appended and
    // `done` answers as it did the first time (the same `last_id`).
    virtual void append_once(const std::string& app, const std::string& user_id, RetryKey key,
                             std::vector<protocol::IncomingEntry> entries, Appended done) = 0;
    // Clears `app` on every node (a new epoch); `count` is what the cleared notice says.
    virtual void clear(const std::string& app, const std::string& cleared_by, std::uint64_t count,
                       std::function<void(std::error_code)> done) = 0;

    // Sends a producer's metrics for `app` to every node, this one included
    // (on_bus_app_metrics). `done` runs once Redis has answered; on an error
    // (core::errc::unavailable) no node got them.
    virtual void publish_app_metrics(const std::string& app, const std::string& user_id,
                                     std::string_view metrics, std::int64_t timestamp,
                                     std::function<void(std::error_code)> done) = 0;
    // Counts this node's `connections` on `app` for the other nodes, for a few metrics intervals
    // (a node that stops publishing stops counting), and gives `done` the sum of the other
    // nodes' counts; nullopt when Redis did not answer.
    virtual void share_connections(const std::string& app, std::uint64_t connections,
                                   std::function<void(std::optional<std::uint64_t>)> done) = 0;

    // True while every Redis server answers and is followed: what /readyz reports.
    virtual bool available() const = 0;
    // Why not, for /readyz and the log; empty when available().
    virtual std::string unavailable_reason() const = 0;
    // Closes the connections; nothing is called back afterwards. At shutdown.
    virtual void stop() = 0;
};

}  // namespace smartlog::cluster
