// storage/dir_lock.cpp: DirLock.
#include "storage/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>

namespace smartlog::storage {

namespace {

std::string holder_line() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "?");
    char started[32] = {};
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    std::strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return "pid " + std::to_string(::getpid()) + " on host " + host + ", started " + started;
}

// What the holder wrote: its first line, or a placeholder while it has not written yet.
std::string read_holder(int fd) {
    char buffer[512] = {};
    const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    std::string text = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    text = text.substr(0, text.find('\n'));
    return text.empty() ? std::string("a process that has not said who it is yet") : text;
}

}  // namespace

DirLock::DirLock(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error("cannot create data_dir " + dir.string() + ": " + ec.message());
    const std::string path = (dir / kFileName).string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    int rc;
    do {
        rc = ::flock(fd_, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int error = errno;
        const std::string holder = error == EWOULDBLOCK ? read_holder(fd_) : std::string();
        ::close(fd_);
        fd_ = -1;
        if (error == EWOULDBLOCK) {
            throw std::runtime_error("data_dir " + dir.string() +
                                     " is in use by another smartlogd (" + holder + ", " + path +
                                     "); stop it first, or give this one another data_dir");
        }
        throw std::runtime_error("cannot lock " + path + ": " + std::strerror(error));
    }
    // Ours now: say who holds it. A failure here costs only the name in a later refusal.
    const std::string line = holder_line() + "\n";
    if (::ftruncate(fd_, 0) == 0) {
        [[maybe_unused]] const ssize_t written = ::pwrite(fd_, line.data(), line.size(), 0);
    }
}

DirLock::~DirLock() {
    // Closing the descriptor releases the lock. The file stays: removing it would let a third
    // process lock a new file while a second one still waits on the old one.
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace smartlog::storage
