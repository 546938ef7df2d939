#include "server/server.hpp"

#include <spdlog/spdlog.h>

#include "server/http_session.hpp"
#include "server/routes/health_routes.hpp"
#include "server/routes/logs_routes.hpp"
#include "server/routes/loki_routes.hpp"
#include "server/routes/metrics_route.hpp"
#include "server/routes/otlp_routes.hpp"
#include "server/ws_session.hpp"

namespace smartlog::server {

namespace {

tcp::endpoint resolve_listen(net::io_context& ioc, const std::string& listen) {
    const ListenAddress address = parse_listen(listen);
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(address.host, std::to_string(address.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    return results.begin()->endpoint();
}

}  // namespace

Server::Server(const Config& config, storage::Store& store, core::Clock& clock)
    : config_(config),
      access_(config),
      hub_(ioc_, config.settings, store, clock),
      metrics_(ioc_, config.settings, hub_, stats_),
      tls_(make_tls_context(config.settings)),
      ctx_{ioc_,
           config.settings,
           access_,
           hub_,
           stats_,
           router_,
           metrics_,
           protocol::Limits{config.settings.max_message_bytes, config.settings.max_metadata_bytes},
           {},
           {},
           false,
           {},
           tls_.get()},
      signals_(ioc_, SIGINT, SIGTERM),
      shutdown_deadline_(ioc_) {
    listener_ = std::make_shared<Listener>(ctx_, resolve_listen(ioc_, config.settings.listen));
    for (const SyslogConfig& s : config.syslog) {
        auto listener = std::make_shared<SyslogListener>(ctx_, s);
        spdlog::info("syslog ({}) listening on {}:{} for app \"{}\" as user \"{}\"",
                     s.transport == SyslogTransport::tcp ? "tcp" : "udp", parse_listen(s.listen).host, listener->port(),
                     s.app, s.user);
        syslog_.push_back(std::move(listener));
    }
    add_builtin_routes();
}

Server::~Server() = default;

void Server::add_builtin_routes() {
    router_.add(http::verb::get, "/healthz", [](const HttpRequest& req) {
        return text_response(req, http::status::ok, "application/json", R"({"status":"ok"})");
    });
    routes::add_health_routes(router_, ctx_);
    routes::add_metrics_route(router_, ctx_);
    routes::add_logs_routes(router_, ctx_);
    routes::add_otlp_routes(router_, ctx_);
    routes::add_loki_routes(router_, ctx_);
}

void Server::run() {
    signals_.async_wait([this](beast::error_code ec, int signal) {
        if (ec) return;
        spdlog::info("received signal {}, shutting down", signal);
        stop();
    });
    listener_->run();
    for (auto& s : syslog_) s->run();
    metrics_.start();
    ioc_.run();
    if (!ctx_.sessions.empty()) {
        // The deadline stopped the loop: cut the stragglers and let their handlers finish
        // while everything they point to still exists.
        for (WsSession* s : std::vector<WsSession*>(ctx_.sessions.begin(), ctx_.sessions.end())) s->abort();
        ioc_.restart();
        ioc_.run_for(std::chrono::seconds(2));
    }
    // Everything accepted reaches the disk before exit; then the answers the store posted
    // meanwhile run (and find their connections closed).
    hub_.store().close();
    ioc_.restart();
    ioc_.poll();
}

void Server::stop() {
    if (ctx_.stopping) return;
    ctx_.stopping = true;
    signals_.cancel();
    listener_->stop();
    for (auto& s : syslog_) s->stop();
    metrics_.stop();
    hub_.stop();  // sends pending batches first
    // Copies: sessions leave the sets as they close.
    for (WsSession* s : std::vector<WsSession*>(ctx_.sessions.begin(), ctx_.sessions.end())) {
        s->close_for_shutdown();
    }
    for (HttpSession* s : std::vector<HttpSession*>(ctx_.http_sessions.begin(), ctx_.http_sessions.end())) {
        s->stop();
    }
    // Sessions close themselves within their grace period; this bounds the rest.
    shutdown_deadline_.expires_after(std::chrono::seconds(5));
    shutdown_deadline_.async_wait([this](beast::error_code ec) {
        if (ec) return;
        spdlog::warn("shutdown: {} connections did not close in time", ctx_.sessions.size());
        ioc_.stop();
    });
    // The deadline must not keep run() alive once every session is gone.
    net::post(ioc_, [this] { wait_for_sessions(); });
}

void Server::wait_for_sessions() {
    if (ctx_.sessions.empty() && ctx_.http_sessions.empty()) {
        shutdown_deadline_.cancel();
        return;
    }
    auto poll = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(10));
    poll->async_wait([this, poll](beast::error_code ec) {
        if (!ec) wait_for_sessions();
    });
}

}  // namespace smartlog::server
