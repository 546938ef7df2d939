// server/server_context.hpp: what every session of one server shares. Net thread only.
#pragma once

#include <array>
#include <unordered_set>

#include "protocol/limits.hpp"
#include "server/access_control.hpp"
#include "server/config.hpp"
#include "server/connection_slots.hpp"
#include "server/hub.hpp"
#include "server/net.hpp"
#include "server/stats.hpp"

namespace boost::asio::ssl {
class context;
}

namespace smartlog::server {

class MetricsSampler;
class Router;
class WsSession;
class HttpSession;

struct ServerContext {
    net::io_context& ioc;
    const Settings& settings;
    const AccessControl& access;
    Hub& hub;
    Stats& stats;
    const Router& router;
    MetricsSampler& metrics;
    protocol::Limits limits;
    std::unordered_set<WsSession*> sessions;         // every open WebSocket session
    std::unordered_set<HttpSession*> http_sessions;  // every HTTP connection not upgraded
    bool stopping = false;
    // First block of the arena each received frame's JSON document is parsed into (see
    // WsSession::handle_frame). One for the whole net thread: messages are handled one at a time.
    std::array<unsigned char, 64 * 1024> parse_buffer;
    // Set when tls_cert is: every connection must then speak TLS (docs/protocol.md "TLS").
    net::ssl::context* tls = nullptr;
    // Every client connection's place (max_connections_per_address,
    // max_unauthenticated_connections).
    ConnectionSlots slots;
};

}  // namespace smartlog::server
