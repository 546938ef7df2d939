#include "server/connection_limit.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

namespace smartlog::server {

namespace {

// Refused sockets that may linger at once; past it they are closed right after the 503 (a
// flood of connections must not turn into a flood of open descriptors).
constexpr std::uint64_t kMaxLingering = 256;
constexpr std::chrono::milliseconds kMaxLinger{1000};

// Descriptors besides client connections: the store, logs, the listener, lingering refusals.
constexpr std::uint64_t kOtherDescriptors = 64 + kMaxLingering;

// Reads and discards what the refused client sends until it closes or the deadline passes.
class Refused : public std::enable_shared_from_this<Refused> {
public:
    Refused(tcp::socket&& socket, ServerContext& ctx) : stream_(std::move(socket)), ctx_(ctx) {}

    void linger(std::chrono::milliseconds deadline) {
        ++ctx_.stats.refusals_lingering;
        stream_.expires_after(deadline);
        do_read();
    }

private:
    void do_read() {
        stream_.async_read_some(net::buffer(scratch_),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    // The last handler of this object: EOF, the deadline, or a
                                    // reset.
                                    if (ec) {
                                        --self->ctx_.stats.refusals_lingering;
                                        return;
                                    }
                                    self->do_read();
                                });
    }

    beast::tcp_stream stream_;
    ServerContext& ctx_;
    std::array<char, 512> scratch_;
};

std::string refusal_text(std::string_view message) {
    // The messages are ours: nothing in them needs JSON escaping.
    const std::string body =
        fmt::format(R"({{"error":{{"code":"unavailable","message":"{}"}}}})", message);
    return fmt::format("HTTP/1.1 503 Service Unavailable\r\nServer: smartlogd/" SMARTLOG_VERSION
                       "\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: "
                       "close\r\nContent-Length: {}\r\n\r\n{}",
                       body.size(), body);
}

}  // namespace

bool at_connection_limit(const ServerContext& ctx) noexcept {
    return ctx.stats.open_connections >= ctx.settings.max_connections;
}

void refuse_connection(tcp::socket socket, ServerContext& ctx) {
    refuse_connection(
        std::move(socket), ctx,
        fmt::format(
            "too many connections: this server serves at most {} (max_connections); retry later",
            ctx.settings.max_connections));
}

void refuse_connection(tcp::socket socket, ServerContext& ctx, std::string_view message) {
    ++ctx.stats.connections_refused;
    beast::error_code ec;
    // With TLS the client expects a handshake first: a plain 503 would be noise to it, and a
    // handshake is the expense this refusal exists to avoid. It gets a close.
    if (!ctx.tls) {
        // A fresh socket's send buffer is empty: a few hundred bytes go out without waiting.
        socket.non_blocking(true, ec);
        const std::string text = refusal_text(message);
        if (!ec) ctx.stats.bytes_sent += socket.write_some(net::buffer(text), ec);
    }
    socket.shutdown(tcp::socket::shutdown_send, ec);
    if (ec || ctx.stats.refusals_lingering >= kMaxLingering || ctx.stopping) return;  // closes
    std::make_shared<Refused>(std::move(socket), ctx)
        ->linger(std::min<std::chrono::milliseconds>(kMaxLinger, ctx.settings.header_timeout));
}

void reserve_descriptors(std::size_t max_connections) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    const rlim_t wanted = static_cast<rlim_t>(max_connections + kOtherDescriptors);
    if (limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < wanted) {
        spdlog::warn(
            "max_connections {} needs about {} open files, but the hard limit (ulimit -Hn) is {}: "
            "connections past it fail to be accepted instead of getting 503",
            max_connections, wanted, limit.rlim_max);
    }
}

}  // namespace smartlog::server
