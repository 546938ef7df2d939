// client/client.cpp: smartlog::Client. The public calls take the mutex briefly or post to the
// network thread; everything that touches the connection runs on that one thread, so the
// connection state needs no lock. Shared with callers under `mu`: the outbox, stats, state.
// Reasoning about delivery: docs/client.md.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <smartlog/client.hpp>
#include <stdexcept>
#include <thread>

#include "client/backoff.hpp"
#include "client/net.hpp"
#include "client/outbox.hpp"
#include "client/transport.hpp"
#include "client/url.hpp"
#include "core/filter.hpp"
#include "core/overloaded.hpp"
#include "protocol/requests.hpp"
#include "protocol/server_frames.hpp"

namespace smartlog {

namespace {

using namespace smartlog::client;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxControlQueue = 1024;

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

LogEntry to_public(core::Entry&& e) {
    LogEntry out;
    out.id = std::move(e.id);
    out.timestamp = e.timestamp;
    out.level = std::move(e.level);
    out.message = std::move(e.message);
    out.metadata = std::move(e.metadata);
    out.app_id = std::move(e.app_id);
    out.user_id = std::move(e.user_id);
    out.encrypted = e.encrypted;
    out.json = std::move(e.encoded);
    return out;
}

core::Filter to_core(const Filter& f) {
    core::Filter out;
    out.levels = f.levels;
    out.start_time = f.start_time;
    out.end_time = f.end_time;
    out.search = f.search;
    return out;
}

std::optional<std::uint64_t> parse_ref(std::string_view text) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return v;
}

// Why a history answer was asked for: answers come back in the order the requests went out.
enum class HistoryKind { user, initial, resume };

// A request made by the caller, kept while disconnected and sent once the connection allows.
struct Control {
    std::string frame;
    bool needs_auth = true;
    std::optional<HistoryKind> history;
};

}  // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    explicit Impl(ClientOptions o)
        : options(std::move(o)),
          outbox({options.max_queued_entries, options.batch_max_entries, options.batch_max_bytes}),
          backoff(options.reconnect_initial, options.reconnect_max, options.reconnect_jitter),
          reconnect_timer(ioc),
          flush_timer(ioc),
          stop_timer(ioc) {}

    // ---- configuration, fixed before start() ----
    ClientOptions options;
    WsUrl url;
    LogsHandler on_logs;
    HistoryHandler on_history;
    MetricsHandler on_metrics;
    ClearedHandler on_cleared;
    ErrorHandler on_error;
    DroppedHandler on_dropped;
    StateHandler on_state;

    net::io_context ioc{1};
    std::unique_ptr<ssl::context> tls;
    std::thread thread;
    bool started = false;  // caller's thread only

    // ---- shared with callers, under mu ----
    mutable std::mutex mu;
    std::condition_variable cv;
    Outbox outbox;
    ClientStats stats;
    ConnectionState state = ConnectionState::disconnected;
    std::string last_error;
    std::string last_id;
    bool flush_timer_armed = false;
    bool pump_posted = false;
    bool flush_due = false;
    bool stopping = false;
    bool connect_failed = false;  // an attempt failed and reconnect is off
    std::uint64_t dropped_reported = 0;

    // ---- network thread only ----
    std::shared_ptr<Transport> transport;
    std::uint64_t generation = 0;
    bool open = false;
    bool authed = false;
    bool ever_ready = false;
    std::deque<std::shared_ptr<const std::string>> write_queue;
    bool writing = false;
    bool close_after_writes = false;
    std::optional<core::Filter> filter;
    bool awaiting_filter = false;
    bool syncing = false;
    bool cleared_since_seen = false;
    std::deque<HistoryKind> history_kinds;
    std::deque<Control> controls;
    std::deque<StatusHandler> status_waiters;
    Backoff backoff;
    net::steady_timer reconnect_timer;
    net::steady_timer flush_timer;
    net::steady_timer stop_timer;

    // ---- state ----

    void set_state(ConnectionState s, const std::string& detail) {
        {
            std::lock_guard lock(mu);
            if (state == s && s != ConnectionState::disconnected) return;
            state = s;
            if (!detail.empty()) last_error = detail;
            if (s == ConnectionState::disconnected && !options.reconnect) connect_failed = true;
        }
        cv.notify_all();
        if (on_state) on_state(s, detail);
    }

    // ---- connecting ----

    void connect() {
        if (is_stopping()) return;
        set_state(ConnectionState::connecting, {});
        const std::uint64_t gen = ++generation;
        TransportOptions to;
        to.connect_timeout = options.connect_timeout;
        transport = make_transport(ioc, url, to, tls.get());
        transport->async_open(
            [self = shared_from_this(), gen](beast::error_code ec) { self->on_open(gen, ec); });
    }

    void on_open(std::uint64_t gen, beast::error_code ec) {
        if (gen != generation) return;
        if (ec) return connection_lost(ec.message());
        open = true;
        do_read(gen);
        if (!options.authenticate) {
            backoff.reset();
            set_state(ConnectionState::connected, {});
            send_controls(false);
            return;
        }
        protocol::Credentials c{options.user_id, options.app_id, options.token};
        write(protocol::auth_request(
            c, options.mode == Mode::producer ? protocol::Mode::producer : protocol::Mode::viewer));
        send_controls(false);
    }

    void do_read(std::uint64_t gen) {
        transport->async_read(
            [self = shared_from_this(), gen](beast::error_code ec, std::string text) {
                if (gen != self->generation) return;
                if (ec) return self->connection_lost(ec.message());
                self->on_frame(text);
                if (gen == self->generation && self->transport) self->do_read(gen);
            });
    }

    void connection_lost(const std::string& why) {
        if (transport) transport->abort();
        transport.reset();
        ++generation;
        open = false;
        authed = false;
        write_queue.clear();
        writing = false;
        awaiting_filter = false;
        syncing = false;
        history_kinds.clear();
        status_waiters.clear();
        {
            std::lock_guard lock(mu);
            outbox.connection_lost();
        }
        if (is_stopping()) return finish_stop();
        set_state(ConnectionState::disconnected, why);
        if (!options.reconnect) return;
        const auto delay = backoff.next();
        {
            std::lock_guard lock(mu);
            ++stats.reconnects;
        }
        reconnect_timer.expires_after(delay);
        reconnect_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->connect();
        });
    }

    // ---- writing ----

    void write(std::string frame) { write(std::make_shared<const std::string>(std::move(frame))); }

    void write(std::shared_ptr<const std::string> frame) {
        if (!transport || !open) return;
        write_queue.push_back(std::move(frame));
        if (!writing) do_write();
    }

    void do_write() {
        writing = true;
        const std::uint64_t gen = generation;
        transport->async_write(write_queue.front(),
                               [self = shared_from_this(), gen](beast::error_code ec) {
                                   if (gen != self->generation) return;
                                   self->writing = false;
                                   if (ec) return self->connection_lost(ec.message());
                                   self->write_queue.pop_front();
                                   if (!self->write_queue.empty()) return self->do_write();
                                   if (self->close_after_writes) self->graceful_close();
                               });
    }

    // Sends the queued requests the connection allows now (all of them once authenticated).
    void send_controls(bool authenticated) {
        std::deque<Control> keep;
        for (auto& c : controls) {
            if (c.needs_auth && !authenticated) {
                keep.push_back(std::move(c));
                continue;
            }
            if (c.history) history_kinds.push_back(*c.history);
            write(std::move(c.frame));
        }
        controls = std::move(keep);
    }

    void control(Control c) {
        const bool can_send = open && (authed || !c.needs_auth);
        if (can_send) {
            if (c.history) history_kinds.push_back(*c.history);
            write(std::move(c.frame));
            return;
        }
        if (controls.size() >= kMaxControlQueue) controls.pop_front();
        controls.push_back(std::move(c));
    }

    // ---- producing ----

    // Sends batches while the in-flight bound allows; the waiting entries too when a flush is due.
    void pump() {
        if (!authed) return;
        std::vector<std::shared_ptr<const std::string>> frames;
        bool arm = false;
        {
            std::lock_guard lock(mu);
            pump_posted = false;
            while (outbox.in_flight_batches() < options.max_in_flight_batches) {
                auto batch = outbox.next_batch(flush_due || stopping);
                if (!batch) break;
                stats.sent += batch->entries.size();
                if (batch->resend) stats.resent += batch->entries.size();
                frames.push_back(std::make_shared<const std::string>(
                    protocol::logs_request(batch->ref, batch->entries)));
            }
            if (outbox.waiting() == 0) flush_due = false;
            arm = outbox.waiting() > 0 && !flush_due && !flush_timer_armed;
            if (arm) flush_timer_armed = true;
        }
        for (auto& f : frames) write(std::move(f));
        if (arm) arm_flush_timer();
    }

    void arm_flush_timer() {
        flush_timer.expires_after(options.batch_max_delay);
        flush_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            {
                std::lock_guard lock(self->mu);
                self->flush_timer_armed = false;
                self->flush_due = true;
            }
            self->pump();
        });
    }

    // ---- receiving ----

    void on_frame(const std::string& text) {
        auto frame = protocol::decode_server_frame(text);
        if (!frame) {
            if (on_error) on_error({"bad_frame", frame.error().message});
            return;
        }
        std::visit(
            core::overloaded{
                [&](protocol::AuthSuccessFrame&) { on_auth_success(); },
                [&](protocol::AuthErrorFrame& f) { on_auth_error(f); },
                [&](protocol::LogsFrame& f) { f.history ? on_history_frame(f) : on_live(f); },
                [&](protocol::MetricsFrame& f) {
                    if (on_metrics) on_metrics(f.payload);
                },
                [&](protocol::FilterAppliedFrame&) { awaiting_filter = false; },
                [&](protocol::ClearedFrame& f) {
                    cleared_since_seen = true;
                    if (on_cleared) on_cleared({f.app_id, f.cleared_by, f.timestamp, f.count});
                },
                [&](protocol::LogsAckFrame& f) { on_ack(f); },
                [&](protocol::AppMetricsFrame&) {},
                [&](protocol::DroppedFrame& f) { on_server_dropped(f); },
                [&](protocol::StatusResponseFrame& f) { on_status(f); },
                [&](protocol::ErrorFrame& f) { on_error_frame(f); },
                [&](protocol::PongFrame&) {},
                [&](protocol::UnknownFrame&) {},
            },
            *frame);
    }

    void on_auth_success() {
        const bool first = !ever_ready;
        authed = true;
        ever_ready = true;
        backoff.reset();
        if (options.mode == Mode::viewer) {
            if (filter) {
                write(protocol::filter_request(*filter));
                awaiting_filter = true;
            }
            std::string after;
            {
                std::lock_guard lock(mu);
                after = last_id;
            }
            if (first && options.initial_history) {
                history_kinds.push_back(HistoryKind::initial);
                write(protocol::history_request(*options.initial_history, {}));
                syncing = true;
            } else if (!first && options.resume) {
                history_kinds.push_back(HistoryKind::resume);
                write(protocol::history_request(std::nullopt, after));
                syncing = true;
            }
        }
        send_controls(true);
        {
            std::lock_guard lock(mu);
            flush_due = true;  // what waited during the disconnection leaves now
        }
        set_state(ConnectionState::ready, {});
        pump();
    }

    void on_auth_error(const protocol::AuthErrorFrame& f) {
        if (on_error) on_error({f.code.empty() ? "auth_error" : f.code, f.message});
        if (authed) return;  // a refused re-authentication leaves the connection as it was
        // Credentials do not get better by retrying: stop here and say why.
        if (transport) transport->abort();
        transport.reset();
        ++generation;
        open = false;
        {
            std::lock_guard lock(mu);
            stopping = true;
        }
        set_state(ConnectionState::auth_failed, f.message.empty() ? f.code : f.message);
        finish_stop();
    }

    // Delivers the entries newer than the last one delivered; returns how many it skipped.
    void deliver_live(std::vector<core::Entry>& entries, bool through_history,
                      const HistoryInfo& info) {
        std::vector<LogEntry> out;
        out.reserve(entries.size());
        std::uint64_t skipped = 0;
        {
            std::lock_guard lock(mu);
            for (auto& e : entries) {
                // Ids are time-ordered (UUIDv7): an id not above the last one was delivered.
                if (!last_id.empty() && e.id <= last_id) {
                    ++skipped;
                    continue;
                }
                last_id = e.id;
                out.push_back(to_public(std::move(e)));
            }
            stats.live_duplicates_skipped += skipped;
        }
        if (!out.empty()) cleared_since_seen = false;
        if (through_history) {
            if (on_history) on_history(out, info);
        } else if (!out.empty() && on_logs) {
            on_logs(out);
        }
    }

    void on_live(protocol::LogsFrame& f) {
        // Until the filter holds and the history answer is in, live batches carry entries that
        // the answer also holds (they were sent before it was computed): the answer covers them.
        if (syncing || awaiting_filter) return;
        deliver_live(f.entries, false, {});
    }

    void on_history_frame(protocol::LogsFrame& f) {
        HistoryKind kind = HistoryKind::user;
        if (!history_kinds.empty()) {
            kind = history_kinds.front();
            // A large answer arrives in pages; the last one ends it.
            if (!f.more) history_kinds.pop_front();
        }
        if (kind == HistoryKind::user) {
            std::vector<LogEntry> out;
            out.reserve(f.entries.size());
            for (auto& e : f.entries) out.push_back(to_public(std::move(e)));
            if (on_history) on_history(out, {f.gap, f.more});
            return;
        }
        if (!f.more) syncing = false;
        std::string after;
        {
            std::lock_guard lock(mu);
            after = last_id;
        }
        if (kind == HistoryKind::resume && f.gap && !after.empty() && !cleared_since_seen &&
            on_dropped) {
            on_dropped({Dropped::Kind::resume_gap, 0, after});
        }
        deliver_live(f.entries, kind == HistoryKind::initial, {f.gap});
    }

    void on_server_dropped(const protocol::DroppedFrame& f) {
        if (options.resume && !syncing) {
            std::string after;
            {
                std::lock_guard lock(mu);
                after = last_id;
            }
            if (after.empty()) after = f.after_id;
            history_kinds.push_back(HistoryKind::resume);
            write(protocol::history_request(std::nullopt, after));
            syncing = true;
            return;
        }
        if (!options.resume && on_dropped)
            on_dropped({Dropped::Kind::server_live, f.count, f.after_id});
    }

    void on_ack(const protocol::LogsAckFrame& f) {
        const auto ref = parse_ref(f.ref);
        {
            std::lock_guard lock(mu);
            if (ref && outbox.ack(*ref)) {
                stats.acked += f.accepted;
                stats.rejected += f.rejected.size();
            }
        }
        cv.notify_all();
        if (on_error) {
            for (const auto& r : f.rejected) {
                on_error({"rejected", "entry " + std::to_string(r.index) + " of batch " + f.ref +
                                          ": " + r.message});
            }
        }
        pump();
    }

    void on_error_frame(const protocol::ErrorFrame& f) {
        if (const auto ref = parse_ref(f.ref)) {
            if (f.code == "rate_limited") {
                // The batch is still in flight: reconnecting after a backoff sends it again.
                if (on_error) on_error({f.code, f.message});
                return connection_lost("rate limited: " + f.message);
            }
            // Refused as a whole (forbidden, too large): sending it again cannot help.
            std::lock_guard lock(mu);
            if (auto n = outbox.ack(*ref)) stats.rejected += *n;
        }
        cv.notify_all();
        if (on_error) on_error({f.code, f.message});
        pump();
    }

    void on_status(const protocol::StatusResponseFrame& f) {
        if (status_waiters.empty()) return;
        auto h = std::move(status_waiters.front());
        status_waiters.pop_front();
        if (h)
            h({f.success, f.message, f.user_exists, f.app_exists, f.user_has_access,
               f.app_is_active});
    }

    // ---- stopping ----

    bool is_stopping() const {
        std::lock_guard lock(mu);
        return stopping;
    }

    void begin_stop() {
        {
            std::lock_guard lock(mu);
            stopping = true;
        }
        reconnect_timer.cancel();
        flush_timer.cancel();
        // A peer that answers nothing must not hold the caller: give up after the timeout.
        stop_timer.expires_after(options.connect_timeout);
        stop_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->finish_stop();
        });
        if (!transport || !open) return finish_stop();
        pump();
        if (writing || !write_queue.empty()) {
            close_after_writes = true;
            return;
        }
        graceful_close();
    }

    void graceful_close() {
        close_after_writes = false;
        if (!transport) return finish_stop();
        const std::uint64_t gen = generation;
        // Reads stay pending until the close completes; the generation bump below ignores them.
        transport->async_close([self = shared_from_this(), gen](beast::error_code) {
            if (gen == self->generation) self->finish_stop();
        });
    }

    void finish_stop() {
        ++generation;
        if (transport) transport->abort();
        transport.reset();
        open = false;
        authed = false;
        reconnect_timer.cancel();
        flush_timer.cancel();
        stop_timer.cancel();
        ConnectionState final_state;
        {
            std::lock_guard lock(mu);
            final_state = state == ConnectionState::auth_failed ? state : ConnectionState::stopped;
        }
        if (final_state == ConnectionState::stopped) set_state(ConnectionState::stopped, {});
        cv.notify_all();
        ioc.stop();
    }

    void report_dropped() {
        std::uint64_t newly = 0;
        {
            std::lock_guard lock(mu);
            newly = outbox.dropped() - dropped_reported;
            dropped_reported = outbox.dropped();
        }
        if (newly && on_dropped) on_dropped({Dropped::Kind::local_queue, newly, {}});
    }
};

