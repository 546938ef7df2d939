// server/ws_session.hpp: one WebSocket connection speaking the protocol of docs/protocol.md.
// Net thread only (docs/threading.md). Every frame it owes its client passes one gate, its
// OutboundQueue (server/outbound_queue.hpp): live data that does not fit is skipped and later
// reported with `dropped`; answers are never dropped, but reading stops while the queue is over
// max_outbound_bytes; large history answers leave in pages as room frees.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/entry.hpp"
#include "core/filter.hpp"
#include "core/token_bucket.hpp"
#include "protocol/codec.hpp"
#include "server/access_control.hpp"
#include "server/connection_slots.hpp"
#include "server/flex_stream.hpp"
#include "server/hub.hpp"
#include "server/outbound_queue.hpp"
#include "server/net.hpp"
#include "server/server_context.hpp"
#include "server/subscriber.hpp"

namespace smartlog::server {

class WsSession final : public Subscriber, public std::enable_shared_from_this<WsSession> {
public:
    // `slot`: the connection's place (server/connection_slots.hpp), waiting until auth succeeds.
    WsSession(FlexStream&& stream, ServerContext& ctx, Slot slot = {});
    ~WsSession();

    // Completes the upgrade of `request` and starts the session.
    void run(http::request<http::string_body> request);

    // Subscriber. True for an authenticated viewer with the read permission.
    bool receives_live() const noexcept override;
    // Queues the entries of `batch` that pass this session's filter (the shared `frame` when
    // all do). Returns how many were queued; counts the rest as missed while lagging.
    std::size_t offer_batch(std::span<const core::EntryPtr> batch,
                            const SharedFrame& frame) override;
    // Live data that is not a batch (metrics, app_metrics) is skipped, and not reported, when
    // it does not fit; a notice (`cleared`) is kept and sent once the session has caught up.
    void offer_frame(const SharedFrame& frame, FrameKind kind) override;
    // After a configuration reload: checks this session's user, token and app against `access`
    // again. Still allowed: takes the new permissions and returns true. Withdrawn: sends an
    // error saying so, closes with 1008 and the reason, and returns false.
    bool revalidate(const AccessControl& access);
    // Closes with 1001 at server shutdown.
    void close_for_shutdown();
    // Closes the socket at once, without a close handshake.
    void abort();

    const std::string& app_id() const noexcept;
    // What the gate charges for the frames this session holds.
    std::size_t queued_bytes() const noexcept { return queue_.charged(); }

private:
    using clock = std::chrono::steady_clock;

    void on_accept(beast::error_code ec);
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void handle_frame(std::string_view text);
    // What handle_frame() does with the frame once decoded, while its arena lives.
    // `bytes`: the size of the message's text.
    void handle_decoded(boost::system::result<protocol::Frame, protocol::ProtocolError>& frame,
                        std::size_t bytes);
    void dispatch(const std::string& ref, protocol::Request& request);

    void on_auth(const protocol::AuthRequest& req);
    void on_history(const protocol::HistoryRequest& req);
    void answer_history(const protocol::HistoryRequest& req);
    // Queues the next page of the history answer in progress while room allows.
    void continue_history();
    void on_logs(protocol::LogsRequest& req, const std::string& ref);
    // Storage has caught up: ingests the `logs` message held for it, then reads on.
    void resume_held_logs();
    // Admits a control message of `bytes` against control_rate_limit, whose tokens it spends by
    // its size (kControlBytesPerToken); refuses it (and, for a client that keeps on, closes)
    // otherwise.
    bool admit_control(const std::string& ref, std::size_t bytes);
    void on_send_metrics(const protocol::SendMetricsRequest& req);
    void on_check_status(const protocol::CheckStatusRequest& req);

    // Refuses a message with `error`; before auth, the 11th refusal closes with 1008.
    void reject(core::errc code, std::string_view message, const std::string& ref);
    // Counts a refusal before authentication; past kMaxRejectedBeforeAuth, closes with 1008.
    void count_refusal_before_auth();
    bool require(Permission p, const std::string& ref);
    void leave_app();

