// tests/support/disk_full_preload.cpp: an LD_PRELOAD library that makes a real smartlogd see a
// full disk on demand (tests/integration/storage_faults.test.js). While the file named by
// SMARTLOG_TEST_DISK_FULL_FLAG exists, every pwrite64 fails with ENOSPC, which is how SQLite's
// unix VFS writes its database and WAL: SQLite answers SQLITE_FULL as on a real full disk.
// Deterministic, needs no root, no mount and no special filesystem. Any thread.
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

namespace {

using Pwrite = ssize_t (*)(int, const void*, size_t, off_t);

bool disk_full() {
    const char* flag = getenv("SMARTLOG_TEST_DISK_FULL_FLAG");
    return flag && access(flag, F_OK) == 0;
}

}  // namespace

extern "C" ssize_t pwrite64(int fd, const void* buf, size_t n, off_t offset) {
    static const auto real = reinterpret_cast<Pwrite>(dlsym(RTLD_NEXT, "pwrite64"));
    if (disk_full()) {
        errno = ENOSPC;
        return -1;
    }
    return real(fd, buf, n, offset);
}
