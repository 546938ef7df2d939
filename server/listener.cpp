#include "server/listener.hpp"

#include <spdlog/spdlog.h>

#include "server/connection_limit.hpp"
#include "server/http_session.hpp"

namespace smartlog::server {

Listener::Listener(ServerContext& ctx, const tcp::endpoint& endpoint)
    : ctx_(ctx), acceptor_(ctx.ioc), retry_timer_(ctx.ioc) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    if (endpoint.address().is_v6()) acceptor_.set_option(net::ip::v6_only(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
}

void Listener::run() { do_accept(); }

void Listener::stop() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
}

void Listener::do_accept() {
    acceptor_.async_accept(ctx_.ioc,
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // Out of descriptors, most likely. The connection stays in the backlog, so accepting
        // again at once would fail at once, spinning the net thread and flooding the log:
        // keep serving the connections we have and try again shortly.
        if (!accept_failing_) {
            spdlog::warn("accept: {} (retrying every 100 ms until it succeeds)", ec.message());
        }
        accept_failing_ = true;
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
            if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
        });
        return;
    }
    if (accept_failing_) {
        accept_failing_ = false;
        spdlog::info("accept: succeeding again");
    }
    if (at_connection_limit(ctx_)) {
        refuse_connection(std::move(socket), ctx_);
    } else {
        admit(std::move(socket));
    }
    do_accept();
}

void Listener::admit(tcp::socket socket) {
    beast::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) return;  // gone already: the socket closes here
    const SlotLimits limits{ctx_.settings.max_connections_per_address,
                            ctx_.settings.max_unauthenticated_connections};
    auto admission = ctx_.slots.admit(peer.address(), limits);
    ctx_.stats.connections_displaced += admission.displaced;
    if (!admission.slot) {
        ++ctx_.stats.connections_refused_per_address;
        return refuse_connection(std::move(socket), ctx_, admission.refusal);
    }
    // Small frames must not wait for delayed ACKs (NOTES.md).
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<HttpSession>(std::move(socket), ctx_, std::move(admission.slot))->run();
}

}  // namespace smartlog::server