    void offer_shared(const SharedFrame& frame);
    void offer_notice(const SharedFrame& frame);
    // Queues an answer to this client through the gate; never dropped.
    void reply(SharedFrame frame);
    void reply(std::string frame);
    void do_write();
    void on_write(beast::error_code ec, std::size_t bytes);
    // Whether reading waits: for room in the queue, for a history answer, or for storage.
    bool read_blocked() const noexcept;
    void resume_reading_if_room();

    // True when data waits for the peer and it has taken none of it for idle_timeout.
    bool peer_stalled(clock::time_point now);
    void arm_timer(clock::duration after);
    void on_timer(beast::error_code ec);
    void do_ping();

    // Sends `error` (when `code` is given and the socket still takes it), then a close frame
    // with `close_code` and the short `reason`. What was queued is dropped, unless `drain`:
    // at shutdown the flushed batches go out first.
    void close_with(websocket::close_code close_code, std::string reason,
                    std::optional<core::errc> code = std::nullopt, std::string message = {},
                    bool drain = false);
    void start_close();
    void fail(beast::error_code ec, const char* what);

    websocket::stream<FlexStream> ws_;
    ServerContext& ctx_;
    beast::flat_buffer buffer_;
    net::steady_timer timer_;
    Slot slot_;

    // Identity, once authenticated.
    bool authenticated_ = false;
    std::string user_id_;
    std::optional<TokenDigest> token_digest_;  // to check the session again on reload
    AppChannel* app_ = nullptr;
    Grant grant_;
    protocol::Mode mode_ = protocol::Mode::viewer;
    core::Filter filter_;
    int rejected_before_auth_ = 0;
    core::TokenBucket ingest_budget_;   // connection_rate_limit, kept across re-auth
    core::TokenBucket control_budget_;  // control_rate_limit, kept across re-auth
    // Refusals a client over control_rate_limit may collect before it is closed; refills
    // slowly, so only a client that keeps on is closed.
    core::TokenBucket control_strikes_;

    // Send queue: the gate.
    OutboundQueue queue_;
    bool writing_ = false;
    std::uint64_t bytes_written_ = 0;  // payload bytes handed to the socket
    std::int64_t peer_consumed_ = 0;   // most bytes seen taken by the peer
    clock::time_point peer_progress_;  // when the peer last took something

    // Slow-consumer state (docs/protocol.md).
    bool lagging_ = false;
    std::uint64_t missed_ = 0;
    std::string last_live_id_;  // newest entry this viewer was given or had no need of
    SharedFrame held_notice_;   // a `cleared` that did not fit, sent once caught up
    std::optional<clock::time_point> over_bound_since_;

    // History: the answer leaving in pages, and the newest entry a history answer held, which
    // later live batches skip (history meets live with no duplicate).
    struct HistoryAnswer {
        core::Filter filter;
        std::uint64_t next = 0;  // sequence number (core::RingHistory) to continue from
        std::uint64_t end = 0;   // one past the last entry acknowledged before the request
        bool gap = false;
        std::string response_type;  // HistoryRequest::response_type: the original library's form
    };
    std::optional<HistoryAnswer> history_;
    std::string history_high_water_;

    // A `logs` message held while storage is behind (backpressure).
    std::optional<std::pair<protocol::LogsRequest, std::string>> held_logs_;
    // Cluster mode: a request_history waiting for its app to be in step with the bus.
    std::optional<protocol::HistoryRequest> held_history_;
    std::uint64_t held_history_seq_ = 0;  // which hold the hub's callback answers

    // Reading and liveness.
    bool reading_ = false;
    bool read_paused_ = false;
    clock::time_point created_;
    clock::time_point last_received_;
    clock::time_point last_ping_;
    bool ping_in_flight_ = false;  // do_ping()

    // Closing.
    bool closing_ = false;
    bool close_started_ = false;
    websocket::close_reason close_reason_;
    clock::time_point close_deadline_;
};

}  // namespace smartlog::server
