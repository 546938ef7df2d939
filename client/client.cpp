// client/client.cpp: smartlog::Client, the composition of its parts: the Connection (socket,
// handshakes, reconnection), Resume (a viewer's afterId, history and gaps) and Producer (a
// producer's queue, batches, acks and resends). This file holds what joins them: the public
// calls, the connection state seen by callers, the requests queued while disconnected, the
// dispatch of server frames and the order of stopping. Reasoning: docs/client.md.
//
// Threads: the public calls take a part's mutex briefly or post to the network thread;
// everything that touches the connection runs on that one thread. Handlers posted or armed
// here hold a weak reference to the Impl, so nothing queued in the io_context keeps it alive:
// once the thread is joined the Impl (and the io_context with what is left in it) goes.
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <smartlog/client.hpp>
#include <stdexcept>
#include <thread>

#include "client/connection.hpp"
#include "client/net.hpp"
#include "client/producer.hpp"
#include "client/resume.hpp"
#include "client/url.hpp"
#include "core/filter.hpp"
#include "core/overloaded.hpp"
#include "protocol/requests.hpp"
#include "protocol/server_frames.hpp"

namespace smartlog {

namespace {

using namespace smartlog::client;

constexpr std::size_t kMaxControlQueue = 1024;

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
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

// A request made by the caller, kept while disconnected and sent once the connection allows.
struct Control {
    std::string frame;
    bool needs_auth = true;
    bool user_history = false;  // a history request: its answer goes to on_history as it is
};

Producer::Options producer_options(const ClientOptions& o) {
    return {{o.max_queued_entries, o.batch_max_entries, o.batch_max_bytes},
            o.max_in_flight_batches,
            o.overflow,
            o.block_timeout};
}

Connection::Options connection_options(const ClientOptions& o) {
    Connection::Options out;
    out.transport.connect_timeout = o.connect_timeout;
    out.reconnect_initial = o.reconnect_initial;
    out.reconnect_max = o.reconnect_max;
    out.reconnect_jitter = o.reconnect_jitter;
    return out;
}

std::unique_ptr<ssl::context> make_tls(const ClientOptions& o, const WsUrl& url) {
    if (!url.tls) return nullptr;
    auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    if (!o.tls_verify) {
        tls->set_verify_mode(ssl::verify_none);
    } else {
        tls->set_verify_mode(ssl::verify_peer);
        if (o.tls_ca_file.empty()) {
            tls->set_default_verify_paths();
        } else {
            tls->load_verify_file(o.tls_ca_file);
        }
    }
    return tls;
}

WsUrl checked_url(const ClientOptions& o) {
    auto url = parse_ws_url(o.url);
    if (!url) throw std::invalid_argument("not a ws:// or wss:// URL: " + o.url);
    if (o.authenticate && (o.user_id.empty() || o.app_id.empty())) {
        throw std::invalid_argument("a user id and an app id are required");
    }
    if (o.batch_max_entries == 0 || o.batch_max_bytes == 0 || o.max_queued_entries == 0 ||
        o.max_in_flight_batches == 0 || o.reconnect_initial.count() <= 0 ||
        o.reconnect_max < o.reconnect_initial) {
        throw std::invalid_argument("client options: bounds must be positive");
    }
    return *url;
}

}  // namespace

struct Client::Impl final : Connection::Listener, std::enable_shared_from_this<Client::Impl> {
    Impl(ClientOptions o, const WsUrl& url)
        : options(std::move(o)),
          tls(make_tls(options, url)),
          producer(producer_options(options)),
          resume({options.initial_history, options.resume}),
          connection(std::make_shared<Connection>(ioc, url, connection_options(options), tls.get(),
                                                  *this)),
          flush_timer(ioc),
          stop_timer(ioc) {}

    // ---- fixed before start() ----
    ClientOptions options;
    LogsHandler on_logs;
    HistoryHandler on_history;
    MetricsHandler on_metrics;
    ClearedHandler on_cleared;
    ErrorHandler on_error;
    DroppedHandler on_dropped;
    StateHandler on_state;
    std::thread thread;
    bool started = false;  // caller's thread only

