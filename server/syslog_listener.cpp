#include "server/syslog_listener.hpp"

#include <spdlog/spdlog.h>

#include "protocol/ingest_common.hpp"
#include "protocol/syslog.hpp"
#include "server/ingest_pipeline.hpp"

namespace smartlog::server {

namespace {

constexpr std::size_t kReadBytes = 64 * 1024;
constexpr std::size_t kMaxDatagram = 64 * 1024;
constexpr std::size_t kDatagramsPerBatch = 256;
// How often a connection held back by backpressure looks again.
constexpr std::chrono::milliseconds kBacklogPoll{50};

// A frame is a message plus its syslog header: room for the longest message allowed, so such
// a message is rejected (and counted) rather than the connection cut.
std::size_t max_frame(const Settings& s) {
    return s.max_message_bytes + s.max_metadata_bytes + 4096;
}

}  // namespace

class SyslogTcpSession : public std::enable_shared_from_this<SyslogTcpSession> {
public:
    SyslogTcpSession(SyslogListener& listener, tcp::socket socket)
        : listener_(listener.shared_from_this()),
          ctx_(listener.ctx_),
          socket_(std::move(socket)),
          retry_(socket_.get_executor()),
          framer_(max_frame(ctx_.settings)) {}

    void start() {
        listener_->sessions_.insert(this);
        ++ctx_.stats.open_connections;
        do_read();
    }

    void close() {
        beast::error_code ignored;
        retry_.cancel();
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    ~SyslogTcpSession() {
        listener_->sessions_.erase(this);
        --ctx_.stats.open_connections;
    }

private:
    void do_read() {
        if (listener_->stopped_) return;
        buffer_.resize(kReadBytes);
        socket_.async_read_some(net::buffer(buffer_),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                });
    }

    void on_read(beast::error_code ec, std::size_t n) {
        const bool eof = ec == net::error::eof;
        if (ec && !eof) return;  // closed, reset or stopped: the session ends
        ctx_.stats.bytes_received += n;
        framer_.feed(std::string_view(buffer_.data(), n));
        const std::int64_t now = ctx_.hub.clock().now_ms();
        protocol::LogsRequest batch;
        std::string_view message;
        auto& counters = ctx_.stats.ingest.at(IngestProtocol::syslog, IngestFormat::tcp);
        const auto add = [&](std::string_view text) {
            auto parsed = protocol::parse_syslog(text, now);
            if (parsed.malformed) ++counters.malformed;
            parsed.entry.index = index_++;
            protocol::admit_decoded(std::move(parsed.entry), ctx_.limits, batch);
        };
        while (framer_.next(message)) add(message);
        if (eof && framer_.finish(message)) add(message);
        if (framer_.failed()) {
            spdlog::warn("syslog {}: closing a connection: {}", listener_->config_.listen,
                         framer_.error());
            ++counters.dropped;
        }
        const bool last = eof || framer_.failed();
        if (batch.accepted.empty() && batch.rejected.empty()) {
            if (last) return close();
            return do_read();
        }
        submit(std::move(batch), last);
    }

    // Hands the batch to the pipeline; reads on only once it is taken.
    void submit(protocol::LogsRequest batch, bool last) {
        const IngestSource source{listener_->config_.app, listener_->config_.user,
                                  IngestProtocol::syslog, IngestFormat::tcp};
        ingest_entries(ctx_, source, std::move(batch),
                       [self = shared_from_this(), last](IngestOutcome outcome) {
                           self->on_ingested(std::move(outcome), last);
                       });
    }

    void on_ingested(IngestOutcome outcome, bool last) {
        using Status = IngestOutcome::Status;
        const bool redis_down =
            outcome.status == Status::unavailable && !outcome.refused.accepted.empty();
        if (outcome.status == Status::backlogged || outcome.status == Status::rate_limited ||
            redis_down) {
            // Not read further until the batch is taken: the sender's socket fills and it waits.
            // Cluster mode with Redis unreachable: the same, every retry_after.
            retry_.expires_after(outcome.status == Status::backlogged ? kBacklogPoll
                                                                      : outcome.retry_after);
            retry_.async_wait([self = shared_from_this(), batch = std::move(outcome.refused),
                               last](beast::error_code ec) mutable {
                if (ec || self->listener_->stopped_) return;
                self->submit(std::move(batch), last);
            });
            return;
        }
        if (outcome.status == Status::too_large) {
            spdlog::warn("syslog {}: {} messages dropped: {}", listener_->config_.listen,
                         outcome.refused.accepted.size() + outcome.refused.rejected.size(),
                         outcome.message);
            ctx_.stats.ingest.at(IngestProtocol::syslog, IngestFormat::tcp).dropped +=
                outcome.refused.accepted.size() + outcome.refused.rejected.size();
        }
        if (last) return close();
        do_read();
    }

