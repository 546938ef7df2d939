// The `smartlog` command against the real smartlogd.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <smartlog/client.hpp>

#include "support.hpp"

namespace smartlog::test {
namespace {

namespace json = boost::json;

std::vector<std::string> cli(const Server& s, std::vector<std::string> args,
                             std::string user = "alice", std::string app = "shop") {
    std::vector<std::string> argv = {SMARTLOG_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--url", s.url(), "--user", user, "--app", app, "--timeout", "20s"});
    return argv;
}

json::object parse_entry(const std::string& line) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    EXPECT_TRUE(v.is_object()) << line;
    return v.is_object() ? v.get_object() : json::object{};
}

TEST(Cli, SendThenTailRoundTripsAsJsonLines) {
    Server server;
    auto sent = run(
        cli(server, {"send", "--level", "warn", "--meta", "host=web1", "disk", "almost", "full"}));
    ASSERT_EQ(sent.code, 0) << sent.err;

    Process tail(cli(server, {"tail", "--json"}));
    ASSERT_TRUE(tail.wait_output(
        [](const std::string& o) { return o.find("disk almost full") != std::string::npos; }, 20s))
        << tail.out() << tail.err();
    // A second entry arrives live, after the history the tail printed first.
    ASSERT_EQ(run(cli(server, {"send", "second one"})).code, 0);
    ASSERT_TRUE(tail.wait_output([](const std::string& o) { return lines_of(o).size() >= 2; }, 20s))
        << tail.err();
    tail.signal(SIGINT);
    EXPECT_EQ(tail.wait_exit(10s), 0) << tail.err();

    const auto lines = lines_of(tail.out());
    ASSERT_EQ(lines.size(), 2u) << tail.out();
    auto first = parse_entry(lines[0]);
    EXPECT_EQ(first.at("message").as_string(), "disk almost full");
    EXPECT_EQ(first.at("level").as_string(), "warn");
    EXPECT_EQ(first.at("appId").as_string(), "shop");
    EXPECT_EQ(first.at("userId").as_string(), "alice");
    EXPECT_EQ(first.at("metadata").at("host").as_string(), "web1");
    EXPECT_TRUE(first.at("id").is_string());
    EXPECT_TRUE(first.at("timestamp").is_int64() || first.at("timestamp").is_uint64());
    auto second = parse_entry(lines[1]);
    EXPECT_EQ(second.at("message").as_string(), "second one");
    EXPECT_EQ(second.at("level").as_string(), "info");
    EXPECT_LT(first.at("id").as_string(), second.at("id").as_string());
}

TEST(Cli, TailFiltersByLevelAndSearchAndPrintsPlainTextToAPipe) {
    Server server;
    ASSERT_EQ(run(cli(server, {"send", "-l", "info", "user logged in"})).code, 0);
    ASSERT_EQ(run(cli(server, {"send", "-l", "error", "payment failed"})).code, 0);
    ASSERT_EQ(run(cli(server, {"send", "-l", "fatal", "payment service down"})).code, 0);
    ASSERT_EQ(run(cli(server, {"send", "-l", "error", "disk failed"})).code, 0);

    Process tail(
        cli(server, {"tail", "--level", "error+", "--search", "PAYMENT", "--since", "10m"}));
    ASSERT_TRUE(tail.wait_output([](const std::string& o) { return lines_of(o).size() >= 2; }, 20s))
        << tail.err();
    tail.pump(300ms);
    tail.signal(SIGTERM);
    EXPECT_EQ(tail.wait_exit(10s), 0);
    const auto lines = lines_of(tail.out());
    ASSERT_EQ(lines.size(), 2u) << tail.out();
    EXPECT_NE(lines[0].find("ERROR payment failed"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("FATAL payment service down"), std::string::npos) << lines[1];
    EXPECT_EQ(tail.out().find('\x1b'), std::string::npos) << "no colour codes into a pipe";
}

TEST(Cli, StdinOfTenThousandLinesArrivesCompleteAndInOrder) {
    Server server({"--history-limit", "20000"});
    std::string input;
    constexpr int kLines = 10'000;
    for (int i = 0; i < kLines; ++i)
        input += "line " + std::to_string(i) + " \t\"quoted\" \\ end\n";
    auto sent = run(cli(server, {"send"}), input, 120s);
    ASSERT_EQ(sent.code, 0) << sent.err;

    auto history = run(cli(server, {"history", "--json", "--limit", "20000"}));
    ASSERT_EQ(history.code, 0) << history.err;
    const auto lines = lines_of(history.out);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(kLines));
    for (int i = 0; i < kLines; ++i) {
        auto e = parse_entry(lines[i]);
        ASSERT_EQ(e.at("message").as_string(), "line " + std::to_string(i) + " \t\"quoted\" \\ end")
            << "at " << i;
    }
}

TEST(Cli, TailPrintsHistoryThenLiveWithNoGapAndNoDuplicate) {
    Server server({"--history-limit", "5000"});
    ClientOptions o;
    o.url = server.url();
    o.user_id = "alice";
    o.app_id = "shop";
    o.mode = Mode::producer;
    o.batch_max_entries = 20;
    o.batch_max_delay = std::chrono::milliseconds(2);
    Client producer(o);
    producer.start();
    ASSERT_EQ(producer.wait_ready(10s), ConnectionState::ready);

    constexpr int kTotal = 3000;
    Process tail(cli(server, {"tail", "--json", "-n", "5000"}));
    // The tail starts while entries flow: some reach it as history, the rest live.
    for (int i = 0; i < kTotal; ++i) {
        producer.log("info", "seq " + std::to_string(i));
        if (i % 100 == 0) {
            std::this_thread::sleep_for(2ms);
            tail.pump(0ms);
        }
    }
    ASSERT_TRUE(producer.wait_acknowledged(30s));
    ASSERT_TRUE(tail.wait_output(
        [](const std::string& o) {
            return o.find("\"seq " + std::to_string(kTotal - 1) + "\"") != std::string::npos;
        },
        30s))
        << tail.err();
    tail.signal(SIGINT);
    tail.wait_exit(10s);
    const auto lines = lines_of(tail.out());
    ASSERT_FALSE(lines.empty());
    int expected = -1;
    for (const auto& line : lines) {
        auto e = parse_entry(line);
        const int seq = std::stoi(std::string(e.at("message").as_string()).substr(4));
        if (expected < 0) expected = seq;
        ASSERT_EQ(seq, expected) << "a gap or a duplicate";
        ++expected;
    }
    EXPECT_EQ(expected, kTotal);
}

TEST(Cli, HistoryMetricsAndClear) {
    Server server;
    ASSERT_EQ(run(cli(server, {"send", "one"})).code, 0);
    ASSERT_EQ(run(cli(server, {"send", "two"})).code, 0);
    auto history = run(cli(server, {"history", "--limit", "1"}));
    ASSERT_EQ(history.code, 0) << history.err;
    EXPECT_NE(history.out.find("INFO  two"), std::string::npos) << history.out;
    EXPECT_EQ(history.out.find("one"), std::string::npos) << history.out;

    auto metrics = run(cli(server, {"metrics", "--json"}));
    ASSERT_EQ(metrics.code, 0) << metrics.err;
    auto m = json::parse(metrics.out).as_object();
    EXPECT_TRUE(m.contains("cpu") && m.contains("memory") && m.contains("messageRate"))
        << metrics.out;
    // Plain numbers: no exponent (Boost.JSON's own doubles read 2.0122574055158324E1), at most
    // six decimals.
    for (std::size_t i = 0; i < metrics.out.size(); ++i) {
        const char c = metrics.out[i];
        const bool in_number =
            i > 0 && (std::isdigit(static_cast<unsigned char>(metrics.out[i - 1])) ||
                      metrics.out[i - 1] == '.');
        EXPECT_FALSE(in_number && (c == 'e' || c == 'E'))
            << "exponent at " << i << ": " << metrics.out;
    }
    EXPECT_EQ(metrics.out.back(), '\n');

    auto cleared = run(cli(server, {"clear"}));
    ASSERT_EQ(cleared.code, 0) << cleared.err;
    EXPECT_NE(cleared.out.find("cleared 2 entries"), std::string::npos) << cleared.out;
    auto after = run(cli(server, {"history", "--json"}));
    EXPECT_EQ(after.code, 0);
    EXPECT_EQ(after.out, "");
}

constexpr const char* kUsersToml = R"(
[[apps]]
id = "shop"
active = true

[[apps]]
id = "old"
active = false

[[users]]
id = "alice"
token_sha256 = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"  # "secret"
apps = { shop = ["read", "write", "clear"], old = ["read"] }

[[users]]
id = "reader"
token_sha256 = "none"
apps = { shop = ["read"] }
)";

TEST(Cli, ExitCodesAScriptCanRelyOn) {
    Server server({}, kUsersToml);
    auto with_token = [&](std::vector<std::string> args, std::string user, std::string app,
                          std::string token) {
        auto argv = cli(server, std::move(args), std::move(user), std::move(app));
        argv.insert(argv.end(), {"--token", token});
        return argv;
    };
    EXPECT_EQ(run(with_token({"send", "hello"}, "alice", "shop", "secret")).code, 0);

    auto wrong = run(with_token({"send", "hello"}, "alice", "shop", "nope"));
    EXPECT_EQ(wrong.code, 3) << wrong.err;
    EXPECT_NE(wrong.err.find("authentication refused"), std::string::npos) << wrong.err;
    EXPECT_EQ(std::count(wrong.err.begin(), wrong.err.end(), '\n'), 1) << "one line: " << wrong.err;

    auto forbidden = run(cli(server, {"clear"}, "reader", "shop"));
    EXPECT_EQ(forbidden.code, 4) << forbidden.err;
    auto write_forbidden = run(cli(server, {"send", "x"}, "reader", "shop"));
    EXPECT_EQ(write_forbidden.code, 4) << write_forbidden.err;

    EXPECT_EQ(run(with_token({"status"}, "alice", "shop", "secret")).code, 0);
    EXPECT_EQ(run(with_token({"status"}, "alice", "old", "secret")).code, 4);
    EXPECT_EQ(run(with_token({"status"}, "alice", "shop", "nope")).code, 3);

    EXPECT_EQ(run({SMARTLOG_CLI_PATH, "tail", "--no-such-flag"}).code, 1);
    EXPECT_EQ(run({SMARTLOG_CLI_PATH, "send", "--url", server.url(), "--app", "shop", "x"}).code,
              1);
    EXPECT_EQ(run({SMARTLOG_CLI_PATH}).code, 1);
    auto help = run({SMARTLOG_CLI_PATH, "--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("Exit codes"), std::string::npos);

    const int port = server.port();
    server.stop();
    auto down =
        run({SMARTLOG_CLI_PATH, "history", "--url", "ws://127.0.0.1:" + std::to_string(port) + "/",
             "-u", "alice", "-a", "shop", "--timeout", "2s"});
    EXPECT_EQ(down.code, 2) << down.err;
    EXPECT_NE(down.err.find("cannot connect"), std::string::npos) << down.err;
}

TEST(Cli, ReadsServerAndCredentialsFromTheEnvironment) {
    Server server;
    Process send(
        {SMARTLOG_CLI_PATH, "send", "from the environment"},
        {"SMARTLOG_URL=" + server.url(), "SMARTLOG_USER=env-user", "SMARTLOG_APP=env-app"});
    send.close_stdin();
    ASSERT_EQ(send.wait_exit(20s), 0) << send.err();
    auto history = run(cli(server, {"history", "--json"}, "someone", "env-app"));
    ASSERT_EQ(history.code, 0);
    auto e = parse_entry(lines_of(history.out).at(0));
    EXPECT_EQ(e.at("userId").as_string(), "env-user");
    EXPECT_EQ(e.at("message").as_string(), "from the environment");
}

// Apps for the flags-versus-environment test: every value of the environment names something
// the command cannot use (a port nobody listens on, an unknown user, an app alice has no right
// on, a wrong token), so any subcommand that let the environment win would fail or touch
// billing.
constexpr const char* kTwoAppsToml = R"(
[[apps]]
id = "shop"
active = true

[[apps]]
id = "billing"
active = true

[[users]]
id = "alice"
token_sha256 = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"  # "secret"
apps = { shop = ["read", "write", "clear"] }

[[users]]
id = "bob"
token_sha256 = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"  # "secret"
apps = { billing = ["read", "write", "clear"] }
)";

RunResult run_with_env(std::vector<std::string> argv, std::vector<std::string> env) {
    Process p(std::move(argv), std::move(env));
    p.close_stdin();
    RunResult r;
    r.code = p.wait_exit(60s).value_or(-1);
    r.out = p.out();
    r.err = p.err();
    return r;
}

// `SMARTLOG_APP=billing smartlog clear -u user123 -a app456` once cleared billing: CLI11 reads
// the environment into the options of every subcommand, used or not, and they shared one
// struct, so the last subcommand's environment value overwrote the flag. Destructive first.
TEST(Cli, FlagsBeatTheEnvironmentInEverySubcommand) {
    Server server({}, kTwoAppsToml);
    auto as = [&](std::vector<std::string> args, const std::string& user, const std::string& app) {
        std::vector<std::string> argv = {SMARTLOG_CLI_PATH};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--url", server.url(), "-u", user, "-a", app, "--token", "secret",
                                 "--timeout", "20s"});
        return argv;
    };
    const std::vector<std::string> env = {"SMARTLOG_URL=ws://127.0.0.1:1/", "SMARTLOG_USER=mallory",
                                          "SMARTLOG_APP=billing", "SMARTLOG_TOKEN=wrong"};
    ASSERT_EQ(run(as({"send", "billing keeps this"}, "bob", "billing")).code, 0);
    ASSERT_EQ(run(as({"send", "shop loses this"}, "alice", "shop")).code, 0);