// ---- Client ------------------------------------------------------------------------------

std::string_view to_string(ConnectionState s) noexcept {
    switch (s) {
        case ConnectionState::disconnected:
            return "disconnected";
        case ConnectionState::connecting:
            return "connecting";
        case ConnectionState::connected:
            return "connected";
        case ConnectionState::ready:
            return "ready";
        case ConnectionState::auth_failed:
            return "auth_failed";
        case ConnectionState::stopped:
            return "stopped";
    }
    return "unknown";
}

Client::Client(ClientOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
    auto& o = impl_->options;
    auto url = parse_ws_url(o.url);
    if (!url) throw std::invalid_argument("not a ws:// or wss:// URL: " + o.url);
    impl_->url = *url;
    if (o.authenticate && (o.user_id.empty() || o.app_id.empty())) {
        throw std::invalid_argument("a user id and an app id are required");
    }
    if (o.batch_max_entries == 0 || o.batch_max_bytes == 0 || o.max_queued_entries == 0 ||
        o.max_in_flight_batches == 0 || o.reconnect_initial.count() <= 0 ||
        o.reconnect_max < o.reconnect_initial) {
        throw std::invalid_argument("client options: bounds must be positive");
    }
    if (url->tls) {
        impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
        if (o.tls_verify) {
            impl_->tls->set_verify_mode(ssl::verify_peer);
            if (o.tls_ca_file.empty()) {
                impl_->tls->set_default_verify_paths();
            } else {
                impl_->tls->load_verify_file(o.tls_ca_file);
            }
        } else {
            impl_->tls->set_verify_mode(ssl::verify_none);
        }
    }
}

