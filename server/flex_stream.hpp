// server/flex_stream.hpp: the byte stream under one connection: plain TCP, or TLS over TCP
// when tls_cert is set (docs/protocol.md, "TLS"). One type for both, chosen at run time, so
// that HttpSession and WsSession exist once rather than once per stream type.
// Net thread only, like the sessions that own it.
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <variant>

#include "server/net.hpp"

namespace smartlog::server {

class FlexStream {
public:
    using tls_stream = beast::ssl_stream<beast::tcp_stream>;
    using executor_type = beast::tcp_stream::executor_type;

    explicit FlexStream(tcp::socket&& socket) : stream_(std::in_place_index<0>, std::move(socket)) {}

    FlexStream(FlexStream&&) = default;
    FlexStream& operator=(FlexStream&&) = default;

    // From now on bytes go through TLS with `context`; the server handshake is the caller's.
    // REQUIRES: !is_tls(), and no operation is pending.
    void start_tls(net::ssl::context& context) {
        auto tcp = std::move(std::get<0>(stream_));
        stream_.emplace<1>(std::move(tcp), context);
    }
    bool is_tls() const noexcept { return stream_.index() == 1; }
    // REQUIRES: is_tls().
    tls_stream& tls() noexcept { return std::get<1>(stream_); }

    // The TCP layer under both, so that beast::get_lowest_layer() reaches it through any
    // websocket::stream<FlexStream>.
    beast::tcp_stream& next_layer() noexcept {
        return is_tls() ? std::get<1>(stream_).next_layer() : std::get<0>(stream_);
    }

    // What HttpSession uses of beast::tcp_stream, always on the TCP layer. Timeouts there
    // bound TLS operations too, since every TLS read and write is a TCP one underneath.
    executor_type get_executor() noexcept { return next_layer().get_executor(); }
    tcp::socket& socket() noexcept { return next_layer().socket(); }
    void close() { next_layer().close(); }
    template <class Duration>
    void expires_after(Duration d) { next_layer().expires_after(d); }
    void expires_never() { next_layer().expires_never(); }

    template <class MutableBufferSequence, class ReadToken>
    auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
        return net::async_initiate<ReadToken, void(beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBufferSequence& b) {
                std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    template <class ConstBufferSequence, class WriteToken>
    auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
        return net::async_initiate<WriteToken, void(beast::error_code, std::size_t)>(
            [this](auto handler, const ConstBufferSequence& b) {
                std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    // How websocket::stream closes what is under it: a TLS close_notify first when on TLS.
    friend void teardown(beast::role_type role, FlexStream& s, beast::error_code& ec) {
        std::visit(
            [&](auto& stream) {
                using beast::websocket::teardown;
                teardown(role, stream, ec);
            },
            s.stream_);
    }

    template <class TeardownHandler>
    friend void async_teardown(beast::role_type role, FlexStream& s, TeardownHandler&& handler) {
        using beast::websocket::async_teardown;
        if (s.is_tls()) {
            async_teardown(role, std::get<1>(s.stream_), std::forward<TeardownHandler>(handler));
        } else {
            async_teardown(role, std::get<0>(s.stream_), std::forward<TeardownHandler>(handler));
        }
    }

private:
    std::variant<beast::tcp_stream, tls_stream> stream_;
};

}  // namespace smartlog::server
