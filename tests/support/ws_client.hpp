// tests/support/ws_client.hpp: a small blocking Beast WebSocket client for the C++ integration
// tests. Every call is bounded by a timeout; a timeout, an unexpected close or bad JSON throws.
// One thread only: each call runs the client's own io_context until its operation completes.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace smartlog::test {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

class WsClient {
public:
    // Connects to ws://127.0.0.1:`port``target`. `receive_buffer`: SO_RCVBUF of the socket, to
    // make a peer that takes little.
    explicit WsClient(unsigned short port, const std::string& target = "/",
                      std::optional<int> receive_buffer = std::nullopt)
        : ws_(ioc_) {
        const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
        auto& socket = beast::get_lowest_layer(ws_).socket();
        if (receive_buffer) {
            socket.open(endpoint.protocol());
            socket.set_option(net::socket_base::receive_buffer_size(*receive_buffer));
        }
        check(run([&](auto h) { beast::get_lowest_layer(ws_).async_connect(endpoint, h); }, 5s),
              "connect");
        // Small request, small answer, wait: without this a round trip may wait for a delayed ACK.
        socket.set_option(net::ip::tcp::no_delay(true));
        ws_.read_message_max(64u << 20);
        check(run(
                  [&](auto h) {
                      ws_.async_handshake("127.0.0.1:" + std::to_string(port), target, h);
                  },
                  5s),
              "handshake");
        ws_.text(true);
    }

    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // Sends `text` as one text frame.
    void send_text(std::string_view text) {
        check(run([&](auto h) { ws_.async_write(net::buffer(text.data(), text.size()), h); }, 5s),
              "write");
    }
    void send(const json::value& message) { send_text(json::serialize(message)); }
    // Sends `text` as one frame of a text message in parts, the message's last when `fin`.
    void send_fragment(std::string_view text, bool fin) {
        check(run(
                  [&](auto h) {
                      ws_.async_write_some(fin, net::buffer(text.data(), text.size()), h);
                  },
                  5s),
              "write");
    }

    // The next message of `type` not yet taken; other messages stay in `inbox` in order.
    json::object next(std::string_view type, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            for (auto it = inbox.begin(); it != inbox.end(); ++it) {
                if (type_of(*it) == type) {
                    json::object out = std::move(*it);
                    inbox.erase(it);
                    return out;
                }
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= 0ms)
                throw std::runtime_error("timed out waiting for " + std::string(type) + unread());
            read_one(left, type);
        }
    }

    json::object request(const json::value& message, std::string_view type,
                         std::chrono::milliseconds timeout = 5s) {
        send(message);
        return next(type, timeout);
    }

    // Barrier: the server answers in order, so after the pong every earlier reply is in `inbox`.
    void sync() { request({{"type", "ping"}}, "pong"); }

    // Reads until the server closes; returns its close code and reason. Messages read on the
    // way are kept in `inbox`.
    websocket::close_reason wait_close(std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!closed_) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= 0ms) throw std::runtime_error("not closed in time" + unread());
            read_one(left, "the close");
        }
        return ws_.reason();
    }

    bool closed() const noexcept { return closed_; }

    static std::string type_of(const json::object& o) {
        auto it = o.find("type");
        return it != o.end() && it->value().is_string() ? std::string(it->value().get_string())
                                                        : std::string();
    }

    std::deque<json::object> inbox;

private:
    // Runs the operation started by `start(handler)` for at most `timeout`; returns its error,
    // or nullopt when it timed out (the socket is then closed: the client is done).
    template <class Start>
    std::optional<beast::error_code> run(Start&& start, std::chrono::milliseconds timeout) {
        std::optional<beast::error_code> result;
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        ioc_.restart();
        ioc_.run_for(timeout);
        if (!result) {
            beast::error_code ignored;
            beast::get_lowest_layer(ws_).socket().close(ignored);
            ioc_.restart();
            ioc_.run_for(1s);
            return std::nullopt;
        }
        return result;
    }

    static void check(const std::optional<beast::error_code>& ec, const char* what) {
        if (!ec) throw std::runtime_error(std::string(what) + ": timed out");
        if (*ec) throw std::runtime_error(std::string(what) + ": " + ec->message());
    }

    void read_one(std::chrono::milliseconds timeout, std::string_view waiting_for) {
        if (closed_)
            throw std::runtime_error("connection closed while waiting for " +
                                     std::string(waiting_for));
        buffer_.clear();
        const auto ec = run([&](auto h) { ws_.async_read(buffer_, h); }, timeout);
        if (!ec)
            throw std::runtime_error("timed out waiting for " + std::string(waiting_for) +
                                     unread());
        if (*ec == websocket::error::closed) {
            closed_ = true;
            return;
        }
        if (*ec) throw std::runtime_error("read: " + ec->message());
        const std::string text = beast::buffers_to_string(buffer_.data());
        boost::system::error_code jec;
        json::value v = json::parse(text, jec);
        if (jec || !v.is_object())
            throw std::runtime_error("server sent a non-object: " + text.substr(0, 200));
        inbox.push_back(std::move(v.get_object()));
    }

    std::string unread() const {
        std::string out = "; unread:";
        for (const auto& m : inbox) out += " " + type_of(m);
        return out;
    }

    net::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    bool closed_ = false;
};

}  // namespace smartlog::test
