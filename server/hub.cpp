#include "server/hub.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/level.hpp"
#include "core/entry.hpp"
#include "protocol/encode.hpp"
#include "protocol/entry_recycling.hpp"
#include "server/ingest_limit.hpp"
#include "server/server_context.hpp"

namespace smartlog::server {

namespace {

// How long a history request waits for its app to be in step with the bus (cluster mode).
constexpr std::chrono::seconds kHistoryWaitLimit{3};
// Cluster mode with `sync`: how long an acknowledgement waits for this node's own commit once
// Redis has the entries (as long as a Redis reply may take).
constexpr std::chrono::seconds kCommitWaitLimit{5};

// A live batch's frame goes out in one write: Asio hands the stream at most 65,536 bytes per
// write (asio::detail::default_max_transfer_size), and a WebSocket frame of up to 65,535 bytes
// has a 4-byte header. Larger frames (256 entries of 290 bytes) took two sendmsg per viewer.
constexpr std::size_t kLiveBatchBytes = 65536 - 4 - protocol::kLogsFrameWrapping;

}  // namespace

AppChannel::AppChannel(net::io_context& ioc, std::string app_id, const Settings& settings,
                       std::chrono::steady_clock::time_point now)
    : id(std::move(app_id)),
      history(settings.history_limit, settings.history_max_bytes),
      batcher(settings.batch_max_entries, settings.batch_max_delay, kLiveBatchBytes),
      flush_timer(ioc),
      ingest_budget(app_ingest_budget(settings, now)) {}

bool AppChannel::watched() const noexcept {
    return std::any_of(members.begin(), members.end(),
                       [](const Subscriber* m) { return m->receives_live(); });
}

std::size_t app_cap(const ServerContext& ctx) noexcept {
    return ctx.access.open_mode() ? ctx.settings.max_apps : 0;
}

std::string too_many_apps_message(const ServerContext& ctx) {
    return fmt::format(
        "this server already holds {} apps (max_apps) and none is idle: no new app can be created",
        ctx.settings.max_apps);
}

Hub::Hub(net::io_context& ioc, const Settings& settings, storage::Store& store, core::Clock& clock)
    : ioc_(ioc),
      settings_(settings),
      store_(store),
      clock_(clock),
      relay_(std::make_shared<PostRelay>()),
      ingest_poll_(ioc),
      history_wait_timer_(ioc) {
    relay_->ioc = &ioc_;
}

Hub::~Hub() {
    std::lock_guard lock(relay_->mu);
    relay_->ioc = nullptr;
}

void Hub::PostRelay::post(std::function<void()> fn) {
    std::lock_guard lock(mu);
    if (ioc) net::post(*ioc, std::move(fn));
}

AppChannel& Hub::channel(const std::string& app_id) {
    auto& slot = channels_[app_id];
    if (!slot) {
        slot = std::make_unique<AppChannel>(ioc_, app_id, settings_, clock_.steady_now());
        // Cluster mode: the app's history is filled from Redis, then fed from the bus.
        if (bus_) bus_->open(app_id, restored_newest_id(app_id));
    }
    return *slot;
}

AppChannel* Hub::open_channel(const std::string& app_id, std::size_t max_apps) {
    if (max_apps && channels_.size() >= max_apps && !channels_.count(app_id) &&
        release_idle() == 0) {
        return nullptr;
    }
    return &channel(app_id);
}

bool Hub::idle(const AppChannel& app) noexcept {
    return app.members.empty() && app.batcher.empty() && !app.flush_timer_armed && !app.loading &&
           app.history.size() == 0;
}

std::size_t Hub::release_idle() {
    return std::erase_if(channels_, [this](const auto& kv) {
        if (!idle(*kv.second)) return false;
        if (bus_) bus_->close(kv.first);
        committed_.erase(kv.first);
        return true;
    });
}

void Hub::release_later(const std::string& app_id) {
    net::post(ioc_, [this, app_id] {
        auto it = channels_.find(app_id);
        if (it == channels_.end() || !idle(*it->second)) return;
        if (bus_) bus_->close(app_id);
        committed_.erase(app_id);
        channels_.erase(it);
    });
}

AppChannel* Hub::find(const std::string& app_id) {
    auto it = channels_.find(app_id);
    return it == channels_.end() ? nullptr : it->second.get();
}

void Hub::join(AppChannel& app, Subscriber& member) { app.members.push_back(&member); }

void Hub::leave(AppChannel& app, Subscriber& member) {
    std::erase(app.members, &member);
    std::erase(app.clear_requesters, &member);
    // An app nobody uses and that keeps nothing costs memory for nothing: open mode would
    // otherwise keep every app id a client ever named.
    if (idle(app)) release_later(app.id);
}

void Hub::when_ingest_ready(std::function<void()> resume) {
    if (ingest_waiters_.empty()) throttled_since_ = clock_.steady_now();
    ingest_waiters_.push_back(std::move(resume));
    poll_ingest_ready();
}

void Hub::poll_ingest_ready() {
    if (ingest_poll_armed_) return;
    // The store's queue drains on its own thread and says nothing when it does: look again
    // shortly. Only while someone waits, so an idle server does not wake for this.
    ingest_poll_armed_ = true;
    ingest_poll_.expires_after(std::chrono::milliseconds(2));
    ingest_poll_.async_wait([this](boost::system::error_code ec) {
        ingest_poll_armed_ = false;
        if (ec || ingest_waiters_.empty()) return;
        // Still behind: wait on. An app's own wait for its history is its caller's to judge.
        if (store_.backlogged()) return poll_ingest_ready();
        throttled_total_ += clock_.steady_now() - throttled_since_;
        auto waiters = std::move(ingest_waiters_);
        ingest_waiters_.clear();
        // Each resumed message may fill the queue again; the rest then wait anew.
        for (auto& resume : waiters) resume();
    });
}

double Hub::throttled_seconds() const {
    auto total = throttled_total_;
    if (!ingest_waiters_.empty()) total += clock_.steady_now() - throttled_since_;
    return std::chrono::duration<double>(total).count();
}

void Hub::ingest(AppChannel& app, const std::string& user_id,
                 std::vector<protocol::IncomingEntry> entries,
                 std::function<void(std::error_code)> done) {
    if (app.loading && !entries.empty()) {
        // The restored entries come first (RingHistory::push wants growing ids).
        const std::size_t n = entries.size();
        waiting_entries_ += n;
        return when_loaded(app, [this, &app, user_id, n, entries = std::move(entries),
                                 done = std::move(done)]() mutable {
            waiting_entries_ -= n;
            ingest(app, user_id, std::move(entries), std::move(done));
        });
    }
    const std::int64_t now_ms = clock_.now_ms();
    if (bus_) {
        // Cluster mode: Redis orders the entries and gives them their ids; this node, like every
        // other, keeps and delivers them when the bus brings them back (on_bus_entries).
        for (auto& in : entries) in.timestamp = in.timestamp.value_or(now_ms);
        return bus_->append(app.id, user_id, std::move(entries),
                            after_append(app, std::move(done)));
    }
    const auto now = clock_.steady_now();
    std::vector<core::EntryPtr> stored;
    stored.reserve(entries.size());
    std::uint64_t errors = 0;
    for (auto& in : entries) {
        const core::IdGenerator::Text id = ids_.next_text(now_ms);
        core::EntryPtr entry = protocol::make_entry(in, std::string_view(id.data(), id.size()),
                                                    now_ms, app.id, user_id);
        if (core::is_error_level(entry->level())) ++errors;
        app.history.push(entry);
        stored.push_back(entry);
        batch_live(app, std::move(entry), now);
    }
    protocol::recycle_entries(std::move(entries));
    app.rate.record(stored.size(), errors);
    app.ingested += stored.size();
    if (!app.batcher.empty()) arm_flush_timer(app);

    if (settings_.durability == Durability::sync) {
        store_.append(std::move(stored), [this, done = std::move(done)](std::error_code ec) {
            net::post(ioc_, [done, ec] { done(ec); });
        });
    } else {
        store_.append(std::move(stored), [](std::error_code) {});
        done({});
    }
}

void Hub::batch_live(AppChannel& app, core::EntryPtr entry,
                     std::chrono::steady_clock::time_point now) {
    if (!app.batcher.fits(*entry)) flush(app);
    if (app.batcher.add(std::move(entry), now)) flush(app);
}

void Hub::arm_flush_timer(AppChannel& app) {
    if (app.flush_timer_armed) return;
    app.flush_timer_armed = true;
    // Relative to the injected clock: the timer waits in real time, the deadline is judged in
    // the clock's time (a test's manual clock decides when a batch is due).
    app.flush_timer.expires_after(app.batcher.deadline() - clock_.steady_now());
    app.flush_timer.async_wait([this, &app](boost::system::error_code ec) {
        app.flush_timer_armed = false;
        if (ec || app.batcher.empty()) return;
        // The batch that armed this timer may have left full; a newer one keeps its own deadline.
        if (app.batcher.due(clock_.steady_now())) {
            flush(app);
        } else {
            arm_flush_timer(app);
        }
    });
}

void Hub::flush(AppChannel& app) {
    if (app.batcher.empty()) return;
    std::vector<core::EntryPtr> batch = app.batcher.take();
    if (app.watched()) {
        const auto frame = std::make_shared<const std::string>(protocol::logs_frame(batch));
        app.delivered += fan_out(app, frame, FrameKind::live, batch);
    }
    app.batcher.recycle(std::move(batch));
}

std::size_t Hub::fan_out(AppChannel& app, const SharedFrame& frame, FrameKind kind,
                         std::span<const core::EntryPtr> batch) {
    // Snapshot: a member may leave while we deliver. Taken into a vector kept from the last
    // fan-out (swapped out, so that a nested use would only allocate its own), not a new one.
    std::vector<Subscriber*> members;
    members.swap(members_scratch_);
    members.assign(app.members.begin(), app.members.end());
    std::size_t queued = 0;
    for (Subscriber* member : members) {
        if (!member->receives_live()) continue;
        if (batch.empty()) {
            member->offer_frame(frame, kind);
        } else {
            queued += member->offer_batch(batch, frame);
        }
    }
    members.clear();
    members_scratch_.swap(members);
    return queued;
}

void Hub::flush_all() {
    for (auto& [id, app] : channels_) flush(*app);
}

void Hub::stop() {
    flush_all();
    for (auto& [id, app] : channels_) app->flush_timer.cancel();
    history_wait_timer_.cancel();
    // Its connections would keep the loop running; nothing more goes to Redis after this.
    if (bus_) bus_->stop();
}

std::size_t Hub::clear(AppChannel& app, const std::string& cleared_by, Subscriber& requester,
                       std::function<void(std::error_code)> failed) {
    if (bus_) {
        return clear_app(app, cleared_by, &requester,
                         [failed = std::move(failed)](std::error_code ec) {
                             if (ec && failed) failed(ec);
                         });
    }
    return clear_app(app, cleared_by, &requester, {});
}

void Hub::clear(AppChannel& app, const std::string& cleared_by,
                std::function<void(std::error_code, std::size_t)> done) {
    if (app.loading) {
        return when_loaded(app, [this, &app, cleared_by, done = std::move(done)]() mutable {
            clear(app, cleared_by, std::move(done));
        });
    }
    auto count = std::make_shared<std::size_t>(0);
    *count = clear_app(app, cleared_by, nullptr,
                       [count, done = std::move(done)](std::error_code ec) { done(ec, *count); });
}

std::size_t Hub::clear_app(AppChannel& app, const std::string& cleared_by, Subscriber* requester,
                           std::function<void(std::error_code)> done) {
    if (app.loading) {
        // What the store reads for this app must not come back after the clear.
        when_loaded(app, [this, &app, cleared_by, requester, done = std::move(done)]() mutable {
            // The requester may have left meanwhile.
            if (requester &&
                std::find(app.members.begin(), app.members.end(), requester) == app.members.end()) {
                requester = nullptr;
            }
            clear_app(app, cleared_by, requester, std::move(done));
        });
        return 0;
    }
    if (bus_) {
        // Cluster mode: a new epoch in Redis; every node, this one included, forgets the
        // entries when the bus brings the clear (on_bus_cleared).
        const std::size_t count = app.history.size();
        if (requester && !requester->receives_live()) app.clear_requesters.push_back(requester);
        bus_->clear(app.id, cleared_by, count, [done = std::move(done)](std::error_code ec) {
            if (done) done(ec);
        });
        return count;
    }
    return forget(app, cleared_by, clock_.now_ms(), app.history.size(), requester, std::move(done));
}

std::size_t Hub::forget(AppChannel& app, const std::string& cleared_by, std::int64_t time_ms,
                        std::size_t count, Subscriber* requester,
                        std::function<void(std::error_code)> done) {
    flush(app);
    app.history.clear();
    if (done) {
        store_.clear(app.id, [this, done = std::move(done)](std::error_code ec) {
            net::post(ioc_, [done, ec] { done(ec); });
        });
    } else {
        store_.clear(app.id, [](std::error_code) {});
    }
    const auto frame = std::make_shared<const std::string>(
        protocol::cleared_frame(app.id, cleared_by, time_ms, count));
    fan_out(app, frame, FrameKind::notice);
    if (requester && !requester->receives_live()) requester->offer_frame(frame, FrameKind::notice);
    return count;
}

void Hub::set_bus(cluster::Bus* bus) {
    bus_ = bus;
    if (bus_) bus_->set_listener(this);
}

void Hub::ingest_once(AppChannel& app, const std::string& user_id, const std::string& ref,
                      std::vector<protocol::IncomingEntry> entries,
                      std::function<void(std::error_code)> done) {
    if (!bus_ || ref.empty()) return ingest(app, user_id, std::move(entries), std::move(done));
    // Before the receive time is set: a retry on another node gets another one.
    cluster::RetryKey key{ref, cluster::retry_digest(entries)};
    const std::int64_t now_ms = clock_.now_ms();
    for (auto& in : entries) in.timestamp = in.timestamp.value_or(now_ms);
    bus_->append_once(app.id, user_id, std::move(key), std::move(entries),
                      after_append(app, std::move(done)));
}

cluster::Bus::Appended Hub::after_append(AppChannel& app,
                                         std::function<void(std::error_code)> done) {
    return [this, app_id = app.id, done = std::move(done)](std::error_code ec,
                                                           std::string last_id) mutable {
        if (ec || settings_.durability != Durability::sync || last_id.empty()) return done(ec);
        // `sync`: also wait for this node's own commit of them (on_bus_entries).
        commit_waiters_.push_back({std::move(app_id), std::move(last_id),
                                   clock_.steady_now() + kCommitWaitLimit, std::move(done)});
        run_commit_waiters(/*expire=*/false);
        arm_history_wait_timer();
    };
}

void Hub::send_app_metrics(AppChannel& app, const std::string& user_id, const std::string& metrics,
                           std::int64_t timestamp) {
    if (!bus_) return on_bus_app_metrics(app.id, user_id, metrics, timestamp);
    // Every node, this one included, delivers them when the bus brings them back.
    bus_->publish_app_metrics(
        app.id, user_id, metrics, timestamp,
        [this, app_id = app.id, user_id, metrics, timestamp](std::error_code ec) {
            if (ec) on_bus_app_metrics(app_id, user_id, metrics, timestamp);
        });
}

void Hub::on_bus_app_metrics(const std::string& app_id, const std::string& user_id,
                             std::string_view metrics, std::int64_t timestamp) {
    AppChannel* app = find(app_id);
    if (!app || !app->watched()) return;
    const auto frame = std::make_shared<const std::string>(
        protocol::app_metrics_frame(app->id, user_id, metrics, timestamp));
    fan_out(*app, frame, FrameKind::live);
}

void Hub::share_connection_counts() {
    if (!bus_) return;
    for (const auto& [id, app] : channels_) {
        const std::uint64_t here = app->members.size();
        // Nobody here to show the sum to, and nothing of ours counted in Redis: no call.
        if (here == 0 && !app->connections_shared) continue;
        app->connections_shared = here > 0;
        bus_->share_connections(id, here, [this, app_id = id](std::optional<std::uint64_t> others) {
            // Redis out of reach: this node's count alone, rather than a figure that may
            // never be corrected.
            if (AppChannel* a = find(app_id)) a->other_nodes_connections = others.value_or(0);
        });
    }
}

bool Hub::history_ready(const AppChannel& app, const std::optional<std::string>& after_id) const {
    if (app.loading) return false;
    if (!bus_) return true;
    return bus_->ready(app.id) && !(after_id && bus_->ahead(app.id, *after_id));
}

void Hub::when_history_ready(AppChannel& app, std::optional<std::string> after_id,
                             std::function<void()> resume) {
    if (app.loading) {
        return when_loaded(app, [this, &app, after_id, resume = std::move(resume)]() mutable {
            if (history_ready(app, after_id)) return resume();
            when_history_ready(app, std::move(after_id), std::move(resume));
        });
    }
    history_waiters_.push_back(
        {app.id, std::move(after_id), clock_.steady_now() + kHistoryWaitLimit, std::move(resume)});
    arm_history_wait_timer();
}

void Hub::arm_history_wait_timer() {
    if (history_wait_armed_ || (history_waiters_.empty() && commit_waiters_.empty())) return;
    // Deliveries wake the waiters at once (on_bus_entries, on_bus_ready); this timer only ends
    // the waits of an app whose bus stays silent (Redis unreachable).
    history_wait_armed_ = true;
    history_wait_timer_.expires_after(std::chrono::milliseconds(100));
    history_wait_timer_.async_wait([this](boost::system::error_code ec) {
        history_wait_armed_ = false;
        if (ec) return;
        run_history_waiters(/*expire=*/true);
        run_commit_waiters(/*expire=*/true);
        arm_history_wait_timer();
    });
}

void Hub::run_history_waiters(bool expire) {
    if (history_waiters_.empty()) return;
    const auto now = clock_.steady_now();
    std::vector<std::function<void()>> due;
    std::erase_if(history_waiters_, [&](HistoryWaiter& w) {
        const AppChannel* app = find(w.app_id);
        if (app && !history_ready(*app, w.after_id) && !(expire && now >= w.deadline)) return false;
        due.push_back(std::move(w.resume));
        return true;
    });
    for (auto& resume : due) resume();
}

void Hub::run_commit_waiters(bool expire) {
    if (commit_waiters_.empty()) return;
    const auto now = clock_.steady_now();
    std::vector<std::pair<std::function<void(std::error_code)>, std::error_code>> due;
    std::erase_if(commit_waiters_, [&](CommitWaiter& w) {
        auto it = committed_.find(w.app_id);
        // Ids of one epoch compare as their offsets (core/cluster_id.hpp).
        if (it != committed_.end() && it->second >= w.last_id) {
            due.emplace_back(std::move(w.done), std::error_code());
        } else if (expire && now >= w.deadline) {
            // Redis has them; this node did not get them in time (its bus is cut off).
            due.emplace_back(std::move(w.done), core::make_error_code(core::errc::unavailable));
        } else {
            return false;
        }
        return true;
    });
    for (auto& [done, ec] : due) done(ec);
}

void Hub::fail_commit_waiters(const std::string& app_id, std::error_code ec) {
    std::vector<std::function<void(std::error_code)>> due;
    std::erase_if(commit_waiters_, [&](CommitWaiter& w) {
        if (w.app_id != app_id) return false;
        due.push_back(std::move(w.done));
        return true;
    });
    for (auto& done : due) done(ec);
}

void Hub::on_bus_entries(const std::string& app_id, cluster::BusEntries bus_entries, bool live) {
    AppChannel* found = find(app_id);
    if (!found) return;
    AppChannel& app = *found;
    const auto now = clock_.steady_now();
    std::vector<core::EntryPtr> stored;
    stored.reserve(bus_entries.entries.size());
    std::uint64_t errors = 0;
    for (std::size_t i = 0; i < bus_entries.entries.size(); ++i) {
        // The bus's entries carry the timestamp their producer's node gave them.
        core::EntryPtr entry = protocol::make_entry(bus_entries.entries[i], bus_entries.ids[i], 0,
                                                    app.id, bus_entries.user_id);
        if (core::is_error_level(entry->level())) ++errors;
        app.history.push(entry);
        stored.push_back(entry);
        if (live) batch_live(app, std::move(entry), now);
    }
    if (live) {
        // Counted from the bus: the rates are the app's over every node.
        app.rate.record(stored.size(), errors);
        app.ingested += stored.size();
        if (!app.batcher.empty()) arm_flush_timer(app);
    }
    // A first fill or what this node missed is stored too: the bus brings each entry once
    // (and the store skips an id it holds already), so each node's storage follows Redis.
    if (settings_.durability == Durability::sync && !stored.empty()) {
        std::string newest(stored.back()->id());
        store_.append(std::move(stored),
                      [this, app_id, newest = std::move(newest)](std::error_code ec) {
                          net::post(ioc_, [this, app_id, newest, ec] {
                              if (ec) return fail_commit_waiters(app_id, ec);
                              // Released meanwhile: nobody of it waits on this node.
                              if (!find(app_id)) return run_commit_waiters(/*expire=*/false);
                              std::string& committed = committed_[app_id];
                              if (newest > committed) committed = newest;
                              run_commit_waiters(/*expire=*/false);
                          });
                      });
    } else {
        store_.append(std::move(stored), [](std::error_code) {});
    }
    run_history_waiters(/*expire=*/false);
}

void Hub::on_bus_cleared(const std::string& app_id, const std::string& cleared_by,
                         std::int64_t time_ms, std::uint64_t count) {
    AppChannel* app = find(app_id);
    if (!app) return;
    forget(*app, cleared_by, time_ms, static_cast<std::size_t>(count), nullptr, {});
    // Those who asked and take no live data hear it too, if they are still here.
    const auto frame = std::make_shared<const std::string>(
        protocol::cleared_frame(app->id, cleared_by, time_ms, count));
    auto requesters = std::move(app->clear_requesters);
    app->clear_requesters.clear();
    for (Subscriber* r : requesters) {
        if (std::find(app->members.begin(), app->members.end(), r) != app->members.end() &&
            !r->receives_live()) {
            r->offer_frame(frame, FrameKind::notice);
        }
    }
}

void Hub::on_bus_reset(const std::string& app_id) {
    AppChannel* app = find(app_id);
    if (!app) return;
    // What the viewers saw is no longer in Redis: `cleared` by no user (docs/cluster.md).
    forget(*app, "", clock_.now_ms(), app->history.size(), nullptr, {});
    // Redis lost data: what producers wait to see committed may be gone; they retry.
    fail_commit_waiters(app_id, core::make_error_code(core::errc::unavailable));
}

void Hub::on_bus_dropped(const std::string& app_id, std::uint64_t count,
                         const std::string& after_id) {
    AppChannel* app = find(app_id);
    if (!app) return;
    // After the entries before the hole, before those after it.
    flush(*app);
    fan_out(*app, std::make_shared<const std::string>(protocol::dropped_frame(count, after_id)),
            FrameKind::notice);
}

void Hub::on_bus_window_lost(const std::string& app_id) {
    AppChannel* app = find(app_id);
    if (!app) return;
    flush(*app);
    app->history.clear();
}

void Hub::on_bus_ready(const std::string&) { run_history_waiters(/*expire=*/false); }

std::size_t Hub::restore(std::size_t per_app) {
    std::size_t count = 0;
    for (auto& [app_id, entries] : store_.load_recent(per_app)) {
        // The bus, opened with the channel, asks Redis only for what came after these.
        if (!entries.empty()) restored_newest_[app_id] = std::string(entries.back()->id());
        AppChannel& app = channel(app_id);
        count += entries.size();
        app.history.push_all(std::move(entries));
    }
    restored_newest_.clear();
    return count;
}

void Hub::restore_in_background(std::size_t per_app,
                                std::function<void(const RestoreSummary&)> finished) {
    restore_per_app_ = per_app;
    restore_finished_ = std::move(finished);
    for (const std::string& app_id : store_.stored_apps()) {
        AppChannel& app = channel(app_id);
        app.loading = true;
        ++loading_apps_;
    }
    restored_.apps = loading_apps_;
    store_.load_recent_async(
        per_app, [this, relay = relay_](std::error_code ec, storage::Store::Histories read) {
            auto shared = std::make_shared<storage::Store::Histories>(std::move(read));
            relay->post([this, ec, shared] { on_histories_loaded(ec, std::move(*shared)); });
        });
}

void Hub::when_loaded(AppChannel& app, std::function<void()> use) {
    if (!app.loading) return use();
    app.after_load.push_back(std::move(use));
    if (!app.load_asked) {
        app.load_asked = true;
        early_loads_.push_back(app.id);
        start_early_loads();
    }
}

void Hub::start_early_loads() {
    // Two at a time: the store's read of every history runs beside them, and a thousand
    // producers coming back at once must not turn into a thousand queries.
    constexpr std::size_t kMaxEarlyLoads = 2;
    while (early_loads_running_ < kMaxEarlyLoads && !early_loads_.empty()) {
        const std::string app_id = std::move(early_loads_.front());
        early_loads_.pop_front();
        AppChannel* app = find(app_id);
        if (!app || !app->loading) continue;
        ++early_loads_running_;
        storage::Query q;
        q.app_id = app_id;
        q.limit = std::max<std::size_t>(restore_per_app_, 1);
        store_.query(std::move(q),
                     [this, app_id, relay = relay_](std::error_code ec, storage::QueryResult r) {
                         auto shared = std::make_shared<storage::QueryResult>(std::move(r));
                         relay->post([this, app_id, ec, shared] {
                             --early_loads_running_;
                             AppChannel* app = find(app_id);
                             if (app && app->loading) {
                                 if (!ec) {
                                     ++restored_.read_first;
                                     std::reverse(shared->entries.begin(), shared->entries.end());
                                     finish_load(*app, std::move(shared->entries));
                                 } else if (histories_read_) {
                                     // Nothing else will bring it: serve with an empty history
                                     // rather than hold its producers and viewers for good.
                                     spdlog::error("restoring the history of app {} failed: {}",
                                                   app_id, ec.message());
                                     finish_load(*app, {});
                                 } else {
                                     // The store's read of every history brings it.
                                     app->load_asked = false;
                                 }
                             }
                             start_early_loads();
                         });
                     });
    }
}

void Hub::finish_load(AppChannel& app, std::vector<core::EntryPtr> entries) {
    if (!app.loading) return;
    // Ids grow within a history (RingHistory::push requires it), so the newest id of the app is
    // the one the generator must stay above; an id that is not a UUIDv7 is skipped by
    // observe(), so then look further back.
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        ids_.observe((*it)->id());
        if (core::IdGenerator::timestamp_of((*it)->id()) >= 0) break;
    }
    restored_.entries += entries.size();
    app.history.push_all(std::move(entries));
    app.loading = false;
    app.load_asked = false;
    auto waiting = std::move(app.after_load);
    app.after_load.clear();
    --loading_apps_;
    for (auto& use : waiting) use();
    report_restore_if_done();
}

