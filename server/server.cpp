#include "server/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/http_session.hpp"
#include "server/routes/apps_route.hpp"
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
    beast::error_code ec;
    auto results = resolver.resolve(address.host, std::to_string(address.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
        throw ConfigError(fmt::format(
            "cannot listen on {}: the host \"{}\" does not resolve ({}); use an IP address "
            "such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
            listen, address.host, ec ? ec.message() : "no address"));
    }
    return results.begin()->endpoint();
}

// A bind error said with the address and what to do, instead of Asio's "bind: Address already
// in use [system:98 at ...]".
[[noreturn]] void refuse_bind(const std::string& listen, const boost::system::system_error& e) {
    const auto code = e.code();
    const std::string fix =
        "choose another address with --listen HOST:PORT or listen = \"HOST:PORT\" in [server]";
    if (code == net::error::address_in_use) {
        throw ConfigError(
            fmt::format("cannot listen on {}: the address is already in use (another smartlogd, or "
                        "another program, is listening there); stop it, or {}",
                        listen, fix));
    }
    if (code == net::error::access_denied) {
        throw ConfigError(
            fmt::format("cannot listen on {}: permission denied (ports below 1024 need root or "
                        "CAP_NET_BIND_SERVICE); {}",
                        listen, fix));
    }
    if (code == boost::system::errc::address_not_available) {
        throw ConfigError(fmt::format(
            "cannot listen on {}: no network interface of this machine has that address; {}",
            listen, fix));
    }
    throw ConfigError(fmt::format("cannot listen on {}: {}; {}", listen, code.message(), fix));
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
           tls_.get(),
           {}},
      signals_(ioc_, SIGINT, SIGTERM),
      hangup_(ioc_, SIGHUP),
      shutdown_deadline_(ioc_) {
    const tcp::endpoint endpoint = resolve_listen(ioc_, config.settings.listen);
    try {
        listener_ = std::make_shared<Listener>(ctx_, endpoint);
    } catch (const boost::system::system_error& e) {
        refuse_bind(config.settings.listen, e);
    }
    for (const SyslogConfig& s : config.syslog) {
        auto listener = std::make_shared<SyslogListener>(ctx_, s);
        spdlog::info("syslog ({}) listening on {}:{} for app \"{}\" as user \"{}\"",
                     s.transport == SyslogTransport::tcp ? "tcp" : "udp",
                     parse_listen(s.listen).host, listener->port(), s.app, s.user);
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
    routes::add_apps_route(router_, ctx_);
    routes::add_otlp_routes(router_, ctx_);
    routes::add_loki_routes(router_, ctx_);
}

void Server::run() {
    signals_.async_wait([this](beast::error_code ec, int signal) {
        if (ec) return;
        spdlog::info("received signal {}, shutting down", signal);
        stop();
    });
    wait_for_hangup();
    listener_->run();
    for (auto& s : syslog_) s->run();
    metrics_.start();
    ioc_.run();
    if (!ctx_.sessions.empty()) {
        // The deadline stopped the loop: cut the stragglers and let their handlers finish
        // while everything they point to still exists.
        for (WsSession* s : std::vector<WsSession*>(ctx_.sessions.begin(), ctx_.sessions.end()))
            s->abort();
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
    hangup_.cancel();
    listener_->stop();
    for (auto& s : syslog_) s->stop();
    metrics_.stop();
    hub_.stop();  // sends pending batches first
    // Copies: sessions leave the sets as they close.
    for (WsSession* s : std::vector<WsSession*>(ctx_.sessions.begin(), ctx_.sessions.end())) {
        s->close_for_shutdown();
    }
    for (HttpSession* s :
         std::vector<HttpSession*>(ctx_.http_sessions.begin(), ctx_.http_sessions.end())) {
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

void Server::wait_for_hangup() {
    hangup_.async_wait([this](beast::error_code ec, int) {
        if (ec) return;
        reload();
        wait_for_hangup();
    });
}

void Server::reload() {
    const std::string& file = config_.config_file;
    if (file.empty()) {
        spdlog::warn(
            "SIGHUP: smartlogd was started without --config, so there is nothing to reload");
        return;
    }
    Config fresh;
    try {
        fresh = read_config_file(file);
        if (fresh.open_mode() && !config_.open_mode()) {
            throw ConfigError(file + ": no [[users]] left; open mode is only chosen at start");
        }
    } catch (const ConfigError& e) {
        spdlog::error("SIGHUP: {}; the running configuration is unchanged", e.what());
        return;
    }
    access_ = AccessControl(fresh);
    std::size_t withdrawn = 0;
    // A copy: sessions whose access was withdrawn leave the set as they close.
    for (WsSession* s : std::vector<WsSession*>(ctx_.sessions.begin(), ctx_.sessions.end())) {
        if (!s->revalidate(access_)) ++withdrawn;
    }
    spdlog::info(
        "SIGHUP: reloaded apps and users from {}: {}, {}; {} closed (access withdrawn); [server] "
        "settings take effect at restart",
        file, count_of(fresh.apps.size(), "app"), count_of(fresh.users.size(), "user"),
        count_of(withdrawn, "connection"));
    for (const std::string& warning : config_warnings(fresh)) spdlog::warn("{}", warning);
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
