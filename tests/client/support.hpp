// tests/client/support.hpp: the real smartlogd and the real `smartlog` command, as child
// processes, for the client tests. Loopback only; servers listen on 127.0.0.1:0 first.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace smartlog::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

inline fs::path temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "smartlog-client-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

// A child process with its stdin, stdout and stderr on pipes.
class Process {
public:
    Process(std::vector<std::string> argv, std::vector<std::string> extra_env = {}) {
        int in[2], out[2], err[2];
        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
            throw std::runtime_error("pipe");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_adddup2(&actions, err[1], 2);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        std::vector<std::string> env_strings;
        for (char** e = environ; *e; ++e) {
            std::string s = *e;
            // The tests pass everything by flag: a developer's SMARTLOG_* must not leak in.
            if (s.rfind("SMARTLOG_", 0) == 0) continue;
            env_strings.push_back(s);
        }
        for (auto& e : extra_env) env_strings.push_back(e);
        std::vector<char*> env;
        for (auto& e : env_strings) env.push_back(e.data());
        env.push_back(nullptr);
        const int spawned = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data());
        posix_spawn_file_actions_destroy(&actions);
        if (spawned != 0) {
            for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
            throw std::runtime_error("cannot run " + argv[0]);
        }
        close(in[0]);
        close(out[1]);
        close(err[1]);
        stdin_ = in[1];
        stdout_ = out[0];
        stderr_ = err[0];
        fcntl(stdout_, F_SETFL, O_NONBLOCK);
        fcntl(stderr_, F_SETFL, O_NONBLOCK);
    }
    ~Process() {
        if (pid_ > 0 && !exit_code_) {
            kill(pid_, SIGKILL);
            wait_exit(5s);
        }
        for (int fd : {stdin_, stdout_, stderr_}) {
            if (fd >= 0) close(fd);
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }

    void write_stdin(const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            const ssize_t n = ::write(stdin_, data.data() + off, data.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN) {
                    pump(10ms);
                    continue;
                }
                throw std::runtime_error("write to child stdin failed");
            }
            off += static_cast<std::size_t>(n);
            pump(0ms);  // keep draining the child's output so it never blocks on a full pipe
        }
    }
    void close_stdin() {
        if (stdin_ >= 0) close(stdin_);
        stdin_ = -1;
    }

    // Reads what the child printed so far, waiting up to `wait` for something.
    void pump(std::chrono::milliseconds wait) {
        pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
        if (poll(fds, 2, static_cast<int>(wait.count())) <= 0) return;
        char buf[65536];
        for (auto [fd, out] : {std::pair{stdout_, &out_}, std::pair{stderr_, &err_}}) {
            for (;;) {
                const ssize_t n = ::read(fd, buf, sizeof buf);
                if (n <= 0) break;
                out->append(buf, static_cast<std::size_t>(n));
            }
        }
    }

    // Waits until `pred(stdout so far)` holds; false on timeout or exit.
    bool wait_output(const std::function<bool(const std::string&)>& pred,
                     std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            pump(20ms);
            if (pred(out_)) return true;
            if (exited()) {
                pump(0ms);
                return pred(out_);
            }
        }
        return false;
    }

    bool exited() {
        if (exit_code_) return true;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return true;
        }
        return false;
    }

    // The exit code (128 + signal when killed); nullopt when still running after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!exited()) {
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            pump(10ms);
        }
        pump(0ms);
        return exit_code_;
    }

    void signal(int sig) { kill(pid_, sig); }
    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

private:
    pid_t pid_ = -1;
    int stdin_ = -1, stdout_ = -1, stderr_ = -1;
    std::string out_, err_;
    std::optional<int> exit_code_;
};

struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

// Runs a command to completion with `input` on its stdin.
inline RunResult run(std::vector<std::string> argv, const std::string& input = {},
                     std::chrono::milliseconds timeout = 60s) {
    Process p(std::move(argv));
    p.write_stdin(input);
    p.close_stdin();
    auto code = p.wait_exit(timeout);
    RunResult r;
    r.code = code.value_or(-1);
    r.out = p.out();
    r.err = p.err();
    return r;
}

// The real smartlogd on loopback, in open mode unless given a config.
class Server {
public:
    explicit Server(std::vector<std::string> extra = {}, std::string toml = {})
        : dir_(temp_dir()), extra_(std::move(extra)) {
        if (!toml.empty()) {
            std::ofstream(dir_ / "smartlog.toml") << toml;
            extra_.push_back("--config");
            extra_.push_back((dir_ / "smartlog.toml").string());
        }
        try {
            start("127.0.0.1:0");
        } catch (...) {
            std::error_code ec;
            fs::remove_all(dir_, ec);
            throw;
        }
    }
    ~Server() {
        stop();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    int port() const { return port_; }
    // wss:// when the server was started with tls_cert and tls_key.
    std::string url() const {
        return (tls_ ? "wss" : "ws") + std::string("://127.0.0.1:") + std::to_string(port_) + "/";
    }

    void stop(int sig = SIGTERM) {
        if (!proc_) return;
        proc_->signal(sig);
        proc_->wait_exit(10s);
        proc_.reset();
    }
    // Starts again on the same port (SO_REUSEADDR on the server's listener allows it at once).
    void restart() {
        stop();
        start("127.0.0.1:" + std::to_string(port_));
    }

private:
    void start(const std::string& listen) {
        // SMARTLOGD_BIN runs these tests against another build of the server.
        const char* bin = std::getenv("SMARTLOGD_BIN");
        std::vector<std::string> argv = {bin && *bin ? bin : SMARTLOGD_PATH, "--listen", listen,
                                         "--data-dir", (dir_ / "data").string()};
        argv.insert(argv.end(), extra_.begin(), extra_.end());
        proc_ = std::make_unique<Process>(argv);
        std::smatch m;
        const std::regex re(R"(listening on (https?)://127\.0\.0\.1:(\d+)/)");
        const bool up = proc_->wait_output(
            [&](const std::string& out) { return std::regex_search(out, m, re); }, 15s);
        if (!up)
            throw std::runtime_error("smartlogd did not start: " + proc_->out() + proc_->err());
        std::string out = proc_->out();
        std::regex_search(out, m, re);
        tls_ = m[1].str() == "https";
        port_ = std::stoi(m[2].str());
    }

    fs::path dir_;
    std::vector<std::string> extra_;
    std::unique_ptr<Process> proc_;
    int port_ = 0;
    bool tls_ = false;
};

// Polls `pred` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto nl = text.find('\n', start);
        if (nl == std::string::npos) break;  // a partial last line is not a line yet
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

}  // namespace smartlog::test
