// server/hub.hpp: the apps this server knows and their live data: per-app history ring,
// pending batch, members and rates; ingest, batching and fan-out (docs/protocol.md).
// Net thread only (docs/threading.md): no locks. The hub knows its members only as subscribers
// (server/subscriber.hpp) and its time only through the injected clock, so its rules are unit
// tested without sockets or waiting (tests/unit/server/hub_test.cpp).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <memory>
#include <string>
#include <vector>

#include "cluster/bus.hpp"
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
#include "server/subscriber.hpp"
#include "storage/store.hpp"

namespace smartlog::server {

struct ServerContext;

// One app's live state.
struct AppChannel {
    AppChannel(net::io_context& ioc, std::string app_id, const Settings& settings,
               std::chrono::steady_clock::time_point now);

    std::string id;
    core::RingHistory history;
    core::Batcher batcher;
    net::steady_timer flush_timer;
    bool flush_timer_armed = false;
    std::vector<Subscriber*> members;  // authenticated connections, viewers and producers
    // Some member takes live frames: without one (producers only), a live, metrics or
    // app_metrics frame would be built for nobody.
    bool watched() const noexcept;
    core::RateMeter rate;
    std::uint64_t ingested = 0;       // entries accepted since start
    std::uint64_t rejected = 0;       // entries refused since start
    std::uint64_t delivered = 0;      // entries queued to viewers since start
    core::TokenBucket ingest_budget;  // app_rate_limit (server/ingest_limit.hpp)
    std::uint64_t rate_limited = 0;   // entries refused by a rate limit since start
    // Cluster mode: members that asked for a clear and take no live data; they get the
    // `cleared` notice when the bus brings it.
    std::vector<Subscriber*> clear_requesters;
    // Cluster mode: connections on the app at the other nodes, as Redis last counted them
    // (Hub::share_connection_counts); activeConnections adds this node's members.
    std::uint64_t other_nodes_connections = 0;
    bool connections_shared = false;  // Redis counts some of this node's connections on it
    // Hub::restore_in_background: the history is not in yet. What needs it waits in
    // `after_load`, in order; `load_asked`: the app is queued to be read at once.
    bool loading = false;
    bool load_asked = false;
    std::vector<std::function<void()>> after_load;
};

// What Hub::restore_in_background tells once every history is in.
struct RestoreSummary {
    std::size_t entries = 0;     // loaded into the histories
    std::size_t apps = 0;        // that the store held
    std::size_t read_first = 0;  // of them read at once, because something needed them first
};

// The cap on apps `ctx`'s server may create on first use: max_apps in open mode; none when
// users are configured, whose apps the configuration names.
std::size_t app_cap(const ServerContext& ctx) noexcept;
// What a client is told when app_cap() refuses a new app.
std::string too_many_apps_message(const ServerContext& ctx);

class Hub final : private cluster::BusListener {
public:
    Hub(net::io_context& ioc, const Settings& settings, storage::Store& store, core::Clock& clock);
    ~Hub();

    // The channel of `app_id`, created on first use.
    AppChannel& channel(const std::string& app_id);
    // The same, unless creating it would make more than `max_apps` channels (0: no cap) and
    // no idle one can be freed to make room: then nullptr (docs/security.md, "Apps").
    AppChannel* open_channel(const std::string& app_id, std::size_t max_apps);
    // True when freeing `app` loses nothing anyone can see: no member, nothing pending, no
    // flush timer armed, its history loaded and without entries (what the store kept of an app
    // whose history is empty, clear() removed too).
    static bool idle(const AppChannel& app) noexcept;
    // Frees every idle channel; returns how many. Not from inside a use of a channel.
    std::size_t release_idle();
    AppChannel* find(const std::string& app_id);

    void join(AppChannel& app, Subscriber& member);
    void leave(AppChannel& app, Subscriber& member);

    // True while storage is behind; for an app whose history is still loading
    // (restore_in_background), also while the ingests waiting for their apps' histories hold
    // as many entries as the store's queue may (an app already loaded is not held for them).
    // Callers must not ingest into `app` now (docs/security.md, "Backpressure"): WebSocket
    // sessions hold the message and stop reading, HTTP answers 429.
    bool ingest_throttled(const AppChannel& app) const {
        return store_.backlogged() ||
               (app.loading && waiting_entries_ >= settings_.storage_queue_entries);
    }
    // Runs `resume` on the net thread once storage has caught up (and at least every few
    // milliseconds while an app is loading): `resume` asks ingest_throttled() again. The time
    // during which someone waits is counted in throttled_seconds().
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

