// server/syslog_listener.hpp: one [[syslog]] listener (docs/ingest.md "Syslog"): TCP with
// octet counting or newline framing (RFC 6587), or UDP, one message per datagram. Every
// message becomes an entry of the listener's app, written as its user, through the same
// admission as HTTP ingest (server/ingest_pipeline.hpp). Under backpressure or a rate limit a
// TCP connection stops being read until its batch is taken; UDP datagrams are dropped and
// counted. Net thread only.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>

#include "server/config.hpp"
#include "server/net.hpp"
#include "server/server_context.hpp"

namespace smartlog::server {

class SyslogTcpSession;

class SyslogListener : public std::enable_shared_from_this<SyslogListener> {
public:
    // Binds `config.listen`; throws boost::system::system_error when it cannot.
    SyslogListener(ServerContext& ctx, const SyslogConfig& config);
    ~SyslogListener();

    void run();
    // Stops accepting and receiving, and closes every connection.
    void stop();
    // The bound port (useful when `listen` asked for port 0).
    std::uint16_t port() const;
    const SyslogConfig& config() const { return config_; }

private:
    friend class SyslogTcpSession;
    void do_accept();
    void do_receive();
    void on_datagrams(std::size_t first_size);

    ServerContext& ctx_;
    SyslogConfig config_;
    std::unique_ptr<tcp::acceptor> acceptor_;
    std::unique_ptr<net::ip::udp::socket> udp_;
    net::ip::udp::endpoint sender_;
    std::string datagram_;
    std::unordered_set<SyslogTcpSession*> sessions_;
    bool stopped_ = false;
};

}  // namespace smartlog::server
