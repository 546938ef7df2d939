// cluster/redis_connection.hpp: one connection to one Redis server, driven by Asio and parsed
// with hiredis's reply reader (hiredis 0.14 has no Asio adapter). Commands are pipelined: each
// is written at once and its callback runs when its reply arrives, in order. Pushes of a
// subscribed connection (`message`, `smessage`) go to the push handler instead. It reconnects by
// itself, with a growing delay, and runs AUTH first when the URL has a password.
// Net thread only (the io_context given): every callback runs there. docs/cluster.md.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cluster/redis_url.hpp"

struct redisReader;

namespace smartlog::cluster {

// A reply, owned (hiredis's redisReply tree copied out).
struct RedisReply {
    enum class Type { string, array, integer, nil, status, error };
    Type type = Type::nil;
    std::string str;  // string, status, error
    long long integer = 0;
    std::vector<RedisReply> elements;  // array

    bool is_error() const noexcept { return type == Type::error; }
    bool is_nil() const noexcept { return type == Type::nil; }
};

class RedisConnection {
public:
    struct Options {
        RedisUrl url;
        std::string client_name;  // CLIENT SETNAME after connecting; empty: none
        // Bytes written but not yet answered, plus those waiting to be written: beyond this a
        // command fails at once instead of queueing (the server's memory stays bounded).
        std::size_t max_pending_bytes = 64u << 20;
        // A command unanswered this long closes the connection (a stalled or cut-off server).
        std::chrono::milliseconds command_timeout{5000};
        std::chrono::milliseconds connect_timeout{3000};
        std::chrono::milliseconds backoff_min{100};
        std::chrono::milliseconds backoff_max{5000};
    };
    // `ec` is empty when a reply came (which may itself be a Redis error reply); otherwise the
    // connection failed or was down (core::errc::unavailable) and `reply` is nil.
    using Callback = std::function<void(std::error_code ec, RedisReply reply)>;

    RedisConnection(boost::asio::io_context& ioc, Options options);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Runs after each connection is made and authenticated; commands it sends go first.
    void on_ready(std::function<void()> handler) { on_ready_ = std::move(handler); }
    // Runs when an established connection is lost (`reason` for the log).
    void on_down(std::function<void(const std::string& reason)> handler) {
        on_down_ = std::move(handler);
    }
    // Pushes of a subscribed connection: the whole array (["message", channel, payload]).
    void on_push(std::function<void(RedisReply)> handler) { on_push_ = std::move(handler); }

    // Connects, and keeps reconnecting until stop().
    void start();
    // Closes the connection; pending callbacks are dropped, not called. Final.
    void stop();

    // True between on_ready and the loss of the connection.
    bool ready() const noexcept { return state_ == State::ready; }
    const std::string& last_error() const noexcept { return last_error_; }
    std::string address() const { return options_.url.address(); }

    // Sends one command (each argument a bulk string). When the connection is not ready, or
    // max_pending_bytes would be passed, `cb` runs soon (posted) with core::errc::unavailable.
    void command(const std::vector<std::string_view>& args, Callback cb);

private:
    enum class State { idle, connecting, authenticating, ready, stopped };
    struct Pending {
        Callback cb;
        std::size_t bytes;
        std::chrono::steady_clock::time_point sent;
    };

    void connect();
    void on_connected();
    void send(const std::vector<std::string_view>& args, Callback cb);
    void do_write();
    void do_read();
    void dispatch(RedisReply reply);
    void fail(const std::string& reason);
    void schedule_reconnect();
    void arm_watchdog();

    boost::asio::io_context& ioc_;
    Options options_;
    boost::asio::ip::tcp::resolver resolver_;
    std::unique_ptr<boost::asio::ip::tcp::socket> socket_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer watchdog_;
    redisReader* reader_ = nullptr;
    State state_ = State::idle;
    // Bumped by each new socket: a completion of an older one finds it changed and returns.
    std::uint64_t generation_ = 0;
    std::string outbox_;   // encoded commands not yet written
    std::string writing_;  // the write in flight
    bool write_in_flight_ = false;
    std::deque<Pending> pending_;  // sent or queued, awaiting their replies in order
    std::size_t pending_bytes_ = 0;
    std::vector<char> read_buffer_;
    std::chrono::milliseconds backoff_;
    std::chrono::steady_clock::time_point connect_started_;
    std::string last_error_;
    std::function<void()> on_ready_;
    std::function<void(const std::string&)> on_down_;
    std::function<void(RedisReply)> on_push_;
};

}  // namespace smartlog::cluster
