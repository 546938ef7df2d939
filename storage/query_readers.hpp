// storage/query_readers.hpp: the reader threads, each with a read-only connection of its own
// (WAL lets them read beside the writer), running queries in QueryQueue's order with
// run_query (docs/storage.md, "Queries"). Thread-safe: submit and stop from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/query_queue.hpp"
#include "storage/store_status.hpp"

struct sqlite3;

namespace smartlog::storage {

class QueryReaders {
public:
    // Opens `threads` (at least one) read-only connections to `path`, then starts a thread for
    // each. Throws std::runtime_error when a connection cannot be opened. `status` outlives it.
    QueryReaders(const std::string& path, std::size_t threads, bool full_text,
                 std::chrono::milliseconds timeout, StoreStatus& status);
    ~QueryReaders();  // stop(), then closes the connections
    QueryReaders(const QueryReaders&) = delete;
    QueryReaders& operator=(const QueryReaders&) = delete;

    // Queues `job`; its `done` runs on a reader thread. After stop(), it fails at once with
    // operation_canceled.
    void submit(QueryJob job);
    // Queries not started fail with operation_canceled; waits for the running ones and the
    // threads. Idempotent.
    void stop();

private:
    struct Reader {
        sqlite3* db = nullptr;
        std::thread thread;
    };
    void reader_main(Reader& reader);

    const bool full_text_;
    const std::chrono::milliseconds timeout_;
    StoreStatus& status_;
    std::mutex mu_;
    std::condition_variable cv_;
    QueryQueue queue_;
    bool stopped_ = false;
    std::vector<std::unique_ptr<Reader>> readers_;
};

}  // namespace smartlog::storage