void Hub::report_restore_if_done() {
    if (loading_apps_ == 0 && histories_read_ && restore_finished_) {
        std::exchange(restore_finished_, nullptr)(restored_);
    }
}

void Hub::on_histories_loaded(std::error_code ec, storage::Store::Histories histories) {
    histories_read_ = true;
    for (auto& [app_id, entries] : histories) {
        if (AppChannel* app = find(app_id)) finish_load(*app, std::move(entries));
    }
    std::vector<AppChannel*> left;
    for (auto& [app_id, app] : channels_) {
        if (app->loading) left.push_back(app.get());
    }
    if (ec) {
        // Read what is left one app at a time instead.
        spdlog::error("restoring the histories failed ({}): reading the {} apps left one by one",
                      ec.message(), left.size());
        for (AppChannel* app : left) {
            if (!app->load_asked) {
                app->load_asked = true;
                early_loads_.push_back(app->id);
            }
        }
        start_early_loads();
    } else {
        // The read holds every app that has entries: the rest have none.
        for (AppChannel* app : left) finish_load(*app, {});
    }
    report_restore_if_done();
}

std::string_view Hub::restored_newest_id(const std::string& app_id) const {
    auto it = restored_newest_.find(app_id);
    return it == restored_newest_.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace smartlog::server