Client::~Client() {
    if (!impl_->started) return;
    bool has_queue = false;
    {
        std::lock_guard lock(impl_->mu);
        has_queue = !impl_->outbox.empty() && !impl_->stopping;
    }
    if (has_queue) {
        flush();
        wait_acknowledged(impl_->options.close_timeout);
    }
    close();
}

void Client::on_logs(LogsHandler h) { impl_->on_logs = std::move(h); }
void Client::on_history(HistoryHandler h) { impl_->on_history = std::move(h); }
void Client::on_metrics(MetricsHandler h) { impl_->on_metrics = std::move(h); }
void Client::on_cleared(ClearedHandler h) { impl_->on_cleared = std::move(h); }
void Client::on_error(ErrorHandler h) { impl_->on_error = std::move(h); }
void Client::on_dropped(DroppedHandler h) { impl_->on_dropped = std::move(h); }
void Client::on_state(StateHandler h) { impl_->on_state = std::move(h); }

void Client::start() {
    if (impl_->started) return;
    impl_->started = true;
    net::post(impl_->ioc, [self = impl_] { self->connect(); });
    impl_->thread = std::thread([self = impl_] {
        auto guard = net::make_work_guard(self->ioc);
        self->ioc.run();
    });
}

void Client::close() {
    if (!impl_->started) return;
    if (impl_->thread.joinable()) {
        net::post(impl_->ioc, [self = impl_] { self->begin_stop(); });
        if (impl_->thread.get_id() == std::this_thread::get_id()) return;  // from a callback
        impl_->thread.join();
        // Handlers still queued hold the Impl (a cycle through the io_context): run them out.
        // Every one of them is a no-op now that the client is stopping.
        for (int i = 0; i < 100; ++i) {
            impl_->ioc.restart();
            if (impl_->ioc.poll() == 0) break;
        }
    }
}

