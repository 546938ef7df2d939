// tests/support/smartlogd_process.hpp: starts the real smartlogd on a free loopback port for
// the C++ integration tests and stops it with SIGTERM. The Node twin is tests/support/server.js.
// One object per test; its methods are called from the test's thread only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef SMARTLOGD_PATH
#error "SMARTLOGD_PATH must name the smartlogd binary"
#endif

namespace smartlog::test {

using namespace std::chrono_literals;

class SmartlogdProcess {
public:
    // Writes `toml` (unless empty: open mode) to a fresh temp dir and starts
    // `smartlogd --listen 127.0.0.1:0 --data-dir <dir>/data [--config <dir>/smartlog.toml]
    // args...`. Throws std::runtime_error with the output so far when no "listening on" line comes
    // within `timeout`.
    explicit SmartlogdProcess(const std::string& toml = {}, std::vector<std::string> args = {},
                              std::chrono::milliseconds timeout = 10s) {
        char dir_template[] = "/tmp/smartlog-itest-XXXXXX";
        if (!mkdtemp(dir_template)) throw std::runtime_error("mkdtemp failed");
        dir_ = dir_template;
        std::vector<std::string> argv{SMARTLOGD_PATH, "--listen", "127.0.0.1:0", "--data-dir",
                                      (dir_ / "data").string()};
        if (!toml.empty()) {
            const auto file = dir_ / "smartlog.toml";
            std::ofstream(file) << toml;
            argv.insert(argv.end(), {"--config", file.string()});
        }
        argv.insert(argv.end(), args.begin(), args.end());

        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            // Child: stdout and stderr into the pipe, then exec.
            dup2(fds[1], STDOUT_FILENO);
            dup2(fds[1], STDERR_FILENO);
            execv(cargv[0], cargv.data());
            _exit(127);
        }
        close(fds[1]);
        reader_ = std::thread([this, fd = fds[0]] { read_output(fd); });

        static const std::regex kListening(R"(listening on http://127\.0\.0\.1:(\d+)/)");
        std::unique_lock lock(mu_);
        std::smatch m;
        const bool started = cv_.wait_for(
            lock, timeout, [&] { return std::regex_search(output_, m, kListening) || eof_; });
        if (!started || !std::regex_search(output_, m, kListening)) {
            const std::string out = output_;
            lock.unlock();
            kill_now();
            throw std::runtime_error("smartlogd did not start:\n" + out);
        }
        port_ = static_cast<unsigned short>(std::stoi(m[1].str()));
    }

    SmartlogdProcess(const SmartlogdProcess&) = delete;
    SmartlogdProcess& operator=(const SmartlogdProcess&) = delete;

    ~SmartlogdProcess() {
        kill_now();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    unsigned short port() const noexcept { return port_; }
    const std::filesystem::path& dir() const noexcept { return dir_; }

    // Sends `signal` and waits up to `timeout` for the exit: see wait().
    int stop(int signal = SIGTERM, std::chrono::milliseconds timeout = 10s) {
        send_signal(signal);
        return wait(timeout);
    }

    void send_signal(int signal) {
        if (!exited_) ::kill(pid_, signal);
    }

    // Waits up to `timeout` for the exit. Returns the exit code, 128 + the signal if it was
    // killed by one, or -1 when it did not exit in time (it is then killed).
    int wait(std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!exited_ && std::chrono::steady_clock::now() < deadline) {
            if (!reap(WNOHANG)) std::this_thread::sleep_for(5ms);
        }
        if (exited_) return status_;
        kill_now();
        return -1;
    }

    std::string output() const {
        std::lock_guard lock(mu_);
        return output_;
    }

private:
    void read_output(int fd) {
        char chunk[4096];
        for (;;) {
            const ssize_t n = ::read(fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            std::lock_guard lock(mu_);
            if (n <= 0) {
                eof_ = true;
                cv_.notify_all();
                break;
            }
            output_.append(chunk, static_cast<std::size_t>(n));
            cv_.notify_all();
        }
        ::close(fd);
    }

    bool reap(int options) {
        int wstatus = 0;
        const pid_t r = waitpid(pid_, &wstatus, options);
        if (r != pid_) return false;
        exited_ = true;
        status_ = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        return true;
    }

    void kill_now() {
        if (!exited_ && pid_ > 0) {
            ::kill(pid_, SIGKILL);
            reap(0);
        }
        if (reader_.joinable()) reader_.join();
    }

    std::filesystem::path dir_;
    pid_t pid_ = -1;
    unsigned short port_ = 0;
    bool exited_ = false;
    int status_ = -1;
    std::thread reader_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::string output_;
    bool eof_ = false;
};

}  // namespace smartlog::test