    // ingest() for a producer's message named `ref` (WebSocket `logs`, as JSON text; empty:
    // none). In cluster mode a batch sent again after its acknowledgement was lost (the same
    // ref, user and entries, within about a minute, on any node) is acknowledged as the first
    // time without being appended again (docs/cluster.md). Otherwise as ingest().
    void ingest_once(AppChannel& app, const std::string& user_id, const std::string& ref,
                     std::vector<protocol::IncomingEntry> entries,
                     std::function<void(std::error_code)> done);

    // A producer's metrics (send_metrics) for the viewers of `app`: on every node in cluster
    // mode (over the bus; this node's alone when Redis cannot take them), here otherwise.
    void send_app_metrics(AppChannel& app, const std::string& user_id, const std::string& metrics,
                          std::int64_t timestamp);
    // Cluster mode: publishes each app's connection count on this node and learns the other
    // nodes' (AppChannel::other_nodes_connections) for the next metrics. Every metrics
    // interval. Nothing on a single node.
    void share_connection_counts();

    // Sends the pending batch of `app` to its viewers now.
    void flush(AppChannel& app);
    void flush_all();
    // At shutdown: sends every pending batch and cancels the flush timers.
    void stop();

    // Sends the pending batch, empties history (memory and store), then tells every viewer.
    // Returns how many entries were forgotten (0 while the app's history is loading: the clear
    // then waits for it).
    // `requester` gets the `cleared` notice even when it takes no live data. In cluster mode
    // the history empties when the bus brings the clear back; `failed` runs (net thread) if
    // Redis did not take it (core::errc::unavailable): then nothing was cleared.
    std::size_t clear(AppChannel& app, const std::string& cleared_by, Subscriber& requester,
                      std::function<void(std::error_code)> failed = {});
    // The same without a requesting connection (HTTP); `done` runs on the net thread once the
    // store has forgotten them too, with how many entries were forgotten.
    void clear(AppChannel& app, const std::string& cleared_by,
               std::function<void(std::error_code, std::size_t cleared)> done);

    // The one fan-out: offers `frame` to every member of `app` that receives live data, as a
    // live batch carrying `batch` when it is not empty (each member filters it), otherwise as
    // a frame of `kind` (shared live data: metrics, app_metrics; or a notice: `cleared`).
    // Returns how many entries of `batch` were queued in all.
    std::size_t fan_out(AppChannel& app, const SharedFrame& frame, FrameKind kind,
                        std::span<const core::EntryPtr> batch = {});

    // Cluster mode (docs/cluster.md): from now on entries are appended through `bus`, and each
    // app's history and live batches are fed from it only. Null: a single node. Start-up only,
    // before any channel exists. REQUIRES: `bus` outlives the hub's use.
    void set_bus(cluster::Bus* bus);
    cluster::Bus* bus() const noexcept { return bus_; }
    // True when a history answer for `app` (after `after_id` when given) can be given now: on a
    // single node once the app's history is loaded (restore_in_background); in cluster mode
    // once the app's history is in step with the bus and holds `after_id` if that id is of the
    // current epoch.
    bool history_ready(const AppChannel& app, const std::optional<std::string>& after_id) const;
    // Runs `resume` on the net thread once history_ready() holds; in cluster mode after a few
    // seconds at the latest (the answer is then what this node has).
    void when_history_ready(AppChannel& app, std::optional<std::string> after_id,
                            std::function<void()> resume);

    // Cluster mode: loads what the store kept, oldest first, into the histories; the bus then
    // brings each app what this node missed while it was down. Start-up only, after set_bus().
    std::size_t restore(std::size_t per_app);
    // A single node: the same while the server serves (docs/performance.md, "Restart"): makes
    // a channel for every app the store holds, its history loading, asks the store for them
    // (Store::load_recent_async) and returns. Until an app's history is in, what needs it
    // waits for that app alone: ingest, clear and history answers (history_ready() is false);
    // such an app is read at once with one query, at most two at a time. `finished` runs on
    // the net thread once every history is in. Start-up only, before the loop runs.
    void restore_in_background(std::size_t per_app,
                               std::function<void(const RestoreSummary&)> finished);

