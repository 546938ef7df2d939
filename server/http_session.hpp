// server/http_session.hpp: one HTTP connection: answers routes, and hands WebSocket upgrades
// of `/` and `/ws` to a WsSession after checking their Origin. With TLS on, it first refuses
// plain text and does the TLS handshake. Net thread only.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "server/connection_slots.hpp"
#include "server/flex_stream.hpp"
#include "server/net.hpp"
#include "server/router.hpp"
#include "server/server_context.hpp"

namespace smartlog::server {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    // `slot` is the connection's place (server/connection_slots.hpp), passed on to a WsSession.
    HttpSession(tcp::socket&& socket, ServerContext& ctx, Slot slot = {});
    ~HttpSession();

    void run();
    // Closes the connection at once (server shutdown).
    void stop();

private:
    void do_detect_tls();
    void on_detect_tls(beast::error_code ec, bool is_tls);
    void on_tls_handshake(beast::error_code ec, std::size_t used);
    void do_read();
    void on_header(beast::error_code ec, std::size_t bytes);
    void on_read(beast::error_code ec, std::size_t bytes);
    void write(HttpResponse res);
    void do_drain();
    void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
    bool origin_allowed(const HttpRequest& req) const;

    FlexStream stream_;
    ServerContext& ctx_;
    Slot slot_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<HttpRequest> request_;
    std::chrono::steady_clock::time_point request_deadline_;
    std::shared_ptr<HttpResponse> response_;
    bool drain_ = false;
    std::uint64_t drain_budget_ = 0;
    std::vector<char> scratch_;
};

}  // namespace smartlog::server