bool Client::log(std::string_view level, std::string_view message, const Metadata& metadata) {
    return log(level, message, metadata, std::chrono::system_clock::now());
}

bool Client::log(std::string_view level, std::string_view message, const Metadata& metadata,
                 std::chrono::system_clock::time_point when) {
    auto& s = *impl_;
    std::string entry = protocol::entry_object(to_ms(when), level.empty() ? "info" : level, message,
                                               metadata.json());
    bool post_pump = false, post_timer = false, dropped = false;
    {
        std::unique_lock lock(s.mu);
        if (entry.size() > s.options.batch_max_bytes) {
            ++s.stats.rejected;
            return false;
        }
        if (s.outbox.full() && s.options.overflow == OverflowPolicy::block && !s.stopping) {
            const bool in_io_thread = s.thread.get_id() == std::this_thread::get_id();
            if (!in_io_thread) {
                auto has_room = [&] { return !s.outbox.full() || s.stopping; };
                if (s.options.block_timeout == std::chrono::milliseconds::max()) {
                    s.cv.wait(lock, has_room);
                } else {
                    s.cv.wait_for(lock, s.options.block_timeout, has_room);
                }
            }
        }
        if (!s.outbox.push(std::move(entry))) {
            ++s.stats.dropped;
            dropped = true;
        } else if (s.outbox.batch_ready()) {
            post_pump = !s.pump_posted;
            s.pump_posted = true;
        } else if (!s.flush_timer_armed && !s.flush_due) {
            post_timer = true;
            s.flush_timer_armed = true;
        }
    }
    if (dropped) {
        // Reported from the network thread, one notice per run of drops rather than per entry.
        net::post(s.ioc, [self = impl_] { self->report_dropped(); });
        return false;
    }
    if (post_pump) net::post(s.ioc, [self = impl_] { self->pump(); });
    if (post_timer) net::post(s.ioc, [self = impl_] { self->arm_flush_timer(); });
    return true;
}

