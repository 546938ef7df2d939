// storage/dir_lock.hpp: one process per data_dir. An exclusive flock(2) on data_dir/smartlog.lock,
// held for the life of the object; the kernel drops it when the process dies, so a crash or a
// SIGKILL leaves no stale lock behind (docs/storage.md, "One server per data_dir").
// Thread rule: construct and destroy on one thread; nothing else to call.
#pragma once

#include <filesystem>
#include <string>

namespace smartlog::storage {

class DirLock {
public:
    // Creates `dir` if missing and takes the lock, then writes who holds it (pid, host, start
    // time, UTC) into the lock file for the next one to name. Throws std::runtime_error, one
    // line, when `dir` cannot be created or locked; when another process holds the lock the
    // message names it from what that process wrote.
    explicit DirLock(const std::filesystem::path& dir);
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

    static constexpr const char* kFileName = "smartlog.lock";

private:
    int fd_ = -1;
};

}  // namespace smartlog::storage