    auto cleared = run_with_env(as({"clear"}, "alice", "shop"), env);
    ASSERT_EQ(cleared.code, 0) << cleared.err;
    EXPECT_EQ(cleared.out, "cleared 1 entry of app shop\n");
    auto billing = run(as({"history", "--json"}, "bob", "billing"));
    ASSERT_EQ(lines_of(billing.out).size(), 1u) << billing.out;
    EXPECT_EQ(parse_entry(lines_of(billing.out)[0]).at("message").as_string(),
              "billing keeps this");

    auto sent = run_with_env(as({"send", "by flags"}, "alice", "shop"), env);
    ASSERT_EQ(sent.code, 0) << sent.err;
    auto history = run_with_env(as({"history", "--json"}, "alice", "shop"), env);
    ASSERT_EQ(history.code, 0) << history.err;
    ASSERT_EQ(lines_of(history.out).size(), 1u) << history.out;
    auto e = parse_entry(lines_of(history.out)[0]);
    EXPECT_EQ(e.at("message").as_string(), "by flags");
    EXPECT_EQ(e.at("userId").as_string(), "alice");
    EXPECT_EQ(e.at("appId").as_string(), "shop");

    auto metrics = run_with_env(as({"metrics", "--json"}, "alice", "shop"), env);
    ASSERT_EQ(metrics.code, 0) << metrics.err;
    EXPECT_TRUE(json::parse(metrics.out).as_object().contains("messageRate")) << metrics.out;

