#include "bench/proc.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace smartlog::bench {

Child::~Child() {
    if (pid_ > 0) stop(std::chrono::milliseconds(2000));
}

void Child::start(const std::vector<std::string>& argv, const std::string& log_path) {
    log_path_ = log_path;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot create " + log_path);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        // A bench that dies must not leave servers behind on the machine.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        ::execv(args[0], args.data());
        std::fprintf(stderr, "exec %s failed\n", args[0]);
        ::_exit(127);
    }
    ::close(log_fd);
    pid_ = pid;
}

bool Child::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_note_ = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                         : "exited with " + std::to_string(WEXITSTATUS(status));
        pid_ = -1;
        return false;
    }
    return true;
}

std::string Child::log_tail(std::size_t bytes) const {
    std::ifstream in(log_path_, std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

std::string Child::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(log_path_);
        std::string line;
        while (std::getline(in, line)) {
            const auto at = line.find(needle);
            if (at != std::string::npos) return line.substr(at + needle.size());
        }
        if (!running()) {
            throw std::runtime_error(exit_note_ + " before printing '" + needle +
                                     "'; log: " + log_tail(600));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("no '" + needle + "' within timeout; log: " + log_tail(600));
}

std::string Child::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return exit_note_.empty() ? "not running" : exit_note_;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) return exit_note_ + " after SIGTERM";
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    exit_note_ = "did not stop within the grace period after SIGTERM; SIGKILLed";
    return exit_note_;
}

ProcStats Child::stats() const { return read_proc_stats(pid_); }

ProcStats read_proc_stats(int pid) {
    ProcStats s;
    if (pid <= 0) return s;
    {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // The command name may hold spaces: fields are counted from the last ')'.
        const auto close = all.rfind(')');
        if (close != std::string::npos) {
            std::istringstream fields(all.substr(close + 2));
            std::string f;
            unsigned long long utime = 0, stime = 0;
            for (int i = 3; i <= 15 && fields >> f; ++i) {
                if (i == 14) utime = std::stoull(f);
                if (i == 15) stime = std::stoull(f);
            }
            s.cpu_seconds =
                static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
        }
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        auto kib = [&](const char* key) -> std::uint64_t {
            return std::strtoull(line.c_str() + std::char_traits<char>::length(key), nullptr, 10) *
                   1024;
        };
        if (line.rfind("VmRSS:", 0) == 0) s.rss_bytes = kib("VmRSS:");
        if (line.rfind("VmHWM:", 0) == 0) s.hwm_bytes = kib("VmHWM:");
    }
    return s;
}

double self_cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::runtime_error("cannot find a free loopback port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string make_temp_dir(const std::string& tag) {
    std::string pattern = "/tmp/smartlog-bench-" + tag + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

std::string command_output(const std::string& command) {
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) return {};
    char buf[512];
    std::string out;
    if (std::fgets(buf, sizeof buf, p) != nullptr) out = buf;
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

}  // namespace smartlog::bench
