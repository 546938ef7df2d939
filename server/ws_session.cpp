#include "server/ws_session.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <linux/sockios.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include "core/overloaded.hpp"
#include "core/units.hpp"
#include "protocol/encode.hpp"
#include "server/ingest_limit.hpp"
#include "server/metrics_sampler.hpp"

namespace smartlog::server {

namespace {

// What one read asks Beast for: the first read of a message 1 KiB, each further read of the
// same message as much as it holds so far, up to 64 KiB. A small request (most control
// messages) then keeps a small buffer, and a 30 KB batch takes six reads instead of thirty,
// each one trip through the io_context queue. Large reads cost nothing more in Beast's UTF-8
// check of a text frame since that check is ours (websocket/utf8_checker.cpp); with Boost
// 1.81's own, which goes byte by byte from a read's first non-ASCII byte on, reads were kept
// at 1 KiB. The reads cost no system call each: FlexStream serves them from one recv of up to
// 64 KiB (server/flex_stream.hpp; over TLS, the TLS layer's record buffer does).
constexpr std::size_t kFirstReadChunk = 1024;
constexpr std::size_t kMaxReadChunk = 64 * 1024;
constexpr int kMaxRejectedBeforeAuth = 10;
// Refusals for control_rate_limit a connection may collect, and how fast it is forgiven: a
// client that keeps on at several times its rate is closed within seconds; one that crosses
// the rate now and then only gets `rate_limited`.
constexpr std::uint64_t kControlStrikes = 50;
constexpr std::uint64_t kControlStrikesPerSecond = 1;
// A control message spends one token of control_rate_limit, plus one per whole this many bytes
// of its text: a ping padded to 1 MiB (1 KiB on the wire with permessage-deflate) costs what 17
// small ones do, so the rate bounds the bytes a connection makes the server inflate and parse,
// not only the messages.
constexpr std::size_t kControlBytesPerToken = 64 * 1024;

// A history answer leaves in pages of about this many bytes of entries, or a quarter of the
// connection's bound when that is less: it never holds more than its bound and one page.
constexpr std::size_t kHistoryPageBytes = 1u << 20;

// Every pong is the same frame: one shared buffer, so a ping flood costs the gate's overhead
// per frame and no allocation.
const SharedFrame& pong() {
    static const SharedFrame frame = std::make_shared<const std::string>(protocol::pong_frame());
    return frame;
}

// permessage-deflate: 2^10-byte windows (Beast's zlib needs more than 8 bits) and a small hash.
constexpr int kDeflateWindowBits = 10;
constexpr int kDeflateMemLevel = 2;
// Messages under this size leave uncompressed: zlib saves a few hundred bytes on them at most,
// and a connection that only ever gets small ones (auth_success, pong, metrics) never sets up
// its compressor's buffers, 6 KiB of an idle connection's memory.
constexpr std::size_t kDeflateMinMessageBytes = 1024;

// Beast's message limit: above ours (on_read answers up to there with `error` and 1009),
// never 0 (unlimited), saturating for a max_frame_bytes near the top of the range.
std::uint64_t read_message_max(std::uint64_t max_frame_bytes) {
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    return max_frame_bytes > kMax / 2 ? kMax : 2 * max_frame_bytes + 1;
}

std::string_view auth_error_text(core::auth_errc code) {
    switch (code) {
        case core::auth_errc::invalid_credentials: return "unknown user or wrong token";
        case core::auth_errc::no_access: return "no access to this app";
        case core::auth_errc::app_inactive: return "this app is inactive";
        case core::auth_errc::bad_request: return "malformed auth message";
    }
    return "authentication refused";
}

}  // namespace

WsSession::WsSession(FlexStream&& stream, ServerContext& ctx, Slot slot)
    : ws_(std::move(stream)),
      ctx_(ctx),
      timer_(ws_.get_executor()),
      slot_(std::move(slot)),
      queue_(ctx.settings.max_outbound_bytes) {
    created_ = last_received_ = last_ping_ = peer_progress_ = clock::now();
    ingest_budget_ = connection_ingest_budget(ctx_.settings, created_);
    const auto& s = ctx_.settings;
    control_budget_ = core::TokenBucket(
        s.control_rate_limit, s.control_rate_burst ? s.control_rate_burst : s.control_rate_limit,
        created_);
    control_strikes_ = core::TokenBucket(kControlStrikesPerSecond, kControlStrikes, created_);
    ctx_.sessions.insert(this);
    ++ctx_.stats.ws_sessions;
    ++ctx_.stats.open_connections;
}

WsSession::~WsSession() {
    leave_app();
    ctx_.sessions.erase(this);
    --ctx_.stats.ws_sessions;
    --ctx_.stats.open_connections;
}

const std::string& WsSession::app_id() const noexcept {
    static const std::string kNone;
    return app_ ? app_->id : kNone;
}

bool WsSession::receives_live() const noexcept {
    return authenticated_ && mode_ == protocol::Mode::viewer && grant_.has(Permission::read);
}

void WsSession::run(http::request<http::string_body> request) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.next_layer().use_websocket_io();  // server/flex_stream.hpp
    websocket::stream_base::timeout timeouts{};
    // Bounds the opening and the closing handshakes; idleness is ours to judge (docs/protocol.md).
    timeouts.handshake_timeout =
        std::min<clock::duration>(ctx_.settings.auth_timeout, std::chrono::seconds(5));
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(http::field::server, "smartlogd/" SMARTLOG_VERSION);
    }));
    if (ctx_.settings.ws_deflate) {
        // Small windows and no context kept between messages on our side: a connection's
        // compressor and decompressor cost a few KiB instead of 135 (docs/performance.md,
        // "WebSocket compression"). Our frames are JSON batches compressed one at a time.
        websocket::permessage_deflate deflate;
        deflate.server_enable = true;
        deflate.server_max_window_bits = kDeflateWindowBits;
        deflate.client_max_window_bits = kDeflateWindowBits;
        deflate.server_no_context_takeover = true;
        deflate.memLevel = kDeflateMemLevel;
        deflate.msg_size_threshold = kDeflateMinMessageBytes;
        ws_.set_option(deflate);
    }
    // Frame size is enforced by on_read, so the client gets an `error` and a reason first.
    // buffer_ holds inflated bytes when permessage-deflate is on, so that check counts them.
    // Beast's own limit stays finite all the same: it is its only check of a frame's declared
    // length, which refuses a 64-bit length with its top bit set (RFC 6455 5.2). A frame that
    // declares more than twice our limit is closed by Beast with 1009 before any is read.
    ws_.read_message_max(read_message_max(ctx_.settings.max_frame_bytes));
    ws_.auto_fragment(false);
    ws_.text(true);
    ws_.control_callback(
        [this](websocket::frame_type, beast::string_view) { last_received_ = clock::now(); });
    // Until auth succeeds, a newer connection may displace this one (docs/security.md). During
    // the opening handshake there is no WebSocket to close yet: the socket is.
    slot_.set_waiting(true);
    slot_.on_displace([weak = weak_from_this()] {
        if (auto self = weak.lock()) self->abort();
    });
    ws_.async_accept(request, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
}

