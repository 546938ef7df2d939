// bench/proc.hpp: starting the servers under test and reading their cost from /proc.
// Main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace smartlog::bench {

struct ProcStats {
    double cpu_seconds = 0;       // utime + stime of all threads
    std::uint64_t rss_bytes = 0;  // VmRSS
    std::uint64_t hwm_bytes = 0;  // VmHWM: peak RSS since start
};

// A child process with stdout and stderr sent to a log file. Stops it on destruction.
class Child {
public:
    Child() = default;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();

    // Starts argv[0] with argv; throws std::runtime_error if it cannot.
    void start(const std::vector<std::string>& argv, const std::string& log_path);
    // Waits until the log contains `needle`; returns the rest of that line. Throws on timeout
    // or if the child exits first, quoting the log's tail.
    std::string wait_for_line(const std::string& needle, std::chrono::milliseconds timeout);
    // SIGTERM, then SIGKILL after `grace`. Returns a description of how it ended.
    std::string stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
    bool running();
    int pid() const { return pid_; }
    ProcStats stats() const;
    std::string log_tail(std::size_t bytes = 2000) const;

private:
    int pid_ = -1;
    std::string log_path_;
    std::string exit_note_;
};

ProcStats read_proc_stats(int pid);
double self_cpu_seconds();

// A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot take port 0).
int free_loopback_port();

// A fresh directory under /tmp, removed by remove_tree.
std::string make_temp_dir(const std::string& tag);
void remove_tree(const std::string& path);

// First line of a command's stdout, or "" (used for versions and git state in the report).
std::string command_output(const std::string& command);

}  // namespace smartlog::bench
