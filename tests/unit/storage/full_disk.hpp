// tests/unit/storage/full_disk.hpp: a full disk on demand for SQLite, inside the test process.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

namespace smartlog::storage {

// While alive, every write SQLite makes fails with ENOSPC when `full` is set.
class FullDisk {
public:
    FullDisk() : vfs_(sqlite3_vfs_find(nullptr)) {
        real_ = reinterpret_cast<Pwrite>(vfs_->xGetSystemCall(vfs_, "pwrite64"));
        EXPECT_NE(real_, nullptr) << "this SQLite does not write with pwrite64";
        vfs_->xSetSystemCall(vfs_, "pwrite64",
                             reinterpret_cast<sqlite3_syscall_ptr>(&pwrite_or_full));
    }
    ~FullDisk() {
        vfs_->xSetSystemCall(vfs_, "pwrite64", nullptr);  // nullptr: back to the default
        full = false;
    }
    FullDisk(const FullDisk&) = delete;
    FullDisk& operator=(const FullDisk&) = delete;

    static inline std::atomic<bool> full{false};
    static inline std::atomic<std::uint64_t> refused{0};

private:
    using Pwrite = ssize_t (*)(int, const void*, size_t, off_t);
    static ssize_t pwrite_or_full(int fd, const void* buf, size_t n, off_t offset) {
        if (full) {
            ++refused;
            errno = ENOSPC;
            return -1;
        }
        return real_(fd, buf, n, offset);
    }
    static inline Pwrite real_ = nullptr;
    sqlite3_vfs* vfs_;
};

}  // namespace smartlog::storage