    Process tail(as({"tail", "--json", "-n", "5"}, "alice", "shop"), env);
    ASSERT_TRUE(tail.wait_output(
        [](const std::string& o) { return o.find("by flags") != std::string::npos; }, 30s))
        << tail.err();
    tail.signal(SIGINT);
    EXPECT_EQ(tail.wait_exit(10s), 0) << tail.err();

    auto status = run_with_env(as({"status", "--json"}, "alice", "shop"), env);
    EXPECT_EQ(status.code, 0) << status.out << status.err;
}

// A one-shot script: `smartlog send x && smartlog history -n 1` must see x, with no wait in
// between (the entry may still be in the app's pending live batch when history is asked).
TEST(Cli, HistoryRightAfterSendHoldsTheEntry) {
    Server server({"--batch-max-delay", "2s"});
    for (int i = 0; i < 5; ++i) {
        const std::string message = "one-shot " + std::to_string(i);
        ASSERT_EQ(run(cli(server, {"send", message})).code, 0);
        auto history = run(cli(server, {"history", "-n", "1", "--json"}));
        ASSERT_EQ(history.code, 0) << history.err;
        ASSERT_EQ(lines_of(history.out).size(), 1u) << history.out;
        EXPECT_EQ(parse_entry(lines_of(history.out)[0]).at("message").as_string(), message);
    }
}

