// client/transport.cpp: ws:// and wss:// connections on Beast. Network thread only.
#include "client/transport.hpp"

#include <type_traits>

namespace smartlog::client {

namespace {

template <bool Tls>
class WsTransport final : public Transport, public std::enable_shared_from_this<WsTransport<Tls>> {
    using Stream = std::conditional_t<Tls, websocket::stream<ssl::stream<beast::tcp_stream>>,
                                      websocket::stream<beast::tcp_stream>>;

public:
    WsTransport(net::io_context& ioc, WsUrl url, TransportOptions options, ssl::context* tls)
        : resolver_(ioc), ws_(make_stream(ioc, tls)), url_(std::move(url)), options_(options) {}

    void async_open(Handler done) override {
        done_ = std::move(done);
        beast::get_lowest_layer(ws_).expires_after(options_.connect_timeout);
        resolver_.async_resolve(
            url_.host, url_.port,
            [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                self->on_resolve(ec, std::move(r));
            });
    }

    void async_read(ReadHandler done) override {
        ws_.async_read(buffer_, [self = this->shared_from_this(), done = std::move(done)](
                                    beast::error_code ec, std::size_t) {
            if (ec) return done(ec, std::string());
            std::string text = beast::buffers_to_string(self->buffer_.data());
            self->buffer_.consume(self->buffer_.size());
            done(ec, std::move(text));
        });
    }

    void async_write(std::shared_ptr<const std::string> text, Handler done) override {
        const auto buffer = net::buffer(*text);
        ws_.async_write(buffer,
                        [self = this->shared_from_this(), text = std::move(text),
                         done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    }

    void async_close(Handler done) override {
        ws_.async_close(websocket::close_code::normal,
                        [self = this->shared_from_this(),
                         done = std::move(done)](beast::error_code ec) { done(ec); });
    }

    void abort() override {
        resolver_.cancel();
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(ws_).close();
    }

private:
    static Stream make_stream(net::io_context& ioc, ssl::context* tls) {
        if constexpr (Tls) {
            return Stream(ioc, *tls);
        } else {
            (void)tls;
            return Stream(ioc);
        }
    }

    void finish(beast::error_code ec) {
        if (auto done = std::move(done_)) done(ec);
    }

    void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return finish(ec);
        beast::get_lowest_layer(ws_).async_connect(
            results, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                self->on_connect(ec);
            });
    }

    void on_connect(beast::error_code ec) {
        if (ec) return finish(ec);
        beast::error_code ignored;
        // Small frames (acks, single entries) should not wait on delayed ACKs.
        beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
        if constexpr (Tls) {
            if (!SSL_set_tlsext_host_name(ws_.next_layer().native_handle(), url_.host.c_str())) {
                return finish(beast::error_code(static_cast<int>(::ERR_get_error()),
                                                net::error::get_ssl_category()));
            }
            ws_.next_layer().set_verify_callback(ssl::host_name_verification(url_.host));
            ws_.next_layer().async_handshake(
                ssl::stream_base::client, [self = this->shared_from_this()](beast::error_code ec) {
                    self->on_tls_handshake(ec);
                });
        } else {
            on_tls_handshake({});
        }
    }

    void on_tls_handshake(beast::error_code ec) {
        if (ec) return finish(ec);
        // From here the WebSocket's own timeouts govern the stream.
        beast::get_lowest_layer(ws_).expires_never();
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = options_.connect_timeout;
        timeouts.idle_timeout = options_.idle_timeout;
        timeouts.keep_alive_pings = true;
        ws_.set_option(timeouts);
        ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "smartlog-client/" SMARTLOG_VERSION);
        }));
        ws_.read_message_max(options_.read_message_max);
        ws_.auto_fragment(false);
        ws_.text(true);
        ws_.async_handshake(
            url_.host_header(), url_.target,
            [self = this->shared_from_this()](beast::error_code ec) { self->finish(ec); });
    }

    tcp::resolver resolver_;
    Stream ws_;
    WsUrl url_;
    TransportOptions options_;
    beast::flat_buffer buffer_;
    Handler done_;
};

}  // namespace

std::shared_ptr<Transport> make_transport(net::io_context& ioc, const WsUrl& url,
                                          const TransportOptions& options,
                                          ssl::context* tls_context) {
    if (url.tls) return std::make_shared<WsTransport<true>>(ioc, url, options, tls_context);
    return std::make_shared<WsTransport<false>>(ioc, url, options, tls_context);
}

}  // namespace smartlog::client
