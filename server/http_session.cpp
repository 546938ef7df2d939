#include "server/http_session.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

#include "server/origin.hpp"
#include "server/upgrade_check.hpp"
#include "server/ws_session.hpp"

namespace smartlog::server {

HttpSession::HttpSession(tcp::socket&& socket, ServerContext& ctx, Slot slot)
    : stream_(std::move(socket)), ctx_(ctx), slot_(std::move(slot)) {
    ++ctx_.stats.open_connections;
    ctx_.http_sessions.insert(this);
}

HttpSession::~HttpSession() {
    --ctx_.stats.open_connections;
    ctx_.http_sessions.erase(this);
}

void HttpSession::run() {
    // Displaced while waiting for a request (too many connections without credentials): a
    // client between requests reconnects, as it does after any keep-alive close.
    slot_.on_displace([weak = weak_from_this()] {
        if (auto self = weak.lock()) self->stop();
    });
    net::dispatch(
        stream_.get_executor(),
        beast::bind_front_handler(ctx_.tls ? &HttpSession::do_detect_tls : &HttpSession::do_read,
                                  shared_from_this()));
}

void HttpSession::do_detect_tls() {
    // One deadline for telling TLS from plain text and the whole handshake; each request then
    // has its own. A client dripping its handshake is cut like one dripping its headers.
    stream_.expires_after(ctx_.settings.header_timeout);
    beast::async_detect_ssl(
        stream_, buffer_,
        beast::bind_front_handler(&HttpSession::on_detect_tls, shared_from_this()));
}

void HttpSession::on_detect_tls(beast::error_code ec, bool is_tls) {
    if (ec || ctx_.stopping) return;
    if (!is_tls) {
        // A plain http:// or ws:// client on the TLS port: tell it in words it can read.
        HttpRequest head;
        head.version(11);
        response_ = std::make_shared<HttpResponse>(
            json_error(head, http::status::bad_request, "bad_request",
                       "this port speaks TLS only: use https:// or wss://"));
        response_->keep_alive(false);
        drain_ = true;
        return http::async_write(
            stream_, *response_,
            beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), false));
    }
    stream_.start_tls(*ctx_.tls);
    stream_.tls().async_handshake(
        net::ssl::stream_base::server, buffer_.data(),
        beast::bind_front_handler(&HttpSession::on_tls_handshake, shared_from_this()));
}

void HttpSession::on_tls_handshake(beast::error_code ec, std::size_t used) {
    if (ec) {
        // Scanners, wrong CAs and timeouts: not the server's problem, so not above debug.
        if (ec != net::error::operation_aborted) spdlog::debug("tls handshake: {}", ec.message());
        return;
    }
    buffer_.consume(used);
    do_read();
}

void HttpSession::stop() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
}

void HttpSession::do_read() {
    slot_.set_waiting(true);
    parser_.emplace();
    parser_->body_limit(ctx_.settings.max_body_bytes);
    parser_->header_limit(16 * 1024);
    // Two deadlines from now: the request line and headers by header_timeout, the whole
    // request by request_timeout. A client dripping its headers (slowloris), or idling on a
    // kept-alive connection, is cut by the first; one dripping its body by the second.
    const auto& s = ctx_.settings;
    request_deadline_ = std::chrono::steady_clock::now() + s.request_timeout;
    stream_.expires_after(s.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
}

void HttpSession::on_header(beast::error_code ec, std::size_t bytes) {
    if (ec || parser_->is_done()) return on_read(ec, bytes);
    stream_.expires_after(request_deadline_ - std::chrono::steady_clock::now());
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this(), header_bytes = bytes](beast::error_code ec, std::size_t bytes) {
            self->on_read(ec, header_bytes + bytes);
        });
}

bool HttpSession::origin_allowed(const HttpRequest& req) const {
    const auto& allowed = ctx_.settings.allowed_origins;
    if (allowed.empty()) return true;
    auto origin = req.find(http::field::origin);
    // Non-browser clients send no Origin; the setting guards browsers' ambient sessions.
    if (origin == req.end()) return true;
    return origin_in(allowed, origin->value());
}

void HttpSession::on_read(beast::error_code ec, std::size_t bytes) {
    if (ec == http::error::end_of_stream) {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return;
    }
    if (ec == http::error::body_limit) {
        HttpRequest head;
        head.version(11);
        response_ = std::make_shared<HttpResponse>(json_error(
            head, http::status::payload_too_large, "too_large", "request body too large"));
        response_->keep_alive(false);
        drain_ = true;
        return http::async_write(
            stream_, *response_,
            beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), false));
    }
    if (ec == beast::error::timeout) ++ctx_.stats.http_timeouts;
    if (ec) return;  // timeouts, resets and malformed requests: nothing to answer
    ctx_.stats.bytes_received += bytes;
    if (ctx_.stopping) return;
    // A whole request: it is served, not displaced, until its answer is written.
    slot_.set_waiting(false);

    HttpRequest req = parser_->release();
    if (websocket::is_upgrade(req)) {
        const auto path = target_path(req.target());
        HttpResponse refusal;
        if (path != "/" && path != "/ws") {
            refusal = json_error(req, http::status::not_found, "not_found",
                                 "WebSocket endpoints are / and /ws");
        } else if (!origin_allowed(req)) {
            refusal = json_error(req, http::status::forbidden, "forbidden", "Origin not allowed");
        } else if (auto bad = check_upgrade(req)) {
            refusal = json_error(req, bad->status, "bad_request", bad->message);
            if (bad->status == http::status::upgrade_required)
                refusal.set(http::field::sec_websocket_version, "13");
        } else {
            std::make_shared<WsSession>(std::move(stream_), ctx_, std::move(slot_))
                ->run(std::move(req));
            return;
        }
        refusal.keep_alive(false);
        response_ = std::make_shared<HttpResponse>(std::move(refusal));
        return http::async_write(
            stream_, *response_,
            beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), false));
    }

    // The request lives here until its (maybe asynchronous) route has answered; no other
    // request is read meanwhile.
    request_ = std::make_shared<HttpRequest>(std::move(req));
    ctx_.router.handle(
        *request_, [self = shared_from_this()](HttpResponse res) { self->write(std::move(res)); });
}

void HttpSession::write(HttpResponse res) {
    request_.reset();
    response_ = std::make_shared<HttpResponse>(std::move(res));
    const bool keep_alive = response_->keep_alive();
    stream_.expires_after(ctx_.settings.request_timeout);
    http::async_write(
        stream_, *response_,
        beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), keep_alive));
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t bytes) {
    if (ec) return;
    ctx_.stats.bytes_sent += bytes;
    response_.reset();
    if (!keep_alive || ctx_.stopping) {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        if (drain_ && !ctx_.stopping) {
            // The client may still be sending the body we refused: closing with unread data
            // would reset the connection and lose our 413 on its way. Read and discard a
            // bounded amount first.
            drain_budget_ = 4 * ctx_.settings.max_body_bytes;
            stream_.expires_after(std::min<std::chrono::milliseconds>(ctx_.settings.request_timeout,
                                                                      std::chrono::seconds(2)));
            do_drain();
        }
        return;
    }
    do_read();
}

void HttpSession::do_drain() {
    scratch_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                                if (ec || bytes >= self->drain_budget_) return;
                                self->drain_budget_ -= bytes;
                                self->do_drain();
                            });
}

}  // namespace smartlog::server
