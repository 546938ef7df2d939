#include "cluster/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "core/errc.hpp"

namespace smartlog::cluster {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string encode_command(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (std::string_view a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    char* cmd = nullptr;
    const int n =
        redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (n < 0 || cmd == nullptr) throw std::bad_alloc();
    std::string out(cmd, static_cast<std::size_t>(n));
    redisFreeCommand(cmd);
    return out;
}

RedisReply copy_reply(const redisReply* r) {
    RedisReply out;
    switch (r->type) {
        case REDIS_REPLY_STRING:
            out.type = RedisReply::Type::string;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = RedisReply::Type::status;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = RedisReply::Type::error;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_INTEGER:
            out.type = RedisReply::Type::integer;
            out.integer = r->integer;
            break;
        case REDIS_REPLY_ARRAY:
            out.type = RedisReply::Type::array;
            out.elements.reserve(r->elements);
            for (std::size_t i = 0; i < r->elements; ++i)
                out.elements.push_back(copy_reply(r->element[i]));
            break;
        default: out.type = RedisReply::Type::nil; break;
    }
    return out;
}

bool is_push(const RedisReply& r) {
    if (r.type != RedisReply::Type::array || r.elements.size() < 3) return false;
    const std::string& kind = r.elements[0].str;
    return kind == "message" || kind == "smessage" || kind == "pmessage";
}

}  // namespace

RedisConnection::RedisConnection(net::io_context& ioc, Options options)
    : ioc_(ioc),
      options_(std::move(options)),
      resolver_(ioc),
      retry_timer_(ioc),
      watchdog_(ioc),
      read_buffer_(kReadChunk),
      backoff_(options_.backoff_min) {}

RedisConnection::~RedisConnection() {
    stop();
}

void RedisConnection::start() {
    if (state_ != State::idle) return;
    connect();
}

void RedisConnection::stop() {
    if (state_ == State::stopped) return;
    state_ = State::stopped;
    ++generation_;
    boost::system::error_code ignored;
    resolver_.cancel();
    if (socket_) socket_->close(ignored);
    retry_timer_.cancel();
    watchdog_.cancel();
    pending_.clear();
    pending_bytes_ = 0;
    if (reader_) {
        redisReaderFree(reader_);
        reader_ = nullptr;
    }
}

void RedisConnection::connect() {
    state_ = State::connecting;
    const std::uint64_t gen = ++generation_;
    socket_ = std::make_unique<tcp::socket>(ioc_);
    if (reader_) redisReaderFree(reader_);
    reader_ = redisReaderCreate();
    outbox_.clear();
    writing_.clear();
    write_in_flight_ = false;
    connect_started_ = std::chrono::steady_clock::now();
    arm_watchdog();
    resolver_.async_resolve(
        options_.url.host, std::to_string(options_.url.port),
        [this, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
            if (gen != generation_) return;
            if (ec) return fail("resolve " + options_.url.host + ": " + ec.message());
            net::async_connect(*socket_, results,
                               [this, gen](boost::system::error_code ec, const tcp::endpoint&) {
                                   if (gen != generation_) return;
                                   if (ec) return fail("connect: " + ec.message());
                                   on_connected();
                               });
        });
}

void RedisConnection::on_connected() {
    boost::system::error_code ignored;
    socket_->set_option(tcp::no_delay(true), ignored);
    state_ = State::authenticating;
    do_read();
    const auto become_ready = [this] {
        state_ = State::ready;
        backoff_ = options_.backoff_min;
        last_error_.clear();
        // Its reply is not waited for: a name Redis refuses changes nothing else.
        if (!options_.client_name.empty()) {
            send({"CLIENT", "SETNAME", options_.client_name}, [](std::error_code, RedisReply) {});
        }
        if (on_ready_) on_ready_();
    };
    if (options_.url.password.empty()) return become_ready();
    std::vector<std::string_view> auth{"AUTH"};
    if (!options_.url.user.empty()) auth.push_back(options_.url.user);
    auth.push_back(options_.url.password);
    send(auth, [this, become_ready](std::error_code ec, RedisReply reply) {
        if (ec) return;  // the connection failed and will be made again
        if (reply.is_error()) return fail("AUTH refused: " + reply.str);
        become_ready();
    });
}

void RedisConnection::command(const std::vector<std::string_view>& args, Callback cb) {
    const auto refuse = [this, &cb](std::string why) {
        last_error_ = std::move(why);
        net::post(ioc_, [cb = std::move(cb)] {
            cb(core::make_error_code(core::errc::unavailable), RedisReply{});
        });
    };
    if (state_ != State::ready) return refuse(last_error_.empty() ? "not connected" : last_error_);
    if (pending_bytes_ > options_.max_pending_bytes) {
        return refuse("more than max_pending_bytes waiting for Redis");
    }
    send(args, std::move(cb));
}

void RedisConnection::send(const std::vector<std::string_view>& args, Callback cb) {
    std::string encoded = encode_command(args);
    pending_.push_back({std::move(cb), encoded.size(), std::chrono::steady_clock::now()});
    pending_bytes_ += encoded.size();
    outbox_ += encoded;
    do_write();
}

void RedisConnection::do_write() {
    if (write_in_flight_ || outbox_.empty()) return;
    write_in_flight_ = true;
    writing_.swap(outbox_);
    outbox_.clear();
    const std::uint64_t gen = generation_;
    net::async_write(*socket_, net::buffer(writing_),
                     [this, gen](boost::system::error_code ec, std::size_t) {
                         if (gen != generation_) return;
                         write_in_flight_ = false;
                         writing_.clear();
                         if (ec) return fail("write: " + ec.message());
                         do_write();
                     });
}

void RedisConnection::do_read() {
    const std::uint64_t gen = generation_;
    socket_->async_read_some(
        net::buffer(read_buffer_), [this, gen](boost::system::error_code ec, std::size_t n) {
            if (gen != generation_) return;
            if (ec) return fail(ec == net::error::eof ? "closed by the server" : ec.message());
            if (redisReaderFeed(reader_, read_buffer_.data(), n) != REDIS_OK) {
                return fail("bad reply from the server");
            }
            for (;;) {
                void* raw = nullptr;
                if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
                    return fail(std::string("bad reply from the server: ") + reader_->errstr);
                }
                if (!raw) break;
                RedisReply reply = copy_reply(static_cast<redisReply*>(raw));
                freeReplyObject(raw);
                dispatch(std::move(reply));
                // A callback may have failed or stopped this connection.
                if (gen != generation_) return;
            }
            do_read();
        });
}