void Client::flush() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->flush_due = true;
    }
    net::post(impl_->ioc, [self = impl_] { self->pump(); });
}

bool Client::wait_acknowledged(std::chrono::milliseconds timeout) {
    flush();
    std::unique_lock lock(impl_->mu);
    auto done = [&] {
        return impl_->outbox.empty() || impl_->state == ConnectionState::stopped ||
               impl_->state == ConnectionState::auth_failed;
    };
    impl_->cv.wait_for(lock, timeout, done);
    return impl_->outbox.empty();
}

void Client::set_filter(Filter f) {
    net::post(impl_->ioc, [self = impl_, f = to_core(f)] {
        self->filter = f;
        if (self->open && self->authed) {
            self->write(protocol::filter_request(f));
            self->awaiting_filter = true;
        }
    });
}

void Client::request_history(std::optional<std::size_t> limit, std::string after_id) {
    net::post(impl_->ioc, [self = impl_, limit, after = std::move(after_id)] {
        self->control({protocol::history_request(limit, after), true, HistoryKind::user});
    });
}

void Client::request_metrics() {
    net::post(impl_->ioc, [self = impl_] {
        self->control({protocol::metrics_request(), true, {}});
    });
}

void Client::clear() {
    net::post(impl_->ioc, [self = impl_] { self->control({protocol::clear_request(), true, {}}); });
}