    const std::map<std::string, std::unique_ptr<AppChannel>>& channels() const { return channels_; }
    core::Clock& clock() { return clock_; }
    storage::Store& store() { return store_; }

private:
    // cluster::BusListener: the bus feeds the histories and live batches (cluster mode).
    void on_bus_entries(const std::string& app, cluster::BusEntries entries, bool live) override;
    void on_bus_app_metrics(const std::string& app, const std::string& user_id,
                            std::string_view metrics, std::int64_t timestamp) override;
    void on_bus_cleared(const std::string& app, const std::string& cleared_by, std::int64_t time_ms,
                        std::uint64_t count) override;
    void on_bus_reset(const std::string& app) override;
    void on_bus_window_lost(const std::string& app) override;
    void on_bus_dropped(const std::string& app, std::uint64_t count,
                        const std::string& after_id) override;
    void on_bus_ready(const std::string& app) override;
    // What restore() read last for `app_id` (cluster mode, during restore only); else empty.
    std::string_view restored_newest_id(const std::string& app_id) const;
    // restore_in_background: runs `use` once the history of `app` is loaded (at once if it
    // is), asking for that app first.
    void when_loaded(AppChannel& app, std::function<void()> use);
    void start_early_loads();
    // The history of `app` from `entries` (oldest first), unless it is loaded already; then
    // what waited for it.
    void finish_load(AppChannel& app, std::vector<core::EntryPtr> entries);
    void on_histories_loaded(std::error_code ec, storage::Store::Histories histories);
    // If every history is in, says so (restore_finished_), once.
    void report_restore_if_done();
    // What runs when Redis answers an append: `done`, and with `sync` once this node has
    // committed the entries too.
    cluster::Bus::Appended after_append(AppChannel& app, std::function<void(std::error_code)> done);
    void run_history_waiters(bool expire);
    // Acknowledges the commit waiters whose entries are committed (and, with `expire`, fails
    // those past their deadline as unavailable).
    void run_commit_waiters(bool expire);
    void fail_commit_waiters(const std::string& app_id, std::error_code ec);
    void arm_history_wait_timer();
    // Empties the history of `app` (memory and store) and tells its viewers, and `requester`.
    std::size_t forget(AppChannel& app, const std::string& cleared_by, std::int64_t time_ms,
                       std::size_t count, Subscriber* requester,
                       std::function<void(std::error_code)> done);

    // Into the app's live batch, which leaves first if `entry` does not fit and then if full.
    void batch_live(AppChannel& app, core::EntryPtr entry,
                    std::chrono::steady_clock::time_point now);
    void arm_flush_timer(AppChannel& app);
    void poll_ingest_ready();
    // Frees the channel of `app_id` if it is idle then; posted, so that no caller still holds it.
    void release_later(const std::string& app_id);
    std::size_t clear_app(AppChannel& app, const std::string& cleared_by, Subscriber* requester,
                          std::function<void(std::error_code)> done);

    net::io_context& ioc_;
    const Settings& settings_;
    storage::Store& store_;
    core::Clock& clock_;
    core::IdGenerator ids_;
    std::map<std::string, std::unique_ptr<AppChannel>> channels_;
    // During restore() in cluster mode: the newest restored id of each app, for bus_->open().
    std::map<std::string, std::string> restored_newest_;
    // restore_in_background: apps asked for before the store's read reached them, how many of
    // their queries run, whether that read is in, and what the waiting ingests hold.
    std::size_t restore_per_app_ = 0;
    std::deque<std::string> early_loads_;
    std::size_t early_loads_running_ = 0;
    bool histories_read_ = false;
    std::size_t loading_apps_ = 0;
    RestoreSummary restored_;
    std::uint64_t waiting_entries_ = 0;
    std::function<void(const RestoreSummary&)> restore_finished_;
    // The store's threads post through this, held by their callbacks, not through the hub,
    // which may be gone by the time they run: the destructor cuts it.
    struct PostRelay {
        std::mutex mu;
        net::io_context* ioc = nullptr;
        // Runs `fn` on the net thread unless the hub is gone.
        void post(std::function<void()> fn);
    };
    std::shared_ptr<PostRelay> relay_;
    std::vector<Subscriber*> members_scratch_;  // fan_out()'s snapshot of an app's members

    // Backpressure: who waits for storage, since when, and the poll that wakes them.
    std::vector<std::function<void()>> ingest_waiters_;
    net::steady_timer ingest_poll_;
    bool ingest_poll_armed_ = false;
    std::chrono::steady_clock::time_point throttled_since_;
    std::chrono::steady_clock::duration throttled_total_{};

    // Cluster mode: the bus, and history requests waiting for their app to be in step.
    cluster::Bus* bus_ = nullptr;
    struct HistoryWaiter {
        std::string app_id;
        std::optional<std::string> after_id;
        std::chrono::steady_clock::time_point deadline;
        std::function<void()> resume;
    };
    std::vector<HistoryWaiter> history_waiters_;
    // Cluster mode with `sync`: acknowledgements waiting for this node's commit of the entries
    // up to `last_id`, and the newest id committed per app.
    struct CommitWaiter {
        std::string app_id;
        std::string last_id;
        std::chrono::steady_clock::time_point deadline;
        std::function<void(std::error_code)> done;
    };
    std::vector<CommitWaiter> commit_waiters_;
    std::map<std::string, std::string> committed_;
    net::steady_timer history_wait_timer_;
    bool history_wait_armed_ = false;
};

}  // namespace smartlog::server
