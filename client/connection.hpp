// client/connection.hpp: the Client's link to the server: one Transport at a time, its write
// queue, the graceful close, and the reconnection delay (exponential backoff with jitter).
// Reasoning: docs/client.md "Reconnection".
//
// Thread rule: network thread only, every call and every callback. Completion handlers hold
// only a weak reference to the Connection, so a handler left in a stopped io_context keeps
// nothing alive and a Connection may be destroyed with handlers still queued. Each transport
// gets a new generation number; a handler of an older one finds its generation stale and
// does nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "client/backoff.hpp"
#include "client/net.hpp"
#include "client/transport.hpp"
#include "client/url.hpp"

namespace smartlog::client {

class Connection : public std::enable_shared_from_this<Connection> {
public:
    // What the connection reports, on the network thread: from a completion handler, or from
    // inside fail() (on_lost) and close() on a link that is not open (on_closed).
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void on_open() = 0;                          // the WebSocket handshake is done
        virtual void on_frame(const std::string& text) = 0;  // one text message
        // The attempt failed or the open link dropped; the transport is gone. Not called for
        // drop() and close(), which the listener asked for.
        virtual void on_lost(const std::string& why) = 0;
        virtual void on_reconnect_due() = 0;  // the delay of reconnect_later() passed
        virtual void on_closed() = 0;         // close() finished (or timed out in the transport)
    };

    struct Options {
        TransportOptions transport;
        std::chrono::milliseconds reconnect_initial{250};
        std::chrono::milliseconds reconnect_max{10'000};
        double reconnect_jitter = 0.5;
    };

    // REQUIRES: tls non-null when url.tls; `listener` and `tls` outlive the Connection.
    Connection(net::io_context& ioc, WsUrl url, Options options, ssl::context* tls,
               Listener& listener);

    enum class Link {
        idle,     // no transport
        opening,  // resolve, connect, TLS and WebSocket handshakes
        open,     // messages flow
        closing,  // close frame queued or sent; nothing more is written
    };
    Link link() const noexcept { return link_; }
    bool is_open() const noexcept { return link_ == Link::open; }

    // Starts an attempt with a new transport. REQUIRES: link() == idle.
    void open();
    // Queues one text message; dropped unless the link is open.
    void write(std::shared_ptr<const std::string> text);
    void write(std::string text) { write(std::make_shared<const std::string>(std::move(text))); }
    // Abandons the transport at once; reports nothing. Queued writes are discarded.
    void drop();
    // Drops the transport and reports on_lost(why), as a failure would (for a server's refusal
    // that calls for a reconnection, such as rate_limited).
    void fail(const std::string& why);
    // An authentication succeeded: the next failure waits reconnect_initial again.
    void authenticated() { backoff_.reset(); }
    // Calls on_reconnect_due() after the next backoff delay; returns the delay.
    std::chrono::milliseconds reconnect_later();
    // Sends what is queued, then the close frame, then reports on_closed(); at once when the
    // link is not open.
    void close();
    // Cancels the reconnection delay and drops the transport: nothing more is reported.
    void stop();

private:
    void do_read(std::uint64_t gen);
    void do_write();
    void on_lost(std::uint64_t gen, const std::string& why);
    void send_close();
    // Forgets the transport and everything queued for it; older handlers become stale.
    void reset();

    net::io_context& ioc_;
    const WsUrl url_;
    const Options options_;
    ssl::context* tls_;
    Listener& listener_;
    Backoff backoff_;
    net::steady_timer reconnect_timer_;

    std::shared_ptr<Transport> transport_;
    std::uint64_t generation_ = 0;
    Link link_ = Link::idle;
    std::deque<std::shared_ptr<const std::string>> write_queue_;
    bool writing_ = false;
};

}  // namespace smartlog::client
