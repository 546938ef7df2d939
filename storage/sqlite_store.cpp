// storage/sqlite_store.cpp: SqliteStore: the caller's side of the store. It keeps the queue's
// figures and the high-water signal, numbers the writes, and hands each call to the thread
// that owns its part. Schema and reasons: docs/storage.md.
#include "storage/sqlite_store.hpp"

#include <algorithm>

#include "storage/query_readers.hpp"
#include "storage/sqlite_restore.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/sqlite_writer.hpp"
#include "storage/store_worker.hpp"

namespace smartlog::storage {

SqliteStore::SqliteStore(SqliteOptions options, const core::Clock& clock)
    : options_(std::move(options)), lock_(options_.data_dir), status_(options_.on_event) {
    const std::string path = database_path(options_);
    std::function<void(sqlite3*, const AppTable&)> preload;
    if (options_.preload_per_app > 0 && !options_.preload_in_background) {
        // Read while the start-up check runs: the restart of docs/performance.md.
        preload = [this, &path](sqlite3* db, const AppTable& apps) {
            preloaded_ =
                read_recent(db, path, apps, options_.preload_per_app, options_.restore_read);
        };
    }
    OpenedDatabase opened = open_database(options_, preload);
    full_text_ = opened.full_text;
    AppTable apps = opened.apps;
    app_names_.reserve(apps.size());
    for (const auto& [name, app] : apps) app_names_.push_back(name);
    writer_ = std::make_unique<SqliteWriter>(
        std::move(opened),
        RetentionRules{options_.retention_entries, options_.retention_age,
                       options_.retention_interval, options_.retention_step},
        clock, status_, options_.skip_known_ids);
    try {
        readers_ = std::make_unique<QueryReaders>(path, options_.query_threads, full_text_,
                                                  options_.query_timeout, status_);
    } catch (...) {
        writer_->abandon();
        throw;
    }
    // Counts are unknown until the first sweep. After a preload, the first sweep waits one
    // retention_interval: counting every app (0.2 s of CPU for 1,000 apps) would otherwise
    // compete with the restore that the server finishes before it listens.
    if (options_.preload_per_app > 0) {
        writer_->retention().rest_until(std::chrono::steady_clock::now() +
                                        options_.retention_interval);
    }
    worker_ = std::make_unique<StoreWorker>(*writer_,
                                            WorkerRules{options_.sync, options_.commit_interval});
    if (options_.preload_per_app > 0 && options_.preload_in_background) {
        // After the check, so that nothing is read from a database it would refuse.
        loader_ = std::thread([this, path, apps = std::move(apps)] {
            Histories read;
            std::error_code ec;
            try {
                read = read_recent(path, apps, options_.preload_per_app, options_.restore_read);
            } catch (const std::exception& e) {
                ec = std::make_error_code(std::errc::io_error);
                status_.emit(StoreEvent::Kind::error,
                             std::string("reading the histories: ") + e.what());
            }
            finish_preload(std::move(read), ec);
        });
    }
}

void SqliteStore::finish_preload(Histories read, std::error_code ec) {
    Loaded done;
    {
        std::lock_guard lock(load_mu_);
        preloaded_ = std::move(read);
        preload_error_ = ec;
        preload_finished_ = true;
        done = std::move(load_waiter_);
    }
    if (done) hand_over_preload(std::move(done));
}

void SqliteStore::hand_over_preload(Loaded done) {
    Histories read;
    std::error_code ec;
    {
        std::lock_guard lock(load_mu_);
        if (preloaded_) read = std::move(*preloaded_);
        preloaded_.reset();
        ec = preload_error_;
    }
    done(ec, std::move(read));
}

SqliteStore::~SqliteStore() { close(); }

void SqliteStore::append(std::vector<core::EntryPtr> entries, Done done) {
    const std::size_t n = entries.size();
    {
        std::lock_guard lock(mu_);
        if (!closing_) {
            // Never refused for its length: the caller stops admitting while backlogged().
            const std::uint64_t queued = queued_entries_ += n;
            if (queued >= options_.max_queued_entries) backlogged_ = true;
            status_.update([queued](StoreStats& s) {
                s.queued_entries_peak = std::max(s.queued_entries_peak, queued);
            });
            // Posted under the lock: the worker runs writes in ticket order.
            worker_->post_write(++writes_posted_, [this, n, entries = std::move(entries),
                                                   done = std::move(done)]() mutable {
                // The backlog rose while the worker was busy: tell it before this job drains it.
                report_backlog();
                writer_->append(entries, std::move(done));
                {
                    std::lock_guard lock(mu_);
                    const std::uint64_t queued = queued_entries_ -= n;
                    // Hysteresis: ingest resumes once half of the bound is free, not at every job.
                    if (queued <= options_.max_queued_entries / 2) backlogged_ = false;
                }
                report_backlog();
            });
            return;
        }
    }
    status_.update([n](StoreStats& s) { s.entries_failed += n; });
    done(std::make_error_code(std::errc::operation_canceled));
}

void SqliteStore::clear(const std::string& app_id, Done done) {
    {
        std::lock_guard lock(mu_);
        if (!closing_) {
            worker_->post_write(++writes_posted_, [this, app_id, done = std::move(done)]() mutable {
                writer_->clear(app_id, std::move(done));
            });
            return;
        }
    }
    done(std::make_error_code(std::errc::operation_canceled));
}

void SqliteStore::query(Query q, QueryDone done) {
    std::unique_lock lock(mu_);
    if (closing_) {
        lock.unlock();
        return done(std::make_error_code(std::errc::operation_canceled), {});
    }
    // It must see every write called before it: straight to a reader when they are all
    // settled, else through the worker, which commits early for it.
    if (writes_posted_ <= worker_->settled()) {
        lock.unlock();
        return readers_->submit({std::move(q), std::move(done)});
    }
    worker_->post_after_writes([this, job = QueryJob{std::move(q), std::move(done)}]() mutable {
        readers_->submit(std::move(job));
    });
}

Store::Histories SqliteStore::load_recent(std::size_t per_app) {
    if (loader_.joinable()) loader_.join();
    Histories out;
    // After the commit: the helper connection sees only what is committed.
    worker_->run_after_writes([&] {
        std::lock_guard lock(load_mu_);
        // What was read at start, unless something was written since.
        if (preloaded_ && !preload_error_ && options_.preload_per_app == per_app &&
            writer_->writes() == 0) {
            out = std::move(*preloaded_);
        } else {
            out = writer_->read_recent(database_path(options_), per_app, options_.restore_read);
        }
        preloaded_.reset();
    });
    return out;
}

void SqliteStore::load_recent_async(std::size_t per_app, Loaded done) {
    bool preloaded = false;
    {
        std::lock_guard lock(load_mu_);
        const bool preloading = loader_.joinable() && options_.preload_per_app == per_app;
        if (preloading && !preload_finished_) {
            load_waiter_ = std::move(done);
            return;
        }
        preloaded = preloading && preloaded_.has_value();
    }
    if (preloaded) return hand_over_preload(std::move(done));
    // Not what was preloaded (or handed over already): read now, blocking, as load_recent.
    Histories read = load_recent(per_app);
    done(std::error_code(), std::move(read));
}

std::vector<std::string> SqliteStore::stored_apps() const { return app_names_; }

void SqliteStore::run_retention() {
    worker_->run_after_writes([this] { writer_->run_retention(); });
}

bool SqliteStore::healthy() const { return status_.healthy(); }

std::string SqliteStore::health_message() const { return status_.message(); }

bool SqliteStore::backlogged() const { return backlogged_.load(); }

StoreStats SqliteStore::stats() const {
    StoreStats s = status_.stats();
    s.queued_entries = queued_entries_.load();
    return s;
}

void SqliteStore::close() {
    // The histories' read first: its callback may still post to the caller.
    if (loader_.joinable()) loader_.join();
    // Readers first: a read open while the writer checkpoints at the end would keep the WAL.
    if (readers_) readers_->stop();
    {
        std::lock_guard lock(mu_);
        closing_ = true;
    }
    if (worker_) worker_->close();
}

void SqliteStore::report_backlog() {
    const bool backlogged = backlogged_.load();
    if (backlogged == backlog_reported_) return;
    backlog_reported_ = backlogged;
    const std::string bound = std::to_string(options_.max_queued_entries);
    if (backlogged) {
        status_.emit(StoreEvent::Kind::backlog,
                     "the write queue reached " + bound +
                         " entries (max_queued_entries): ingest waits until half of it is written");
    } else {
        status_.emit(StoreEvent::Kind::drained, "the write queue is down to half of " + bound +
                                                    " entries: ingest resumes (peak " +
                                                    std::to_string(stats().queued_entries_peak) +
                                                    ")");
    }
}

}  // namespace smartlog::storage