void RedisConnection::dispatch(RedisReply reply) {
    if (on_push_ && is_push(reply)) return on_push_(std::move(reply));
    if (pending_.empty()) return;  // nothing asked for it: ignore
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    pending_bytes_ -= p.bytes;
    p.cb({}, std::move(reply));
}

void RedisConnection::fail(const std::string& reason) {
    if (state_ == State::stopped) return;
    const bool was_ready = state_ == State::ready;
    last_error_ = options_.url.address() + ": " + reason;
    ++generation_;
    boost::system::error_code ignored;
    if (socket_) socket_->close(ignored);
    state_ = State::idle;
    // Whatever was sent may or may not have been done: its senders hear so, in order.
    auto pending = std::move(pending_);
    pending_.clear();
    pending_bytes_ = 0;
    outbox_.clear();
    for (Pending& p : pending) p.cb(core::make_error_code(core::errc::unavailable), RedisReply{});
    if (was_ready && on_down_) on_down_(last_error_);
    if (state_ == State::stopped) return;
    schedule_reconnect();
}

void RedisConnection::schedule_reconnect() {
    retry_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, options_.backoff_max);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || state_ != State::idle) return;
        connect();
    });
}

void RedisConnection::arm_watchdog() {
    // One timer looks at the oldest unanswered command (and at a connection being made) every
    // quarter of the timeout: a stalled server fails the connection instead of holding senders.
    const auto period = std::max(std::chrono::milliseconds(50),
                                 std::min(options_.command_timeout, options_.connect_timeout) / 4);
    watchdog_.expires_after(period);
    watchdog_.async_wait([this](boost::system::error_code ec) {
        if (ec || state_ == State::stopped) return;
        const auto now = std::chrono::steady_clock::now();
        if ((state_ == State::connecting || state_ == State::authenticating) &&
            now - connect_started_ > options_.connect_timeout) {
            fail("no connection within the connect timeout");
        } else if (state_ == State::ready && !pending_.empty() &&
                   now - pending_.front().sent > options_.command_timeout) {
            fail("no reply within the command timeout");
        }
        if (state_ != State::idle) arm_watchdog();
    });
}

}  // namespace smartlog::cluster
