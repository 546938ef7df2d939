// server/listener.hpp: accepts TCP connections and starts an HttpSession for each. Net thread.
#pragma once

#include <memory>

#include "server/net.hpp"
#include "server/server_context.hpp"

namespace smartlog::server {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // Binds and listens on `endpoint`; throws boost::system::system_error when it cannot.
    Listener(ServerContext& ctx, const tcp::endpoint& endpoint);

    void run();
    void stop();
    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

private:
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    // Gives `socket` its place (max_connections_per_address, max_unauthenticated_connections)
    // and an HttpSession, or refuses it with 503.
    void admit(tcp::socket socket);

    ServerContext& ctx_;
    tcp::acceptor acceptor_;
    // Paces accepting again after a failed accept (docs/protocol.md, "Limits").
    net::steady_timer retry_timer_;
    bool accept_failing_ = false;
};

}  // namespace smartlog::server
