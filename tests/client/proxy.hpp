// tests/client/proxy.hpp: a TCP proxy on loopback that a test can cut, or make deaf, to drop a
// client's connection at a chosen moment while the server keeps running.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace smartlog::test {

class Proxy {
    using tcp = boost::asio::ip::tcp;

public:
    explicit Proxy(int upstream_port)
        : acceptor_(ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
          upstream_(boost::asio::ip::make_address("127.0.0.1"),
                    static_cast<unsigned short>(upstream_port)) {
        accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~Proxy() {
        boost::asio::post(ioc_, [this] {
            acceptor_.close();
            cut_now();
        });
        ioc_.stop();
        thread_.join();
    }

    std::string url() const {
        return "ws://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/";
    }

    // Closes every connection through the proxy; new ones are accepted as before.
    void cut() {
        std::promise<void> done;
        boost::asio::post(ioc_, [&] {
            cut_now();
            done.set_value();
        });
        done.get_future().wait();
    }
    // From now on what the server sends on the current connections is thrown away (the client
    // hears nothing, as when a reply is lost with the connection).
    void deafen() { deaf_generation_ = generation_.load(); }

private:
    struct Pipe {
        tcp::socket client, server;
        std::array<char, 65536> up{}, down{};
        std::uint64_t generation = 0;
        explicit Pipe(boost::asio::io_context& ioc) : client(ioc), server(ioc) {}
    };

    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec) return;
            auto pipe = std::make_shared<Pipe>(ioc_);
            pipe->client = std::move(socket);
            pipe->generation = generation_;
            pipes_.push_back(pipe);
            pipe->server.async_connect(upstream_, [this, pipe](boost::system::error_code ec) {
                if (ec) return close(*pipe);
                relay(pipe, pipe->client, pipe->server, pipe->up, false);
                relay(pipe, pipe->server, pipe->client, pipe->down, true);
            });
            accept();
        });
    }

    template <std::size_t N>
    void relay(std::shared_ptr<Pipe> pipe, tcp::socket& from, tcp::socket& to,
               std::array<char, N>& buf, bool downstream) {
        from.async_read_some(
            boost::asio::buffer(buf), [this, pipe, &from, &to, &buf, downstream](
                                          boost::system::error_code ec, std::size_t n) {
                if (ec) return close(*pipe);
                if (downstream && pipe->generation <= deaf_generation_)
                    return relay(pipe, from, to, buf, downstream);
                boost::asio::async_write(to, boost::asio::buffer(buf.data(), n),
                                         [this, pipe, &from, &to, &buf, downstream](
                                             boost::system::error_code ec, std::size_t) {
                                             if (ec) return close(*pipe);
                                             relay(pipe, from, to, buf, downstream);
                                         });
            });
    }

    static void close(Pipe& p) {
        boost::system::error_code ignored;
        p.client.close(ignored);
        p.server.close(ignored);
    }

    void cut_now() {
        for (auto& p : pipes_) close(*p);
        pipes_.clear();
        ++generation_;
    }

    boost::asio::io_context ioc_;
    tcp::acceptor acceptor_;
    tcp::endpoint upstream_;
    std::vector<std::shared_ptr<Pipe>> pipes_;
    std::atomic<std::uint64_t> generation_{1};
    std::atomic<std::uint64_t> deaf_generation_{0};
    std::thread thread_;
};

}  // namespace smartlog::test