// The original library's `log` level ranks between debug and info for LEVEL+.
TEST(Cli, LevelPlusKnowsTheOriginalLibrarysLogLevel) {
    Server server;
    for (auto level : {"debug", "log", "info", "audit"}) {
        ASSERT_EQ(run(cli(server, {"send", "-l", level, std::string("at ") + level})).code, 0);
    }
    auto messages = [&](std::vector<std::string> args) {
        auto r = run(cli(server, std::move(args)));
        EXPECT_EQ(r.code, 0) << r.err;
        std::vector<std::string> out;
        for (const auto& line : lines_of(r.out))
            out.emplace_back(parse_entry(line).at("message").as_string());
        return out;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(messages({"history", "--json", "-l", "log+"}), (V{"at log", "at info"}));
    EXPECT_EQ(messages({"history", "--json", "-l", "debug+"}),
              (V{"at debug", "at log", "at info"}));
    EXPECT_EQ(messages({"history", "--json", "-l", "info+"}), (V{"at info"}));
    EXPECT_EQ(messages({"history", "--json", "-l", "log,audit"}), (V{"at log", "at audit"}));
    auto plain = run(cli(server, {"history", "-l", "log"}));
    EXPECT_NE(plain.out.find("LOG   at log"), std::string::npos) << plain.out;
    auto bad = run(cli(server, {"history", "-l", "audit+"}));
    EXPECT_EQ(bad.code, 1);
    EXPECT_NE(bad.err.find("trace debug log info warn error fatal"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace smartlog::test
