// server/hub.hpp: the apps this server knows and their live data: per-app history ring,
// pending batch, members and rates; ingest, batching and fan-out (SPEC 3.3).
// Net thread only (docs/threading.md): no locks. offer-style calls only enqueue on sessions.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/batcher.hpp"
#include "core/clock.hpp"
#include "core/id_generator.hpp"
#include "core/rate_meter.hpp"
#include "core/ring_history.hpp"
#include "core/token_bucket.hpp"
#include "protocol/messages.hpp"
#include "server/config.hpp"
#include "server/net.hpp"
#include "server/outbound_queue.hpp"
#include "storage/store.hpp"

namespace smartlog::server {

class WsSession;

// One app's live state.
struct AppChannel {
    AppChannel(net::io_context& ioc, std::string app_id, const Settings& settings);

    std::string id;
    core::RingHistory history;
    core::Batcher batcher;
    net::steady_timer flush_timer;
    bool flush_timer_armed = false;
    std::vector<WsSession*> members;  // authenticated connections, viewers and producers
    core::RateMeter rate;
    std::uint64_t ingested = 0;   // entries accepted since start
    std::uint64_t rejected = 0;   // entries refused since start
    std::uint64_t delivered = 0;  // entries queued to viewers since start
    core::TokenBucket ingest_budget;   // app_rate_limit (server/ingest_limit.hpp)
    std::uint64_t rate_limited = 0;    // entries refused by a rate limit since start
};

class Hub {
public:
    Hub(net::io_context& ioc, const Settings& settings, storage::Store& store, core::Clock& clock);
    ~Hub();

    // The channel of `app_id`, created on first use.
    AppChannel& channel(const std::string& app_id);
    AppChannel* find(const std::string& app_id);

    void join(AppChannel& app, WsSession& session);
    void leave(AppChannel& app, WsSession& session);

    // True while storage is behind: callers must not ingest now (docs/security.md,
    // "Backpressure"): WebSocket sessions hold the message and stop reading, HTTP answers 429.
    bool ingest_throttled() const { return store_.backlogged(); }
    // Runs `resume` on the net thread once storage has caught up (ingest_throttled() is false).
    // The time during which someone waits is counted in throttled_seconds().
    void when_ingest_ready(std::function<void()> resume);
    double throttled_seconds() const;
    // HTTP ingest requests answered 429 because storage was behind.
    std::uint64_t throttled_requests = 0;

    // Assigns ids and owners, keeps the entries in history and in the pending batch, and hands
    // them to the store. `done` runs on the net thread once they are as durable as the
    // durability setting promises (sync: committed; otherwise at once), with the store's error
    // in sync mode (otherwise none). REQUIRES: !ingest_throttled(): admission is the caller's.
    void ingest(AppChannel& app, const std::string& user_id,
                std::vector<protocol::IncomingEntry> entries,
                std::function<void(std::error_code)> done);

    // Sends the pending batch of `app` to its viewers now.
    void flush(AppChannel& app);
    void flush_all();
    // At shutdown: sends every pending batch and cancels the flush timers.
    void stop();

    // Sends the pending batch, empties history (memory and store), then tells every viewer.
    // Returns how many entries were forgotten.
    std::size_t clear(AppChannel& app, const std::string& cleared_by, WsSession& requester);
    // The same without a requesting connection (HTTP); `done` runs on the net thread once the
    // store has forgotten them too.
    std::size_t clear(AppChannel& app, const std::string& cleared_by,
                      std::function<void(std::error_code)> done);

    // Offers shared live data (metrics, app_metrics) to every member that receives live data.
    void broadcast_live(AppChannel& app, const SharedFrame& frame);
    // Offers a notice (`cleared`) to every member that receives live data.
    void broadcast_notice(AppChannel& app, const SharedFrame& frame);

    // Loads what the store kept, oldest first, into the histories. Start-up only.
    std::size_t restore(std::size_t per_app);

    const std::map<std::string, std::unique_ptr<AppChannel>>& channels() const { return channels_; }
    core::Clock& clock() { return clock_; }
    storage::Store& store() { return store_; }

private:
    void arm_flush_timer(AppChannel& app);
    void poll_ingest_ready();
    std::size_t clear_app(AppChannel& app, const std::string& cleared_by, WsSession* requester,
                          std::function<void(std::error_code)> done);

    net::io_context& ioc_;
    const Settings& settings_;
    storage::Store& store_;
    core::Clock& clock_;
    core::IdGenerator ids_;
    std::map<std::string, std::unique_ptr<AppChannel>> channels_;
    std::vector<WsSession*> members_scratch_;  // flush()'s snapshot of an app's members

    // Backpressure: who waits for storage, since when, and the poll that wakes them.
    std::vector<std::function<void()>> ingest_waiters_;
    net::steady_timer ingest_poll_;
    bool ingest_poll_armed_ = false;
    std::chrono::steady_clock::time_point throttled_since_;
    std::chrono::steady_clock::duration throttled_total_{};
};

}  // namespace smartlog::server
