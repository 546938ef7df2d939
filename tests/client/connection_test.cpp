// client::Connection against the real smartlogd: the link's rules that the Client builds on.
// The io_context runs on the test's thread, so each test sees the connection's events in order.
#include "client/connection.hpp"

#include <gtest/gtest.h>

#include "protocol/requests.hpp"
#include "proxy.hpp"
#include "support.hpp"

namespace smartlog::test {
namespace {

using client::Connection;
namespace net = boost::asio;

struct Recording : Connection::Listener {
    std::vector<std::string> events;
    std::vector<std::string> frames;
    void on_open() override { events.push_back("open"); }
    void on_frame(const std::string& text) override { frames.push_back(text); }
    void on_lost(const std::string&) override { events.push_back("lost"); }
    void on_reconnect_due() override { events.push_back("reconnect_due"); }
    void on_closed() override { events.push_back("closed"); }
    std::size_t count(const std::string& e) const {
        return static_cast<std::size_t>(std::count(events.begin(), events.end(), e));
    }
};

client::WsUrl url_of(const std::string& url) { return *client::parse_ws_url(url); }

Connection::Options fast_reconnect() {
    Connection::Options o;
    o.transport.connect_timeout = std::chrono::milliseconds(5000);
    o.reconnect_initial = std::chrono::milliseconds(1);
    o.reconnect_max = std::chrono::milliseconds(1);
    return o;
}

// Runs handlers until `pred` holds; false if it still does not after `timeout`.
bool run_until(net::io_context& ioc, const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        ioc.run_one_for(std::chrono::milliseconds(100));
        if (ioc.stopped()) ioc.restart();
    }
    return true;
}

std::string viewer_auth() {
    return protocol::auth_request({"alice", "shop", std::nullopt}, protocol::Mode::viewer);
}

TEST(Connection, OpensAndDeliversTheServersAnswers) {
    Server server;
    net::io_context ioc;
    Recording events;
    auto c =
        std::make_shared<Connection>(ioc, url_of(server.url()), fast_reconnect(), nullptr, events);
    c->open();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("open") == 1; }));
    EXPECT_TRUE(c->is_open());
    c->write(viewer_auth());
    ASSERT_TRUE(run_until(ioc, [&] { return !events.frames.empty(); }));
    EXPECT_NE(events.frames[0].find("auth_success"), std::string::npos) << events.frames[0];
    c->close();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("closed") == 1; }));
    EXPECT_EQ(events.count("lost"), 0u) << "a close asked for is not a loss";
}

TEST(Connection, AfterALostLinkOpensAgainOnceTheBackoffDelayHasPassed) {
    Server server;
    Proxy proxy(server.port());
    net::io_context ioc;
    Recording events;
    auto c =
        std::make_shared<Connection>(ioc, url_of(proxy.url()), fast_reconnect(), nullptr, events);
    c->open();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("open") == 1; }));
    proxy.cut();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("lost") == 1; }));
    EXPECT_FALSE(c->is_open());
    c->reconnect_later();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("reconnect_due") == 1; }));
    c->open();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("open") == 2; }));
    c->write(viewer_auth());
    ASSERT_TRUE(run_until(ioc, [&] { return !events.frames.empty(); }));
    EXPECT_EQ(events.count("lost"), 1u);
}

// A dropped transport's handlers complete later with operation_aborted: they belong to an
// older generation and must report nothing (else the Client would reconnect a second time).
TEST(Connection, ADroppedTransportsLateCompletionsReportNothing) {
    Server server;
    net::io_context ioc;
    Recording events;
    auto c =
        std::make_shared<Connection>(ioc, url_of(server.url()), fast_reconnect(), nullptr, events);
    c->open();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("open") == 1; }));
    c->write(viewer_auth());  // a write and a read outstanding
    c->drop();
    // Every operation was aborted: run_for returns as soon as their completions have run and
    // nothing is left (stopped() says it ran out of work rather than out of time).
    ioc.restart();
    ioc.run_for(20s);
    ASSERT_TRUE(ioc.stopped());
    EXPECT_EQ(events.count("lost"), 0u);
    EXPECT_TRUE(events.frames.empty());
}

// Handlers hold a weak reference: a Connection destroyed with a write and a read outstanding
// is not called back when they complete (with `this` captured it would be a use after free,
// which AddressSanitizer reports; with a strong reference, a connection kept alive by the
// io_context and reporting to a listener that is gone).
TEST(Connection, ADestroyedConnectionsOutstandingHandlersDoNothing) {
    Server server;
    net::io_context ioc;
    Recording events;
    auto c =
        std::make_shared<Connection>(ioc, url_of(server.url()), fast_reconnect(), nullptr, events);
    c->open();
    ASSERT_TRUE(run_until(ioc, [&] { return events.count("open") == 1; }));
    c->write(viewer_auth());  // the server answers it: the read completes too
    std::weak_ptr<Connection> weak = c;
    c.reset();
    EXPECT_TRUE(weak.expired()) << "no handler holds the connection";
    ioc.restart();
    ioc.run_for(20s);  // returns once the write and the read have completed and nothing is left
    ASSERT_TRUE(ioc.stopped());
    EXPECT_TRUE(events.frames.empty());
    EXPECT_EQ(events.count("lost"), 0u);
}

}  // namespace
}  // namespace smartlog::test