    // Destroyed after everything built on them (members go in reverse order): the io_context
    // destroys the handlers left in it, and the transports they hold, before the TLS context.
    std::unique_ptr<ssl::context> tls;
    net::io_context ioc{1};
    Producer producer;  // its own lock; see producer.hpp
    Resume resume;      // network thread, but for last_id(); see resume.hpp
    std::shared_ptr<Connection> connection;

    // ---- shared with callers, under mu ----
    mutable std::mutex mu;
    std::condition_variable cv;
    ConnectionState state = ConnectionState::disconnected;
    std::string last_error;
    bool connect_failed = false;  // an attempt failed and reconnect is off
    std::uint64_t reconnects = 0;

    // ---- network thread only ----
    // The client's life: stopping waits for the last writes and the close handshake.
    enum class Run { running, stopping, stopped };
    Run run = Run::running;
    bool authed = false;  // the open connection's auth succeeded
    std::deque<Control> controls;
    std::deque<StatusHandler> status_waiters;
    net::steady_timer flush_timer;
    net::steady_timer stop_timer;

    // Runs `f(impl)` on the network thread, if the Impl still exists then.
    template <class F>
    void post(F f) {
        net::post(ioc, [weak = weak_from_this(), f = std::move(f)]() mutable {
            if (auto self = weak.lock()) f(*self);
        });
    }

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

    // ---- the connection's events ----

    void connect() {
        if (run != Run::running) return;
        set_state(ConnectionState::connecting, {});
        connection->open();
    }

    void on_open() override {
        if (!options.authenticate) {
            connection->authenticated();
            set_state(ConnectionState::connected, {});
            send_controls();
            return;
        }
        protocol::Credentials c{options.user_id, options.app_id, options.token};
        connection->write(protocol::auth_request(
            c, options.mode == Mode::producer ? protocol::Mode::producer : protocol::Mode::viewer));
        send_controls();
    }

    void on_lost(const std::string& why) override {
        authed = false;
        status_waiters.clear();
        resume.connection_lost();
        producer.connection_lost();
        if (run != Run::running) return finish_stop();
        set_state(ConnectionState::disconnected, why);
        if (!options.reconnect) return;
        {
            std::lock_guard lock(mu);
            ++reconnects;
        }
        connection->reconnect_later();
    }

    void on_reconnect_due() override { connect(); }

    void on_closed() override { finish_stop(); }

    // ---- requests ----

    void write(std::string frame) { connection->write(std::move(frame)); }

    // Sends the queued requests the connection allows now (all of them once authenticated).
    void send_controls() {
        std::deque<Control> keep;
        for (auto& c : controls) {
            if (c.needs_auth && !authed) {
                keep.push_back(std::move(c));
                continue;
            }
            if (c.user_history) resume.user_history_sent();
            write(std::move(c.frame));
        }
        controls = std::move(keep);
    }

    void control(Control c) {
        if (connection->is_open() && (authed || !c.needs_auth)) {
            if (c.user_history) resume.user_history_sent();
            return write(std::move(c.frame));
        }
        if (controls.size() >= kMaxControlQueue) controls.pop_front();
        controls.push_back(std::move(c));
    }

    // ---- producing ----

    void pump() {
        // Not while closing either: a batch taken now would count as sent and never leave.
        if (!authed || !connection->is_open()) return;
        auto p = producer.pump();
        for (auto& f : p.frames) connection->write(std::move(f));
        if (p.arm_timer) arm_flush_timer();
    }

    void arm_flush_timer() {
        flush_timer.expires_after(options.batch_max_delay);
        flush_timer.async_wait([weak = weak_from_this()](beast::error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            self->producer.flush_timer_fired();
            self->pump();
        });
    }

    void report_dropped() {
        const auto newly = producer.take_new_drops();
        if (newly && on_dropped) on_dropped({Dropped::Kind::local_queue, newly, {}});
    }

