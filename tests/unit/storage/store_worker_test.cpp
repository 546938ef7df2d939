// tests/unit/storage/store_worker_test.cpp: the worker's commit rules, on a real writer. The
// worker is held in a job of its own while writes queue, so what it groups does not depend on
// timing.
#include "storage/store_worker.hpp"

#include <gtest/gtest.h>

#include <future>

#include "sqlite_parts.hpp"

namespace smartlog::storage {
namespace {

class StoreWorkerTest : public SqlitePartsTest {
protected:
    // Holds the worker's thread until release().
    void hold(StoreWorker& worker) {
        auto entered = std::make_shared<std::promise<void>>();
        auto released = released_.get_future().share();
        worker.post_after_writes([entered, released] {
            entered->set_value();
            released.wait();
        });
        entered->get_future().wait();
    }
    void release() { released_.set_value(); }

    std::promise<void> released_;
};

TEST_F(StoreWorkerTest, SyncModeCommitsTheWritesQueuedTogetherOnce) {
    SqliteWriter& writer = open_writer();
    StoreWorker worker(writer, WorkerRules{true, std::chrono::hours(1)});
    hold(worker);
    std::vector<std::promise<std::error_code>> done(5);
    for (std::size_t i = 0; i < done.size(); ++i) {
        worker.post_write(i + 1, [&, i] {
            writer.append(entries("a", 2),
                          [&done, i](std::error_code ec) { done[i].set_value(ec); });
        });
    }
    release();
    for (auto& d : done) EXPECT_FALSE(d.get_future().get());
    // Every done ran after the one commit that holds all five: a group commit, one fsync.
    EXPECT_EQ(status_.stats().commits, 1u);
    worker.close();
    EXPECT_EQ(worker.settled(), 5u);
}

TEST_F(StoreWorkerTest, AJobAfterWritesFindsThemCommittedBeforeTheBatchDeadline) {
    SqliteWriter& writer = open_writer();
    StoreWorker worker(writer, WorkerRules{false, std::chrono::hours(1)});
    std::promise<std::error_code> appended;
    worker.post_write(1, [&] {
        writer.append(entries("a", 3), [&](std::error_code ec) { appended.set_value(ec); });
    });
    std::promise<std::int64_t> seen;
    worker.post_after_writes([&] { seen.set_value(committed_rows()); });
    EXPECT_EQ(seen.get_future().get(), 3);
    EXPECT_FALSE(appended.get_future().get());
    EXPECT_EQ(worker.settled(), 1u);
    worker.close();
}

TEST_F(StoreWorkerTest, CloseCommitsEveryQueuedWriteWhateverTheDeadline) {
    SqliteWriter& writer = open_writer();
    std::atomic<int> ok{0};
    {
        StoreWorker worker(writer, WorkerRules{false, std::chrono::hours(1)});
        hold(worker);
        for (std::uint64_t i = 1; i <= 20; ++i) {
            worker.post_write(i, [&] {
                writer.append(entries("a", 5), [&](std::error_code ec) { ok += ec ? 0 : 1; });
            });
        }
        release();
        worker.close();
        EXPECT_EQ(ok.load(), 20);
        EXPECT_THROW(worker.run_after_writes([] {}), std::runtime_error);
    }
    EXPECT_EQ(committed_rows(), 100);
}

}  // namespace
}  // namespace smartlog::storage
