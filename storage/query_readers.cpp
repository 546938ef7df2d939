// storage/query_readers.cpp: the reader threads of the SQLite store.
#include "storage/query_readers.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "storage/sqlite_common.hpp"
#include "storage/sqlite_query.hpp"

namespace smartlog::storage {

QueryReaders::QueryReaders(const std::string& path, std::size_t threads, bool full_text,
                           std::chrono::milliseconds timeout, StoreStatus& status)
    : full_text_(full_text), timeout_(timeout), status_(status) {
    try {
        for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
            auto reader = std::make_unique<Reader>();
            reader->db = open_read_only(path);
            sqlite3_busy_timeout(reader->db, 5000);
            exec_quietly(reader->db, "PRAGMA temp_store=MEMORY");
            exec_quietly(reader->db, "PRAGMA cache_size=-16384");
            exec_quietly(reader->db, "PRAGMA mmap_size=" SMARTLOG_MMAP_SIZE);
            readers_.push_back(std::move(reader));
            register_entry_functions(readers_.back()->db);
        }
    } catch (...) {
        for (auto& reader : readers_) sqlite3_close(reader->db);
        throw;
    }
    for (auto& reader : readers_) {
        reader->thread = std::thread([this, r = reader.get()] { reader_main(*r); });
    }
}

QueryReaders::~QueryReaders() {
    stop();
    for (auto& reader : readers_) sqlite3_close(reader->db);
}

void QueryReaders::submit(QueryJob job) {
    {
        std::lock_guard lock(mu_);
        if (!stopped_) {
            queue_.push(std::move(job));
            job.done = nullptr;
        }
    }
    if (job.done) return job.done(std::make_error_code(std::errc::operation_canceled), {});
    cv_.notify_all();
}

void QueryReaders::stop() {
    std::vector<QueryJob> cancelled;
    {
        std::lock_guard lock(mu_);
        stopped_ = true;
        cancelled = queue_.drain();
    }
    cv_.notify_all();
    for (auto& job : cancelled) job.done(std::make_error_code(std::errc::operation_canceled), {});
    for (auto& reader : readers_) {
        if (reader->thread.joinable()) reader->thread.join();
    }
}

void QueryReaders::reader_main(Reader& reader) {
    std::unique_lock lock(mu_);
    for (;;) {
        if (stopped_) break;
        std::optional<QueryJob> job = queue_.take();
        if (!job) {
            cv_.wait(lock);
            continue;
        }
        const std::string app = job->query.app_id;
        lock.unlock();
        QueryOutcome outcome = run_query(reader.db, job->query, full_text_, timeout_);
        if (outcome.error == std::errc::timed_out) {
            status_.update([](StoreStats& s) { ++s.queries_timed_out; });
        } else if (!outcome.failure.empty()) {
            // A failed read changes nothing on disk: not a sticky error, but the log says it.
            status_.emit(StoreEvent::Kind::error, "query: " + outcome.failure);
        }
        job->done(outcome.error, std::move(outcome.result));
        job.reset();  // what `done` holds goes outside the lock
        lock.lock();
        queue_.finished(app);
        // The app's next query may run now, on any reader.
        cv_.notify_all();
    }
}

}  // namespace smartlog::storage