    // ---- receiving ----

    void on_frame(const std::string& text) override {
        auto frame = protocol::decode_server_frame(text);
        if (!frame) {
            if (on_error) on_error({"bad_frame", frame.error().message});
            return;
        }
        std::visit(core::overloaded{
                       [&](protocol::AuthSuccessFrame&) { on_auth_success(); },
                       [&](protocol::AuthErrorFrame& f) { on_auth_error(f); },
                       [&](protocol::LogsFrame& f) {
                           deliver(f.history ? resume.history(f) : resume.live(f));
                       },
                       [&](protocol::MetricsFrame& f) {
                           if (on_metrics) on_metrics(f.payload);
                       },
                       [&](protocol::FilterAppliedFrame&) { resume.filter_applied(); },
                       [&](protocol::ClearedFrame& f) {
                           resume.cleared();
                           if (on_cleared)
                               on_cleared({f.app_id, f.cleared_by, f.timestamp, f.count});
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
        authed = true;
        connection->authenticated();
        if (options.mode == Mode::viewer) {
            for (auto& f : resume.authenticated()) write(std::move(f));
        }
        send_controls();
        producer.connection_ready();
        set_state(ConnectionState::ready, {});
        pump();
    }

    void on_auth_error(const protocol::AuthErrorFrame& f) {
        if (on_error) on_error({f.code.empty() ? "auth_error" : f.code, f.message});
        if (authed) return;  // a refused re-authentication leaves the connection as it was
        // Credentials do not get better by retrying: stop here and say why.
        connection->drop();
        set_state(ConnectionState::auth_failed, f.message.empty() ? f.code : f.message);
        finish_stop();
    }

    void deliver(Resume::Delivery d) {
        if (d.dropped && on_dropped) on_dropped(*d.dropped);
        switch (d.to) {
            case Resume::Delivery::To::logs:
                if (on_logs) on_logs(d.entries);
                break;
            case Resume::Delivery::To::history:
                if (on_history) on_history(d.entries, d.info);
                break;
            case Resume::Delivery::To::nobody: break;
        }
    }

    void on_server_dropped(const protocol::DroppedFrame& f) {
        auto r = resume.server_dropped(f);
        if (r.request) write(std::move(*r.request));
        if (r.report && on_dropped) on_dropped(*r.report);
    }

    void on_ack(const protocol::LogsAckFrame& f) {
        if (const auto ref = parse_ref(f.ref))
            producer.acknowledged(*ref, f.accepted, f.rejected.size());
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
                return connection->fail("rate limited: " + f.message);
            }
            // Refused as a whole (forbidden, too large): sending it again cannot help.
            producer.refused(*ref);
        }
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

    void begin_stop() {
        if (run != Run::running) return;
        run = Run::stopping;
        producer.begin_close();
        flush_timer.cancel();
        // A peer that answers nothing must not hold the caller: give up after the timeout.
        stop_timer.expires_after(options.connect_timeout);
        stop_timer.async_wait([weak = weak_from_this()](beast::error_code ec) {
            auto self = weak.lock();
            if (!ec && self) self->finish_stop();
        });
        if (!connection->is_open()) return finish_stop();
        pump();
        connection->close();  // on_closed (or on_lost) finishes
    }

    void finish_stop() {
        if (run == Run::stopped) return;
        run = Run::stopped;
        connection->stop();
        flush_timer.cancel();
        stop_timer.cancel();
        {
            std::unique_lock lock(mu);
            if (state != ConnectionState::auth_failed) {
                lock.unlock();
                set_state(ConnectionState::stopped, {});
            }
        }
        producer.close();
        cv.notify_all();
        ioc.stop();
    }
};

// ---- Client ------------------------------------------------------------------------------

std::string_view to_string(ConnectionState s) noexcept {
    switch (s) {
        case ConnectionState::disconnected: return "disconnected";
        case ConnectionState::connecting: return "connecting";
        case ConnectionState::connected: return "connected";
        case ConnectionState::ready: return "ready";
        case ConnectionState::auth_failed: return "auth_failed";
        case ConnectionState::stopped: return "stopped";
    }
    return "unknown";
}

Client::Client(ClientOptions options) {
    const WsUrl url = checked_url(options);
    impl_ = std::make_shared<Impl>(std::move(options), url);
}

Client::~Client() {
    if (!impl_->started) return;
    if (impl_->producer.has_queue()) {
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
    impl_->post([](Impl& s) { s.connect(); });
    // The thread, not a handler, holds the Impl: it is joined before the Impl can go.
    impl_->thread = std::thread([self = impl_] {
        auto guard = net::make_work_guard(self->ioc);
        self->ioc.run();
    });
}

void Client::close() {
    if (!impl_->started || !impl_->thread.joinable()) return;
    impl_->post([](Impl& s) { s.begin_stop(); });
    if (impl_->thread.get_id() == std::this_thread::get_id()) return;  // from a callback
    // finish_stop() stops the io_context; what is left queued in it holds only weak references.
    impl_->thread.join();
}

bool Client::log(std::string_view level, std::string_view message, const Metadata& metadata) {
    return log(level, message, metadata, std::chrono::system_clock::now());
}

bool Client::log(std::string_view level, std::string_view message, const Metadata& metadata,
                 std::chrono::system_clock::time_point when) {
    auto& s = *impl_;
    std::string entry = protocol::entry_object(to_ms(when), level.empty() ? "info" : level, message,
                                               metadata.json());
    // The network thread must never wait for room: only it can make some.
    const bool may_block = s.thread.get_id() != std::this_thread::get_id();
    const auto r = s.producer.push(std::move(entry), may_block);
    switch (r.outcome) {
        case Producer::Pushed::too_large: return false;
        case Producer::Pushed::dropped:
            // Reported from the network thread, one notice per run of drops rather than per entry.
            s.post([](Impl& i) { i.report_dropped(); });
            return false;
        case Producer::Pushed::queued: break;
    }
    if (r.wake == Producer::Wake::pump) s.post([](Impl& i) { i.pump(); });
    if (r.wake == Producer::Wake::arm_timer) s.post([](Impl& i) { i.arm_flush_timer(); });
    return true;
}

void Client::flush() {
    impl_->producer.request_flush();
    impl_->post([](Impl& s) { s.pump(); });
}

bool Client::wait_acknowledged(std::chrono::milliseconds timeout) {
    flush();
    return impl_->producer.wait_empty(timeout);
}

void Client::set_filter(Filter f) {
    impl_->post([f = to_core(f)](Impl& s) mutable {
        if (auto frame = s.resume.set_filter(std::move(f), s.connection->is_open() && s.authed))
            s.write(std::move(*frame));
    });
}

void Client::request_history(std::optional<std::size_t> limit, std::string after_id) {
    impl_->post([limit, after = std::move(after_id)](Impl& s) {
        s.control({protocol::history_request(limit, after), true, true});
    });
}

void Client::request_metrics() {
    impl_->post([](Impl& s) { s.control({protocol::metrics_request(), true, false}); });
}

void Client::clear() {
    impl_->post([](Impl& s) { s.control({protocol::clear_request(), true, false}); });
}

void Client::check_status(StatusHandler h) {
    impl_->post([h = std::move(h)](Impl& s) mutable {
        protocol::Credentials c{s.options.user_id, s.options.app_id, s.options.token};
        s.status_waiters.push_back(std::move(h));
        s.control({protocol::check_status_request(c), false, false});
    });
}

std::string Client::last_seen_id() const { return impl_->resume.last_id(); }

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
    ClientStats s;
    impl_->producer.fill(s);
    s.live_duplicates_skipped = impl_->resume.duplicates_skipped();
    std::lock_guard lock(impl_->mu);
    s.reconnects = impl_->reconnects;
    return s;
}

}  // namespace smartlog