void WsSession::on_accept(beast::error_code ec) {
    if (ec) return fail(ec, "accept");
    slot_.on_displace([weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->close_with(
                websocket::close_code::try_again_later, "too many unauthenticated connections",
                core::errc::unauthenticated,
                "closed to make room: too many connections were waiting to authenticate "
                "(max_unauthenticated_connections); authenticate sooner after connecting");
        }
    });
    last_received_ = clock::now();
    arm_timer(
        std::min<clock::duration>(ctx_.settings.auth_timeout, ctx_.settings.idle_timeout / 3));
    do_read();
}

// ---- reading -------------------------------------------------------------------------------

void WsSession::do_read() {
    if (closing_ || reading_) return;
    reading_ = true;
    const std::size_t room = ctx_.settings.max_frame_bytes + 1 - buffer_.size();
    const std::size_t chunk = std::clamp(buffer_.size(), kFirstReadChunk, kMaxReadChunk);
    ws_.async_read_some(buffer_, std::min(room, chunk),
                        beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
}

void WsSession::on_read(beast::error_code ec, std::size_t bytes) {
    reading_ = false;
    if (ec) return fail(ec, "read");
    ctx_.stats.bytes_received += bytes;
    last_received_ = clock::now();
    if (closing_) return;
    if (buffer_.size() > ctx_.settings.max_frame_bytes) {
        return close_with(websocket::close_code::too_big, "message too big", core::errc::too_large,
                          "message is larger than max_frame_bytes (" +
                              core::format_size(ctx_.settings.max_frame_bytes) + ")");
    }
    if (!ws_.is_message_done()) return do_read();

    if (!ws_.got_text()) {
        reject(core::errc::bad_request, "binary frames are not supported: send JSON text", {});
    } else {
        handle_frame({static_cast<const char*>(buffer_.data().data()), buffer_.size()});
    }
    buffer_.consume(buffer_.size());
    if (closing_) return;
    if (read_blocked()) {
        // The client is not reading its answers, a history answer is still leaving, or storage
        // is behind: read its next request once that has changed (resume_reading_if_room).
        read_paused_ = true;
        return;
    }
    do_read();
}

bool WsSession::read_blocked() const noexcept {
    return queue_.over_bound() || history_.has_value() || held_logs_.has_value() ||
           held_history_.has_value();
}

void WsSession::resume_reading_if_room() {
    if (read_paused_ && !closing_ && !read_blocked()) {
        read_paused_ = false;
        do_read();
    }
}

void WsSession::handle_frame(std::string_view text) {
    // The arena lives in the shared buffer for this message only (protocol::with_decoded_frame):
    // a document (messages other than `logs`) costs no per-node malloc and no destructor walk.
    protocol::with_decoded_frame(
        text, ctx_.limits, ctx_.parse_buffer, /*utf8_checked=*/true,
        [this, bytes = text.size()](
            boost::system::result<protocol::Frame, protocol::ProtocolError> frame) {
            handle_decoded(frame, bytes);
        });
}

void WsSession::handle_decoded(
    boost::system::result<protocol::Frame, protocol::ProtocolError>& frame, std::size_t bytes) {
    if (!frame) return reject(frame.error().code, frame.error().message, {});
    if (!authenticated_ && !protocol::allowed_before_auth(frame->type)) {
        return reject(
            core::errc::unauthenticated,
            "not authenticated: send {\"type\":\"auth\",\"data\":{\"userId\",\"appId\"}} first",
            frame->ref);
    }
    if (frame->type != "logs" && !admit_control(frame->ref, bytes)) return;
    if (!frame->request) {
        if (frame->type == "auth") {
            reply(protocol::auth_error_frame(core::auth_errc::bad_request,
                                             frame->request.error().message));
            count_refusal_before_auth();
            return;
        }
        return reject(frame->request.error().code, frame->request.error().message, frame->ref);
    }
    dispatch(frame->ref, *frame->request);
}

void WsSession::dispatch(const std::string& ref, protocol::Request& request) {
    std::visit(core::overloaded{
                   [&](protocol::AuthRequest& r) { on_auth(r); },
                   [&](protocol::FilterRequest& r) {
                       if (!require(Permission::read, ref)) return;
                       filter_ = std::move(r.filter);
                       reply(protocol::filter_applied_frame(filter_));
                   },
                   [&](protocol::ClearRequest&) {
                       if (!require(Permission::clear, ref)) return;
                       ctx_.hub.clear(*app_, user_id_, *this,
                                      [weak = weak_from_this(), ref](std::error_code ec) {
                                          auto self = weak.lock();
                                          if (self && !self->closing_)
                                              self->reject(core::errc::unavailable,
                                                           "clear failed: Redis is " + ec.message(),
                                                           ref);
                                      });
                   },
                   [&](protocol::MetricsRequest&) {
                       if (require(Permission::read, ref)) reply(ctx_.metrics.frame_for(*app_));
                   },
                   [&](protocol::HistoryRequest& r) {
                       if (require(Permission::read, ref)) on_history(r);
                   },
                   [&](protocol::LogsRequest& r) {
                       if (require(Permission::write, ref)) on_logs(r, ref);
                   },
                   [&](protocol::SendMetricsRequest& r) {
                       if (require(Permission::write, ref)) on_send_metrics(r);
                   },
                   [&](protocol::CheckStatusRequest& r) { on_check_status(r); },
                   [&](protocol::PingRequest&) { reply(pong()); },
               },
               request);
}

// ---- messages ------------------------------------------------------------------------------

void WsSession::on_auth(const protocol::AuthRequest& req) {
    auto grant = ctx_.access.authenticate(req.credentials);
    if (!grant) {
        // A refused re-authentication leaves the connection as it was.
        reply(protocol::auth_error_frame(grant.error(), auth_error_text(grant.error())));
        count_refusal_before_auth();
        return;
    }
    // The same user and app again (clients re-send auth every few seconds): the connection
    // keeps its filter, its place in the live stream and what it was told it missed.
    const bool same = authenticated_ && app_ && app_->id == req.credentials.app_id &&
                      user_id_ == req.credentials.user_id;
    if (!same) {
        // Leave first: an app only this connection used is then idle, and may make room under
        // max_apps for the new one (open mode).
        AppChannel* previous = std::exchange(app_, nullptr);
        if (previous) ctx_.hub.leave(*previous, *this);
        AppChannel* app = ctx_.hub.open_channel(req.credentials.app_id, app_cap(ctx_));
        if (!app) {
            // Refused, so nothing was freed: the previous app is still there to go back to.
            if (previous) ctx_.hub.join(*(app_ = previous), *this);
            reply(protocol::auth_error_frame(core::auth_errc::no_access,
                                             too_many_apps_message(ctx_)));
            count_refusal_before_auth();
            return;
        }
        authenticated_ = true;
        slot_.set_waiting(false);
        user_id_ = req.credentials.user_id;
        filter_ = {};
        lagging_ = false;
        missed_ = 0;
        held_notice_.reset();
        history_.reset();
        held_history_.reset();
        history_high_water_.clear();
        app_ = app;
        ctx_.hub.join(*app_, *this);
        // Entries still in the pending batch will reach this viewer live; the newest one before
        // them is where a `dropped` notice would tell it to resume from.
        const std::size_t kept =
            app_->history.size() - std::min(app_->history.size(), app_->batcher.size());
        last_live_id_ = kept ? std::string(app_->history.at(kept - 1)->id()) : std::string();
    }
    token_digest_ = token_digest(req.credentials);
    grant_ = std::move(*grant);
    mode_ = req.mode;
    reply(protocol::auth_success_frame(app_->id, user_id_, grant_.names(),
                                       ctx_.settings.history_limit, mode_));
    // A history answer or a held message of the old app has no place in the new one.
    resume_reading_if_room();
}

bool WsSession::revalidate(const AccessControl& access) {
    if (!authenticated_ || closing_) return true;
    auto grant = access.authenticate(user_id_, token_digest_, app_->id);
    if (grant) {
        grant_ = std::move(*grant);
        return true;
    }
    close_with(websocket::close_code::policy_error, "access withdrawn by a configuration reload",
               core::errc::forbidden,
               fmt::format("access withdrawn by a configuration reload: {}",
                           auth_error_text(grant.error())));
    return false;
}

void WsSession::on_history(const protocol::HistoryRequest& req) {
    if (!ctx_.hub.history_ready(*app_, req.after_id)) {
        // Cluster mode: this node's history of the app is not in step with the bus yet (or has
        // not received `afterId`): answer once it is, and read nothing more meanwhile.
        held_history_ = req;
        const std::uint64_t seq = ++held_history_seq_;
        ctx_.hub.when_history_ready(*app_, req.after_id, [weak = weak_from_this(), seq] {
            auto self = weak.lock();
            // A re-authentication drops the held request; a later one has a waiter of its own.
            if (!self || !self->held_history_ || self->held_history_seq_ != seq) return;
            auto held = std::move(*self->held_history_);
            self->held_history_.reset();
            if (!self->closing_ && self->app_) self->answer_history(held);
            self->resume_reading_if_room();
        });
        return;
    }
    answer_history(req);
}

void WsSession::answer_history(const protocol::HistoryRequest& req) {
    const std::size_t limit =
        std::min(req.limit.value_or(ctx_.settings.history_limit), ctx_.settings.history_limit);
    std::optional<std::string_view> after;
    if (req.after_id) after = *req.after_id;
    // The answer holds every entry acknowledged before this request, those still waiting in
    // the app's live batch included; later live batches skip what it held (offer_batch).
    const core::RingHistory& ring = app_->history;
    HistoryAnswer answer{filter_, 0, ring.end_seq(), false, req.response_type};
    answer.next = ring.answer_start(filter_, limit, after, answer.end, answer.gap);
    if (ring.size() > 0) {
        history_high_water_ = ring.at(ring.size() - 1)->id();
        last_live_id_ = history_high_water_;
    }
    // What this viewer missed so far is in the answer: only what comes after it counts.
    if (lagging_) missed_ = 0;
    history_ = std::move(answer);
    continue_history();
}

// One page per call; the completion of each write calls again. Building pages up to the bound
// at once held the network thread for the whole bound (8 MiB by default) per answer, and
// every other connection waited behind each dashboard that opened.
void WsSession::continue_history() {
    const std::size_t page_bytes = std::min(kHistoryPageBytes, queue_.bound() / 4 + 1);
    if (history_ && !closing_ && !queue_.over_bound()) {
        HistoryAnswer& a = *history_;
        auto page = app_->history.page(a.filter, a.next, a.end, page_bytes);
        a.next = page.next;
        const bool gap = a.gap || page.gap;
        a.gap = false;
        const bool last = a.next >= std::min(a.end, app_->history.end_seq());
        reply(protocol::history_frame(page.entries, gap, /*more=*/!last, a.response_type));
        if (last) history_.reset();
    }
    if (!history_ && missed_ > 0 && !lagging_) {
        // Live entries that arrived while the answer was leaving were skipped: say so once
        // the queue has drained, as for a viewer that lagged.
        lagging_ = true;
    }
}

void WsSession::on_logs(protocol::LogsRequest& req, const std::string& ref) {
    if (ctx_.hub.ingest_throttled(*app_)) {
        // Storage is behind (or this app's history is loading behind many waiting entries):
        // hold this message and read nothing more from this producer until it has caught up.
        // Nothing is refused and nothing acknowledged is lost.
        held_logs_.emplace(std::move(req), ref);
        ctx_.hub.when_ingest_ready([weak = weak_from_this()] {
            if (auto self = weak.lock()) self->resume_held_logs();
        });
        return;
    }
    // Every entry of the message counts, valid or not: refused whole, it stores nothing.
    const auto verdict = admit_entries(*app_, &ingest_budget_,
                                       req.accepted.size() + req.rejected.size(), clock::now());
    if (!verdict.admitted()) {
        // Too many entries for the burst can never pass: too_large tells the client not to resend.
        return reject(verdict.outcome == IngestVerdict::Outcome::over_burst
                          ? core::errc::too_large
                          : core::errc::rate_limited,
                      verdict.message, ref);
    }
    app_->rejected += req.rejected.size();
    std::vector<std::size_t> indices;
    indices.reserve(req.accepted.size());
    for (const auto& e : req.accepted) indices.push_back(e.index);
    auto ack = [weak = weak_from_this(), ref, indices = std::move(indices),
                rejected = std::move(req.rejected)](std::error_code ec) mutable {
        auto self = weak.lock();
        if (!self) return;
        if (ec == core::errc::unavailable) {
            // Cluster mode: Redis did not take them; nothing was stored, the producer retries.
            return self->reject(core::errc::unavailable,
                                "entries not stored: Redis is unavailable; retry", ref);
        }
        if (ec) {
            // Acknowledge nothing the store could not keep (durability=sync): the producer may
            // send those entries again.
            for (std::size_t index : indices)
                rejected.push_back({index, "not stored: " + ec.message()});
            std::sort(rejected.begin(), rejected.end(),
                      [](const auto& a, const auto& b) { return a.index < b.index; });
            return self->reply(protocol::logs_ack_frame(ref, 0, rejected));
        }
        self->reply(protocol::logs_ack_frame(ref, indices.size(), rejected));
    };
    ctx_.hub.ingest_once(*app_, user_id_, ref, std::move(req.accepted),
                         std::function<void(std::error_code)>(std::move(ack)));
}

void WsSession::resume_held_logs() {
    if (!held_logs_ || closing_) return;
    auto [req, ref] = std::move(*held_logs_);
    held_logs_.reset();
    // A re-authentication may have taken the write permission away in the meantime.
    if (app_ && require(Permission::write, ref)) on_logs(req, ref);
    resume_reading_if_room();
}

bool WsSession::admit_control(const std::string& ref, std::size_t bytes) {
    const auto now = clock::now();
    // At most the whole burst, so that any message max_frame_bytes lets in can pass.
    const std::uint64_t cost = std::min<std::uint64_t>(
        1 + bytes / kControlBytesPerToken, std::max<std::uint64_t>(control_budget_.burst(), 1));
    if (control_budget_.try_take(cost, now).allowed) return true;
    if (!control_strikes_.try_take(1, now).allowed) {
        close_with(
            websocket::close_code::policy_error, "too many control messages",
            core::errc::rate_limited,
            fmt::format("more than control_rate_limit ({}/s) control messages, again and again",
                        ctx_.settings.control_rate_limit));
        return false;
    }
    ++ctx_.stats.frames_rejected;
    ++ctx_.stats.control_rate_limited;
    reply(protocol::error_frame(
        core::errc::rate_limited,
        fmt::format("over control_rate_limit ({} control messages per second): slow down",
                    ctx_.settings.control_rate_limit),
        ref));
    return false;
}

void WsSession::on_send_metrics(const protocol::SendMetricsRequest& req) {
    ctx_.hub.send_app_metrics(*app_, user_id_, req.metrics,
                              req.timestamp.value_or(ctx_.hub.clock().now_ms()));
}

void WsSession::on_check_status(const protocol::CheckStatusRequest& req) {
    bool credentials_ok = false;
    const auto status = ctx_.access.status(req.credentials, credentials_ok);
    reply(protocol::status_response_frame(credentials_ok,
                                          credentials_ok ? "ok" : "invalid credentials", status));
}

void WsSession::reject(core::errc code, std::string_view message, const std::string& ref) {
    ++ctx_.stats.frames_rejected;
    reply(protocol::error_frame(code, message, ref));
    count_refusal_before_auth();
}

void WsSession::count_refusal_before_auth() {
    if (!authenticated_ && ++rejected_before_auth_ > kMaxRejectedBeforeAuth) {
        close_with(websocket::close_code::policy_error, "too many unauthenticated messages");
    }
}

bool WsSession::require(Permission p, const std::string& ref) {
    if (grant_.has(p)) return true;
    reject(
        core::errc::forbidden,
        fmt::format("this needs the \"{}\" permission on app \"{}\"", permission_name(p), app_->id),
        ref);
    return false;
}

void WsSession::leave_app() {
    if (app_) ctx_.hub.leave(*app_, *this);
    app_ = nullptr;
}

// ---- delivery ------------------------------------------------------------------------------

std::size_t WsSession::offer_batch(std::span<const core::EntryPtr> batch,
                                   const SharedFrame& frame) {
    if (!receives_live() || closing_ || batch.empty()) return 0;
    // Entries up to the high-water mark were in a history answer already.
    bool partial = false;
    if (!history_high_water_.empty()) {
        std::size_t skip = 0;
        while (skip < batch.size() && batch[skip]->id() <= history_high_water_) ++skip;
        if (skip == batch.size()) return 0;
        if (skip > 0) {
            batch = batch.subspan(skip);
            partial = true;
        }
        history_high_water_.clear();
    }
    std::vector<core::EntryPtr> selected;
    std::size_t matching = batch.size();
    const bool own_frame = partial || !filter_.accepts_all();
    if (own_frame) {
        for (const auto& e : batch) {
            if (filter_.matches(*e)) selected.push_back(e);
        }
        matching = selected.size();
    }
    if (lagging_ || history_) {
        // A lagging viewer, or one whose history answer is still leaving: these entries are
        // skipped, counted, and announced with `dropped` once it has caught up.
        missed_ += matching;
        ctx_.stats.entries_dropped += matching;
        return 0;
    }
    if (matching == 0) {
        last_live_id_ = batch.back()->id();
        return 0;
    }
    SharedFrame out =
        own_frame ? std::make_shared<const std::string>(protocol::logs_frame(selected)) : frame;
    if (!queue_.offer(std::move(out), FrameKind::live)) {
        // From here on this viewer misses live batches until its queue has drained.
        lagging_ = true;
        missed_ = matching;
        ctx_.stats.entries_dropped += matching;
        return 0;
    }
    if (!writing_) do_write();
    last_live_id_ = batch.back()->id();
    return matching;
}

void WsSession::offer_frame(const SharedFrame& frame, FrameKind kind) {
    if (kind == FrameKind::notice) {
        offer_notice(frame);
    } else {
        offer_shared(frame);
    }
}

void WsSession::offer_shared(const SharedFrame& frame) {
    if (!receives_live() || closing_ || lagging_) return;
    if (!queue_.offer(frame, FrameKind::live)) {
        ++ctx_.stats.frames_skipped;
        return;
    }
    if (!writing_) do_write();
}

void WsSession::offer_notice(const SharedFrame& frame) {
    if (closing_) return;
    if (lagging_ || !queue_.offer(frame, FrameKind::notice)) {
        // Sent once this session has caught up; a newer notice replaces an older one.
        held_notice_ = frame;
        lagging_ = true;
        return;
    }
    if (!writing_) do_write();
}

void WsSession::reply(SharedFrame frame) {
    if (closing_) return;
    queue_.offer(std::move(frame), FrameKind::reply);
    if (!writing_) do_write();
}

void WsSession::reply(std::string frame) {
    reply(std::make_shared<const std::string>(std::move(frame)));
}

void WsSession::close_for_shutdown() {
    close_with(websocket::close_code::going_away, "server shutting down", std::nullopt, {}, true);
}

void WsSession::abort() {
    closing_ = true;
    timer_.cancel();
    beast::get_lowest_layer(ws_).close();
}

// ---- writing -------------------------------------------------------------------------------

void WsSession::do_write() {
    // One write in flight: replies queued from inside on_write may already have started it.
    if (writing_ || queue_.empty()) return;
    writing_ = true;
    queue_.start_writing();
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
}

void WsSession::on_write(beast::error_code ec, std::size_t bytes) {
    writing_ = false;
    if (ec) return fail(ec, "write");
    ctx_.stats.bytes_sent += bytes;
    bytes_written_ += bytes;
    queue_.pop_front();
    if (queue_.empty() && closing_) return start_close();
    if (!closing_) continue_history();
    if (queue_.empty() && lagging_ && !history_) {
        // Caught up: say what was missed and where to fetch it, then go live again.
        lagging_ = false;
        if (held_notice_) queue_.offer(std::move(held_notice_), FrameKind::reply);
        held_notice_.reset();
        if (missed_ > 0)
            queue_.offer(std::make_shared<const std::string>(
                             protocol::dropped_frame(missed_, last_live_id_)),
                         FrameKind::reply);
        missed_ = 0;
    }
    if (!queue_.over_bound()) over_bound_since_.reset();
    do_write();
    resume_reading_if_room();
}

// ---- timers and closing --------------------------------------------------------------------

void WsSession::arm_timer(clock::duration after) {
    timer_.expires_after(after);
    timer_.async_wait(beast::bind_front_handler(&WsSession::on_timer, shared_from_this()));
}

void WsSession::on_timer(beast::error_code ec) {
    if (ec) return;
    const auto now = clock::now();
    const auto& s = ctx_.settings;
    if (closing_) {
        if (now >= close_deadline_) {
            // The peer takes nothing, not even a close frame.
            beast::get_lowest_layer(ws_).close();
            return;
        }
        return arm_timer(close_deadline_ - now);
    }
    if (!authenticated_ && now - created_ >= s.auth_timeout) {
        return close_with(websocket::close_code::policy_error, "authentication timeout",
                          core::errc::unauthenticated,
                          "not authenticated within auth_timeout (" +
                              core::format_duration(s.auth_timeout) + ")");
    }
    if (peer_stalled(now)) {
        return close_with(websocket::close_code::try_again_later, "not reading");
    }
    if (queue_.over_bound()) {
        // Replies beyond the bound are allowed for a moment, not for good.
        if (!over_bound_since_) over_bound_since_ = now;
        if (now - *over_bound_since_ >= s.idle_timeout) {
            return close_with(websocket::close_code::try_again_later, "not reading fast enough");
        }
    } else {
        over_bound_since_.reset();
    }
    if (now - last_received_ >= s.idle_timeout) {
        return close_with(websocket::close_code::going_away, "idle timeout");
    }
    const auto ping_every = s.idle_timeout / 3;
    if (now - last_ping_ >= ping_every) do_ping();
    auto next = last_ping_ + ping_every - now;
    if (!authenticated_) next = std::min<clock::duration>(next, created_ + s.auth_timeout - now);
    arm_timer(std::max<clock::duration>(next, std::chrono::milliseconds(1)));
}

bool WsSession::peer_stalled(clock::time_point now) {
    // Kernel buffers on both ends take megabytes from a peer that reads nothing, so a write
    // completing proves little. SIOCOUTQ tells how much the peer has not acknowledged yet:
    // what we wrote minus that is what it took.
    int unsent = 0;
    if (::ioctl(beast::get_lowest_layer(ws_).socket().native_handle(), SIOCOUTQ, &unsent) != 0)
        unsent = 0;
    const std::int64_t consumed = static_cast<std::int64_t>(bytes_written_) - unsent;
    const bool data_waiting = writing_ || unsent > 0;
    if (!data_waiting || consumed > peer_consumed_) {
        peer_consumed_ = std::max(peer_consumed_, consumed);
        peer_progress_ = now;
        return false;
    }
    return now - peer_progress_ >= ctx_.settings.idle_timeout;
}

void WsSession::do_ping() {
    last_ping_ = clock::now();
    // Beast holds at most one ping waiting behind a write; a peer that reads nothing keeps the
    // write (so the ping) waiting, and a second one would break Beast's invariant (an assertion
    // in debug builds, seen in protocol_slow). One in flight at a time.
    if (ping_in_flight_) return;
    ping_in_flight_ = true;
    ws_.async_ping(
        {}, [self = shared_from_this()](beast::error_code) { self->ping_in_flight_ = false; });
}

void WsSession::close_with(websocket::close_code close_code, std::string reason,
                           std::optional<core::errc> code, std::string message, bool drain) {
    if (closing_) return;
    closing_ = true;
    leave_app();
    close_reason_ = websocket::close_reason(close_code, reason);
    history_.reset();
    held_logs_.reset();
    held_history_.reset();
    // Only the frame being written finishes, unless asked to drain.
    if (!drain) queue_.drop_waiting();
    if (code)
        queue_.offer(std::make_shared<const std::string>(protocol::error_frame(*code, message)),
                     FrameKind::reply);
    const auto grace = std::clamp<clock::duration>(
        ctx_.settings.idle_timeout, std::chrono::milliseconds(100), std::chrono::seconds(2));
    close_deadline_ = clock::now() + grace;
    arm_timer(grace);
    if (writing_) return;  // on_write continues once the current frame is out
    if (queue_.empty()) return start_close();
    do_write();
}

void WsSession::start_close() {
    if (close_started_) return;
    close_started_ = true;
    ws_.async_close(close_reason_,
                    [self = shared_from_this()](beast::error_code) { self->timer_.cancel(); });
}

void WsSession::fail(beast::error_code ec, const char* what) {
    closing_ = true;
    leave_app();
    timer_.cancel();
    if (ec == net::error::operation_aborted || ec == websocket::error::closed ||
        ec == net::error::eof || ec == net::error::connection_reset ||
        ec == beast::error::timeout) {
        return;
    }
    spdlog::debug("ws session {}: {}: {}", user_id_, what, ec.message());
}

}  // namespace smartlog::server