void Client::check_status(StatusHandler h) {
    net::post(impl_->ioc, [self = impl_, h = std::move(h)]() mutable {
        protocol::Credentials c{self->options.user_id, self->options.app_id, self->options.token};
        self->status_waiters.push_back(std::move(h));
        self->control({protocol::check_status_request(c), false, {}});
    });
}

std::string Client::last_seen_id() const {
    std::lock_guard lock(impl_->mu);
    return impl_->last_id;
}

ConnectionState Client::state() const {
    std::lock_guard lock(impl_->mu);
    return impl_->state;
}

std::string Client::last_error() const {
    std::lock_guard lock(impl_->mu);
    return impl_->last_error;
}

ConnectionState Client::wait_ready(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mu);
    const bool want_auth = impl_->options.authenticate;
    impl_->cv.wait_for(lock, timeout, [&] {
        const auto s = impl_->state;
        return s == ConnectionState::ready || s == ConnectionState::auth_failed ||
               s == ConnectionState::stopped || (!want_auth && s == ConnectionState::connected) ||
               impl_->connect_failed;
    });
    return impl_->state;
}

ClientStats Client::stats() const {
    std::lock_guard lock(impl_->mu);
    ClientStats s = impl_->stats;
    s.queued = impl_->outbox.size();
    return s;
}

