// The `smartlog` command and smartlog::Client over wss:// against the real smartlogd with TLS,
// trusting a self-signed certificate made at test time with the openssl command.
#include <gtest/gtest.h>

#include <smartlog/client.hpp>

#include "support.hpp"

namespace smartlog::test {
namespace {

// A self-signed certificate for 127.0.0.1 and its key, in a temp dir removed at the end.
class Certificate {
public:
    Certificate() : dir_(temp_dir()) {
        auto r = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                      "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                      "-keyout", key(), "-out", cert()});
        if (r.code != 0) throw std::runtime_error("openssl req failed: " + r.err);
    }
    ~Certificate() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string cert() const { return (dir_ / "server.crt").string(); }
    std::string key() const { return (dir_ / "server.key").string(); }

private:
    fs::path dir_;
};

std::vector<std::string> cli(const Server& s, const Certificate* ca, std::vector<std::string> args,
                             std::string timeout = "10s") {
    std::vector<std::string> argv = {SMARTLOG_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(),
                {"--url", s.url(), "--user", "alice", "--app", "shop", "--timeout", timeout});
    if (ca) argv.insert(argv.end(), {"--tls-ca", ca->cert()});
    return argv;
}

TEST(Tls, CliSendsAndReadsHistoryOverWss) {
    Certificate cert;
    Server server({"--tls-cert", cert.cert(), "--tls-key", cert.key()});
    ASSERT_EQ(server.url().rfind("wss://", 0), 0u) << server.url();

    auto sent = run(cli(server, &cert, {"send", "--level", "warn", "sent", "over", "tls"}));
    ASSERT_EQ(sent.code, 0) << sent.err;
    auto history = run(cli(server, &cert, {"history", "--json"}));
    ASSERT_EQ(history.code, 0) << history.err;
    const auto lines = lines_of(history.out);
    ASSERT_EQ(lines.size(), 1u) << history.out;
    EXPECT_NE(lines[0].find("\"message\":\"sent over tls\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"level\":\"warn\""), std::string::npos) << lines[0];
}

TEST(Tls, CliRefusesAnUntrustedCertificate) {
    Certificate cert;
    Server server({"--tls-cert", cert.cert(), "--tls-key", cert.key()});
    // Without --tls-ca the system's CAs do not know this self-signed certificate. The command
    // retries until its timeout: keep it short.
    auto sent = run(cli(server, nullptr, {"send", "must not arrive"}, "2s"));
    EXPECT_NE(sent.code, 0) << sent.out;
    EXPECT_NE(sent.err.find("certificate"), std::string::npos) << sent.err;
    auto history = run(cli(server, &cert, {"history", "--json"}));
    ASSERT_EQ(history.code, 0) << history.err;
    EXPECT_EQ(history.out, "");
}

TEST(Tls, LibraryProducesAndViewsOverWss) {
    Certificate cert;
    Server server({"--tls-cert", cert.cert(), "--tls-key", cert.key(), "--batch-max-delay", "5ms"});
    auto options = [&](Mode mode) {
        ClientOptions o;
        o.url = server.url();
        o.user_id = "alice";
        o.app_id = "shop";
        o.mode = mode;
        o.tls_ca_file = cert.cert();
        o.batch_max_delay = std::chrono::milliseconds(5);
        o.connect_timeout = std::chrono::milliseconds(5000);
        o.close_timeout = std::chrono::milliseconds(2000);
        return o;
    };
    std::mutex mu;
    std::vector<std::string> seen;
    Client viewer(options(Mode::viewer));
    viewer.on_logs([&](const std::vector<LogEntry>& entries) {
        std::lock_guard lock(mu);
        for (const auto& e : entries) seen.push_back(e.message);
    });
    viewer.start();
    ASSERT_EQ(viewer.wait_ready(10s), ConnectionState::ready);
    Client producer(options(Mode::producer));
    producer.start();
    ASSERT_EQ(producer.wait_ready(10s), ConnectionState::ready);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(producer.log("info", "tls " + std::to_string(i)));
    ASSERT_TRUE(producer.wait_acknowledged(10s));
    ASSERT_TRUE(eventually([&] {
        std::lock_guard lock(mu);
        return seen.size() >= 10;
    }));
    std::lock_guard lock(mu);
    ASSERT_EQ(seen.size(), 10u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(seen[i], "tls " + std::to_string(i));
    EXPECT_EQ(producer.stats().acked, 10u);
}

}  // namespace
}  // namespace smartlog::test