    std::shared_ptr<SyslogListener> listener_;
    ServerContext& ctx_;
    tcp::socket socket_;
    net::steady_timer retry_;
    protocol::SyslogFramer framer_;
    std::string buffer_;
    std::size_t index_ = 0;
};

SyslogListener::SyslogListener(ServerContext& ctx, const SyslogConfig& config)
    : ctx_(ctx), config_(config) {
    const ListenAddress address = parse_listen(config.listen);
    const auto ip = net::ip::make_address(address.host == "localhost" ? "127.0.0.1" : address.host);
    if (config.transport == SyslogTransport::tcp) {
        acceptor_ = std::make_unique<tcp::acceptor>(ctx.ioc);
        const tcp::endpoint endpoint(ip, address.port);
        acceptor_->open(endpoint.protocol());
        acceptor_->set_option(net::socket_base::reuse_address(true));
        acceptor_->bind(endpoint);
        acceptor_->listen(net::socket_base::max_listen_connections);
    } else {
        udp_ = std::make_unique<net::ip::udp::socket>(ctx.ioc);
        const net::ip::udp::endpoint endpoint(ip, address.port);
        udp_->open(endpoint.protocol());
        udp_->bind(endpoint);
        // Drained in batches after each wake-up, without blocking the net thread.
        udp_->non_blocking(true);
        datagram_.resize(kMaxDatagram);
    }
    if (!is_loopback_host(address.host)) {
        spdlog::warn(
            "syslog {} ({}): listening beyond loopback; anyone who reaches it writes to app \"{}\" "
            "as \"{}\"",
            config.listen, config.transport == SyslogTransport::tcp ? "tcp" : "udp", config.app,
            config.user);
    }
}

SyslogListener::~SyslogListener() = default;

std::uint16_t SyslogListener::port() const {
    return acceptor_ ? acceptor_->local_endpoint().port() : udp_->local_endpoint().port();
}

void SyslogListener::run() {
    if (acceptor_) do_accept();
    else do_receive();
}

void SyslogListener::stop() {
    stopped_ = true;
    beast::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
    if (udp_) udp_->close(ignored);
    for (SyslogTcpSession* s : std::vector<SyslogTcpSession*>(sessions_.begin(), sessions_.end()))
        s->close();
}

void SyslogListener::do_accept() {
    acceptor_->async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (self->stopped_) return;
        if (!ec) {
            if (self->ctx_.stats.open_connections >= self->ctx_.settings.max_connections) {
                // Over max_connections: refused like any other connection.
                ++self->ctx_.stats.connections_refused;
                beast::error_code ignored;
                socket.close(ignored);
            } else {
                std::make_shared<SyslogTcpSession>(*self, std::move(socket))->start();
            }
        }
        self->do_accept();
    });
}

void SyslogListener::do_receive() {
    udp_->async_wait(net::socket_base::wait_read,
                     [self = shared_from_this()](beast::error_code ec) {
                         if (ec || self->stopped_) return;
                         self->on_datagrams(0);
                     });
}

void SyslogListener::on_datagrams(std::size_t) {
    auto& counters = ctx_.stats.ingest.at(IngestProtocol::syslog, IngestFormat::udp);
    const std::int64_t now = ctx_.hub.clock().now_ms();
    protocol::LogsRequest batch;
    for (std::size_t i = 0; i < kDatagramsPerBatch; ++i) {
        beast::error_code ec;
        const std::size_t n = udp_->receive_from(net::buffer(datagram_), sender_, 0, ec);
        if (ec) break;  // would_block: drained
        ctx_.stats.bytes_received += n;
        auto parsed = protocol::parse_syslog(std::string_view(datagram_.data(), n), now);
        if (parsed.malformed) ++counters.malformed;
        parsed.entry.index = i;
        protocol::admit_decoded(std::move(parsed.entry), ctx_.limits, batch);
    }
    if (!batch.accepted.empty() || !batch.rejected.empty()) {
        const IngestSource source{config_.app, config_.user, IngestProtocol::syslog,
                                  IngestFormat::udp};
        ingest_entries(ctx_, source, std::move(batch), [&counters](IngestOutcome outcome) {
            // UDP has no way to slow its sender: what is refused is dropped, and counted.
            if (!outcome.stored())
                counters.dropped +=
                    outcome.refused.accepted.size() + outcome.refused.rejected.size();
        });
    }
    do_receive();
}

}  // namespace smartlog::server
