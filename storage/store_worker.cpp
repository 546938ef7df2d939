// storage/store_worker.cpp: the storage thread's io_context and its two timers.
#include "storage/store_worker.hpp"

#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>

#include "storage/sqlite_writer.hpp"

namespace smartlog::storage {

StoreWorker::StoreWorker(SqliteWriter& writer, WorkerRules rules)
    : writer_(writer),
      rules_(rules),
      work_(io_.get_executor()),
      commit_timer_(io_),
      retention_timer_(io_) {
    boost::asio::post(io_, [this] { schedule_retention(); });
    thread_ = std::thread([this] { io_.run(); });
}

StoreWorker::~StoreWorker() { close(); }

void StoreWorker::post_write(std::uint64_t ticket, std::function<void()> job) {
    boost::asio::post(io_, [this, ticket, job = std::move(job)] {
        try {
            job();
        } catch (const std::exception& e) {
            // Storage errors degrade: live tailing goes on, /readyz tells.
            writer_.fail(e.what(), code_of(e));
        }
        after_write(ticket);
    });
}

void StoreWorker::post_after_writes(std::function<void()> job) {
    boost::asio::post(io_, [this, job = std::move(job)] {
        // A query waits for this transaction: it sees only what is committed.
        commit();
        job();
    });
}

void StoreWorker::run_after_writes(std::function<void()> job) {
    std::promise<void> finished;
    auto future = finished.get_future();
    {
        std::lock_guard lock(close_mu_);
        if (closed_) throw std::runtime_error("the store is closed");
        post_after_writes([&] {
            try {
                job();
                finished.set_value();
            } catch (...) {
                finished.set_exception(std::current_exception());
            }
        });
    }
    future.get();
}

void StoreWorker::close() {
    {
        std::lock_guard lock(close_mu_);
        if (!closed_) {
            closed_ = true;
            // Behind every job already posted: they all run first.
            boost::asio::post(io_, [this] {
                stopping_ = true;
                commit();
                writer_.checkpoint();
                commit_timer_.cancel();
                retention_timer_.cancel();
                work_.reset();
                // Whatever the timers or retention left queued has nothing to finish.
                io_.stop();
            });
        }
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void StoreWorker::after_write(std::uint64_t ticket) {
    if (writer_.in_transaction()) {
        txn_last_ticket_ = ticket;
        // A long queue must not hold the batch transaction open past its deadline.
        if (!rules_.sync &&
            steady::now() >= writer_.transaction_started() + rules_.commit_interval) {
            commit();
        } else {
            schedule_commit();
        }
    } else {
        // It failed, or it changed nothing (a clear of an unknown app): settled now.
        settle(ticket);
        schedule_retention();
    }
}

void StoreWorker::commit() {
    if (!writer_.in_transaction()) return;
    writer_.commit();
    settle(txn_last_ticket_);
    schedule_retention();
}

void StoreWorker::settle(std::uint64_t ticket) {
    if (ticket > settled_.load()) settled_.store(ticket);
}

void StoreWorker::schedule_commit() {
    if (rules_.sync) {
        if (commit_posted_) return;
        commit_posted_ = true;
        // Behind the writes queued now: they share this commit and its fsync.
        boost::asio::post(io_, [this] {
            commit_posted_ = false;
            if (!stopping_) commit();
        });
        return;
    }
    if (commit_armed_) return;
    commit_armed_ = true;
    commit_timer_.expires_at(writer_.transaction_started() + rules_.commit_interval);
    commit_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        commit_armed_ = false;
        on_commit_timer();
    });
}

void StoreWorker::on_commit_timer() {
    if (stopping_ || !writer_.in_transaction()) return;
    // The transaction the timer was set for may have ended early (a query, a restore): this
    // one has its own deadline.
    if (steady::now() >= writer_.transaction_started() + rules_.commit_interval) {
        commit();
    } else {
        schedule_commit();
    }
}

void StoreWorker::schedule_retention() {
    // Inside a transaction, the commit runs the retention due (SqliteWriter::commit) and then
    // comes back here.
    if (stopping_ || retention_posted_ || writer_.in_transaction()) return;
    SqliteRetention& retention = writer_.retention();
    if (retention.active() || steady::now() >= retention.next()) {
        retention_posted_ = true;
        // Posted, not run: writes queued meanwhile go first, a step at a time between them.
        boost::asio::post(io_, [this] { retention_tick(); });
        return;
    }
    arm_retention(retention.next());
}

void StoreWorker::arm_retention(steady::time_point when) {
    if (retention_armed_ && retention_armed_at_ == when) return;
    retention_armed_ = true;
    retention_armed_at_ = when;
    retention_timer_.expires_at(when);  // cancels the wait for another time
    retention_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        retention_armed_ = false;
        schedule_retention();
    });
}

void StoreWorker::retention_tick() {
    retention_posted_ = false;
    if (stopping_ || writer_.in_transaction()) return;
    SqliteRetention& retention = writer_.retention();
    if (!retention.active()) {
        if (steady::now() < retention.next()) return schedule_retention();
        retention.wake();
        // An idle server must notice that the disk came back too, or /readyz keeps turning
        // away the traffic that would show it.
        if (writer_.retrying()) writer_.probe();
    }
    writer_.retention_step();  // rests retention when it finds nothing
    schedule_retention();
}

}  // namespace smartlog::storage
