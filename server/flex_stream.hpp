// server/flex_stream.hpp: the byte stream under one connection: plain TCP, or TLS over TCP
// when tls_cert is set (docs/protocol.md, "TLS"). One type for both, chosen at run time, so
// that HttpSession and WsSession exist once rather than once per stream type.
// Net thread only, like the sessions that own it.
//
// WebSocket I/O (use_websocket_io(), plain TCP only): the WebSocket layer reads each frame
// header into its own 1,536-byte buffer and then the rest of the frame, so a client that sends
// 4 KiB frames (Beast's default, our client library's too) cost two recvmsg per 4 KiB. In this
// mode a small read takes everything the socket holds, up to 64 KiB, and keeps what the caller
// had no room for, for its next reads: one recvmsg per 64 KiB. The buffer is the session's
// while it reads and is freed when a read has to wait, so idle connections hold none. Reads and
// writes also go to the socket directly rather than through beast::tcp_stream, whose timeouts a
// WebSocket session does not use (it keeps its own).
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <cstddef>
#include <memory>
#include <variant>

#include "server/net.hpp"

namespace smartlog::server {

class FlexStream {
public:
    using tls_stream = beast::ssl_stream<beast::tcp_stream>;
    using executor_type = beast::tcp_stream::executor_type;

    explicit FlexStream(tcp::socket&& socket)
        : stream_(std::in_place_index<0>, std::move(socket)) {}

    FlexStream(FlexStream&&) = default;
    // Not assignable: a TLS stream cannot be.
    FlexStream& operator=(FlexStream&&) = delete;

    // From now on bytes go through TLS with `context`; the server handshake is the caller's.
    // REQUIRES: !is_tls(), and no operation is pending.
    void start_tls(net::ssl::context& context) {
        auto tcp = std::move(std::get<0>(stream_));
        stream_.emplace<1>(std::move(tcp), context);
    }
    bool is_tls() const noexcept { return stream_.index() == 1; }

    // See the top of this file. For a WebSocket session, after its last use of the stream
    // timeouts (which then no longer apply); nothing on TLS, which reads in records already.
    void use_websocket_io() noexcept { websocket_io_ = !is_tls(); }
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
    void close() {
        next_layer().close();
        release_read_buffer();
    }
    template <class Duration>
    void expires_after(Duration d) {
        next_layer().expires_after(d);
    }
    void expires_never() { next_layer().expires_never(); }

    template <class MutableBufferSequence, class ReadToken>
    auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
        return net::async_initiate<ReadToken, void(beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBufferSequence& b) {
                if (websocket_io_) return websocket_read_some(b, std::move(handler));
                std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    template <class ConstBufferSequence, class WriteToken>
    auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
        return net::async_initiate<WriteToken, void(beast::error_code, std::size_t)>(
            [this](auto handler, const ConstBufferSequence& b) {
                if (websocket_io_) return socket().async_write_some(b, std::move(handler));
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
    // A read asking for less than this takes what the socket holds into read_buffer_;
    // a larger one (the payload of a large frame) reads into the caller's buffer directly.
    static constexpr std::size_t kSmallRead = 16 * 1024;

    template <class MutableBufferSequence, class Handler>
    void websocket_read_some(const MutableBufferSequence& b, Handler handler) {
        if (read_pos_ < read_end_ || beast::buffer_bytes(b) == 0) {
            // Bytes kept from an earlier recv come first. Completed through the executor, as
            // an asynchronous operation must be (never inside its initiating function).
            const std::size_t n = take_buffered(b);
            return net::post(get_executor(),
                             beast::bind_handler(std::move(handler), beast::error_code{}, n));
        }
        if (beast::buffer_bytes(b) >= kSmallRead)
            return socket().async_read_some(b, std::move(handler));
        // Take what is there now. EAGAIN: wait until the socket is readable, then take it.
        // (Waiting on readiness after EAGAIN, rather than starting async_read_some, spares the
        // speculative recvmsg Asio would begin with, which would find nothing either.)
        beast::error_code ec;
        std::size_t n = 0;
        if (recv_into(b, ec, n)) {
            return net::post(get_executor(), beast::bind_handler(std::move(handler), ec, n));
        }
        release_read_buffer();  // an idle connection holds none
        auto slot = net::get_associated_cancellation_slot(handler);
        socket().async_wait(
            tcp::socket::wait_read,
            net::bind_cancellation_slot(
                slot, [this, b, handler = std::move(handler)](beast::error_code ec) mutable {
                    if (ec) return handler(ec, std::size_t{0});
                    // Called from a completion, so the handler may run here. Readable but nothing
                    // to read (a spurious wake-up): wait again.
                    std::size_t n = 0;
                    if (recv_into(b, ec, n)) return handler(ec, n);
                    websocket_read_some(b, std::move(handler));
                }));
    }

    // One non-blocking recv of up to kReadBuffer bytes into read_buffer_: copies what fits into
    // `b` (n bytes) and keeps the rest for the next reads. True when the read is done (data, or
    // the end of the stream or an error in ec); false when the socket had nothing yet (EAGAIN).
    template <class MutableBufferSequence>
    bool recv_into(const MutableBufferSequence& b, beast::error_code& ec, std::size_t& n) {
        if (!read_buffer_) read_buffer_ = std::make_unique_for_overwrite<char[]>(kReadBuffer);
        std::size_t got = 0;
        if (!recv_now(socket().native_handle(), read_buffer_.get(), kReadBuffer, got, ec))
            return false;
        if (ec) return true;
        read_pos_ = 0;
        read_end_ = got;
        n = take_buffered(b);
        return true;
    }

    template <class MutableBufferSequence>
    std::size_t take_buffered(const MutableBufferSequence& b) {
        const std::size_t n =
            net::buffer_copy(b, net::buffer(read_buffer_.get() + read_pos_, read_end_ - read_pos_));
        read_pos_ += n;
        return n;
    }

    // server/flex_stream.cpp. False on EAGAIN/EWOULDBLOCK/EINTR; otherwise true with `got`
    // bytes, or ec = eof at the end of the stream, or another error in ec.
    static bool recv_now(int fd, char* into, std::size_t size, std::size_t& got,
                         beast::error_code& ec) noexcept;
    void release_read_buffer() noexcept {
        read_buffer_.reset();
        read_pos_ = read_end_ = 0;
    }

    static constexpr std::size_t kReadBuffer = 64 * 1024;

    std::variant<beast::tcp_stream, tls_stream> stream_;
    bool websocket_io_ = false;
    // websocket_io_ only: what the last recv got, while a session reads (none while it waits);
    // [read_pos_, read_end_) not read yet.
    std::unique_ptr<char[]> read_buffer_;
    std::size_t read_pos_ = 0;
    std::size_t read_end_ = 0;
};

}  // namespace smartlog::server
