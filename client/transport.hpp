// client/transport.hpp: one WebSocket connection, ws:// or wss://, behind one interface so
// that the client's logic is written once. Network thread only: every call and every handler
// runs on the io_context the transport was made with.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "client/net.hpp"
#include "client/url.hpp"

namespace smartlog::client {

class Transport {
public:
    using Handler = std::function<void(beast::error_code)>;
    using ReadHandler = std::function<void(beast::error_code, std::string)>;

    virtual ~Transport() = default;
    // Resolves, connects, does the TLS handshake for wss://, then the WebSocket handshake.
    // Fails with beast::error::timeout when it takes longer than the connect timeout.
    virtual void async_open(Handler done) = 0;
    // Reads one whole message. REQUIRES: open, and no other read outstanding.
    virtual void async_read(ReadHandler done) = 0;
    // Writes one text message; `text` lives until `done`. REQUIRES: no other write outstanding.
    virtual void async_write(std::shared_ptr<const std::string> text, Handler done) = 0;
    // Sends a close frame and waits for the peer's, within the connect timeout.
    virtual void async_close(Handler done) = 0;
    // Abandons the connection at once; outstanding handlers complete with operation_aborted.
    virtual void abort() = 0;
};

struct TransportOptions {
    std::chrono::milliseconds connect_timeout{5000};
    // Beast pings a silent server after half of this and drops the connection after all of it,
    // so a server that vanished without closing is noticed.
    std::chrono::milliseconds idle_timeout{30'000};
    std::size_t read_message_max = 256 * 1024 * 1024;
};

// REQUIRES: tls_context non-null when url.tls.
std::shared_ptr<Transport> make_transport(net::io_context& ioc, const WsUrl& url,
                                          const TransportOptions& options,
                                          ssl::context* tls_context);

}  // namespace smartlog::client
