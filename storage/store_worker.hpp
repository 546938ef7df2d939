// storage/store_worker.hpp: the storage thread. It owns an io_context run by one thread of its
// own, and drives the plain SqliteWriter: write jobs are `post`ed and run in call order; a
// steady_timer ends a batch transaction commit_interval after it began (batch), or a job
// posted behind the queued writes ends it (sync: a group commit); another steady_timer paces
// the retention steps between transactions (docs/storage.md, docs/threading.md).
// Thread rule: the public methods may be called from any thread; everything else runs on the
// worker's thread, and so does every use of the writer once the worker exists.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace smartlog::storage {

class SqliteWriter;

struct WorkerRules {
    // sync: commit once the writes queued so far have run; batch: commit_interval after the
    // first write of a transaction.
    bool sync = false;
    std::chrono::milliseconds commit_interval{50};
};

class StoreWorker {
public:
    // Starts the thread. `writer` outlives the worker.
    StoreWorker(SqliteWriter& writer, WorkerRules rules);
    ~StoreWorker();  // close()
    StoreWorker(const StoreWorker&) = delete;
    StoreWorker& operator=(const StoreWorker&) = delete;

    // A write (it calls the writer's append or clear), `ticket` its place in call order:
    // settled() reaches it once the transaction it joined has ended (committed or failed).
    // REQUIRES: tickets grow with each call; not closed.
    void post_write(std::uint64_t ticket, std::function<void()> job);
    // Runs `job` on the worker once every write posted before it has run and is committed.
    void post_after_writes(std::function<void()> job);
    // The same, and waits for `job`; rethrows what it throws. Throws std::runtime_error once
    // closed.
    void run_after_writes(std::function<void()> job);
    // Every write up to this ticket is committed or failed.
    std::uint64_t settled() const noexcept { return settled_.load(); }
    // Runs every job queued, commits, checkpoints the WAL and stops the thread. Blocking;
    // idempotent.
    void close();

private:
    using steady = std::chrono::steady_clock;

    void after_write(std::uint64_t ticket);
    void commit();
    void settle(std::uint64_t ticket);
    void schedule_commit();
    void on_commit_timer();
    // Posts a retention step when one is due and no transaction is open, else arms the timer
    // for the next.
    void schedule_retention();
    void retention_tick();
    void arm_retention(steady::time_point when);

    SqliteWriter& writer_;
    const WorkerRules rules_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    boost::asio::steady_timer commit_timer_;
    boost::asio::steady_timer retention_timer_;

    // Worker thread only.
    std::uint64_t txn_last_ticket_ = 0;  // the last write in the open transaction
    bool commit_posted_ = false;         // sync: a commit waits behind the queued writes
    bool commit_armed_ = false;          // batch: commit_timer_ waits
    bool retention_posted_ = false;
    bool retention_armed_ = false;
    steady::time_point retention_armed_at_;
    bool stopping_ = false;

    std::atomic<std::uint64_t> settled_{0};
    std::mutex close_mu_;
    bool closed_ = false;
    std::thread thread_;
};

}  // namespace smartlog::storage
