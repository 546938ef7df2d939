// tests/unit/server/storage_log_test.cpp: the store's events in the server log, rate-limited.
#include "server/storage_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace smartlog::server {
namespace {

using namespace std::chrono_literals;
using Kind = storage::StoreEvent::Kind;

struct Lines {
    std::vector<std::pair<spdlog::level::level_enum, std::string>> seen;
    StorageLog::Write writer() {
        return [this](spdlog::level::level_enum level, const std::string& line) {
            seen.emplace_back(level, line);
        };
    }
};

const StorageLog::Clock::time_point t0{};

TEST(StorageLog, WritesEachEventAsOneLineAtItsLevel) {
    Lines lines;
    StorageLog log(lines.writer());
    log.on_event({Kind::error, "commit: database or disk is full"}, t0);
    log.on_event({Kind::recovered, "writes succeed again; /readyz is ready"}, t0);
    log.on_event({Kind::backlog, "the write queue reached 10 entries"}, t0);
    log.on_event({Kind::drained, "the write queue is down"}, t0);
    ASSERT_EQ(lines.seen.size(), 4u);
    EXPECT_EQ(lines.seen[0],
              std::make_pair(spdlog::level::err,
                             std::string("storage: commit: database or disk is full")));
    EXPECT_EQ(lines.seen[1].first, spdlog::level::info);
    EXPECT_EQ(lines.seen[2].first, spdlog::level::warn);
    EXPECT_EQ(lines.seen[3].first, spdlog::level::info);
}

TEST(StorageLog, WritesAtMostNLinesPerKindPerWindowThenHowManyItLeftOut) {
    Lines lines;
    StorageLog log(lines.writer(), 3, 10s);
    for (int i = 0; i < 100; ++i)
        log.on_event({Kind::error, "e" + std::to_string(i)}, t0 + i * 10ms);
    // Another kind has its own allowance.
    log.on_event({Kind::recovered, "back"}, t0 + 2s);
    ASSERT_EQ(lines.seen.size(), 4u);
    EXPECT_EQ(lines.seen[2].second, "storage: e2");
    EXPECT_EQ(lines.seen[3].second, "storage: back");
    // The next window: first the count, then the event.
    log.on_event({Kind::error, "later"}, t0 + 10s);
    ASSERT_EQ(lines.seen.size(), 6u);
    EXPECT_EQ(lines.seen[4],
              std::make_pair(spdlog::level::err,
                             std::string("storage: 97 more storage errors not logged in 10 s")));
    EXPECT_EQ(lines.seen[5].second, "storage: later");
}

TEST(StorageLog, TellsWhatItLeftOutWhenDestroyed) {
    Lines lines;
    {
        StorageLog log(lines.writer(), 1, 10s);
        log.on_event({Kind::backlog, "first"}, t0);
        log.on_event({Kind::backlog, "second"}, t0 + 1s);
        log.on_event({Kind::backlog, "third"}, t0 + 2s);
    }
    ASSERT_EQ(lines.seen.size(), 2u);
    EXPECT_EQ(
        lines.seen[1],
        std::make_pair(spdlog::level::warn,
                       std::string("storage: 2 more storage backlog warnings not logged in 10 s")));
}

TEST(StorageLog, IsSafeFromSeveralThreads) {
    std::atomic<int> written{0};
    {
        StorageLog log([&](spdlog::level::level_enum, const std::string&) { ++written; }, 5, 10s);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 1000; ++i) log.on_event({Kind::error, "e"}, t0);
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(written.load(), 5);
    }
    EXPECT_EQ(written.load(), 6);  // and "3995 more" at the end
}

}  // namespace
}  // namespace smartlog::server