// ---- Metadata ----------------------------------------------------------------------------

Metadata& Metadata::add(std::string_view key, std::string_view value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":" + protocol::json_quote(value);
    return *this;
}

Metadata& Metadata::add(std::string_view key, std::int64_t value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":" + std::to_string(value);
    return *this;
}

Metadata& Metadata::add(std::string_view key, double value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":";
    if (!std::isfinite(value)) {
        fields_ += "null";  // JSON has no NaN or infinity
    } else {
        char buf[32];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, value);
        fields_.append(buf, ec == std::errc() ? p : buf);
    }
    return *this;
}

Metadata& Metadata::add(std::string_view key, bool value) {
    if (!fields_.empty()) fields_ += ',';
    fields_ += protocol::json_quote(key) + ":" + (value ? "true" : "false");
    return *this;
}

Metadata Metadata::raw(std::string json) {
    Metadata m;
    m.json_ = std::move(json);
    return m;
}

std::string Metadata::json() const {
    if (!json_.empty()) return json_;
    if (fields_.empty()) return {};
    return "{" + fields_ + "}";
}

std::string to_json(const LogEntry& e) {
    if (!e.json.empty()) return e.json;
    std::string out = "{\"id\":" + protocol::json_quote(e.id) +
                      ",\"timestamp\":" + std::to_string(e.timestamp) +
                      ",\"level\":" + protocol::json_quote(e.level) +
                      ",\"message\":" + protocol::json_quote(e.message);
    if (!e.metadata.empty()) out += ",\"metadata\":" + e.metadata;
    out += ",\"appId\":" + protocol::json_quote(e.app_id) +
           ",\"userId\":" + protocol::json_quote(e.user_id) + "}";
    return out;
}

}  // namespace smartlog
