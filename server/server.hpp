// server/server.hpp: one smartlogd: the net thread's io_context and everything it owns.
// Start-up and shutdown live here; see docs/threading.md.
#pragma once

#include <memory>

#include "core/clock.hpp"
#include "server/access_control.hpp"
#include "server/config.hpp"
#include "server/hub.hpp"
#include "server/listener.hpp"
#include "server/metrics_sampler.hpp"
#include "server/router.hpp"
#include "server/server_context.hpp"
#include "server/stats.hpp"
#include "server/syslog_listener.hpp"
#include "server/tls_context.hpp"
#include "storage/store.hpp"

namespace smartlog::server {

class Server {
public:
    // Binds the listening socket; throws on a bad address or a port in use, and ConfigError on
    // unusable tls_cert / tls_key.
    Server(const Config& config, storage::Store& store, core::Clock& clock);
    ~Server();

    // Routes added before run() are served (the dashboard, the HTTP API).
    Router& router() { return router_; }
    ServerContext& context() { return ctx_; }
    tcp::endpoint local_endpoint() const { return listener_->local_endpoint(); }
    // True when the port speaks TLS only (https://, wss://).
    bool tls() const noexcept { return tls_ != nullptr; }

    // Serves until SIGINT or SIGTERM (SIGHUP re-reads apps and users: reload()), then shuts down
    // cleanly: stop accepting, send pending batches, close every connection with 1001, wait for
    // them (at most a few seconds), then close the store, which commits what it still holds.
    void run();
    // Begins the same shutdown from the net thread.
    void stop();

private:
    void add_builtin_routes();
    void wait_for_sessions();
    void wait_for_hangup();
    // Re-reads [[apps]] and [[users]] from the config file and checks every WebSocket session
    // against them; a file that does not load leaves everything as it was. docs/security.md.
    void reload();

    net::io_context ioc_{1};
    const Config& config_;
    Stats stats_;
    AccessControl access_;
    Hub hub_;
    MetricsSampler metrics_;
    Router router_;
    std::unique_ptr<net::ssl::context> tls_;
    ServerContext ctx_;
    std::shared_ptr<Listener> listener_;
    std::vector<std::shared_ptr<SyslogListener>> syslog_;  // the [[syslog]] listeners
    net::signal_set signals_;
    net::signal_set hangup_;
    net::steady_timer shutdown_deadline_;
};

}  // namespace smartlog::server
