// tests/unit/storage/sqlite_parts.hpp: a database in a temp dir and the plain parts of the
// SQLite store opened on it, called directly: no thread, no timer.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "core/clock.hpp"
#include "core/id_generator.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/sqlite_writer.hpp"
#include "storage/store_status.hpp"

namespace smartlog::storage {

class SqlitePartsTest : public ::testing::Test {
protected:
    void SetUp() override {
        options_.data_dir = std::filesystem::temp_directory_path() /
                            ("smartlog-parts-" + std::to_string(::getpid()) + "-" +
                             std::to_string(std::random_device{}()));
        std::filesystem::create_directories(options_.data_dir);
    }
    void TearDown() override {
        writer_.reset();
        std::filesystem::remove_all(options_.data_dir);
    }

    // Opens the database of options_ and a writer on it (closing the previous writer first).
    SqliteWriter& open_writer(RetentionRules rules = {}) {
        writer_.reset();
        writer_ =
            std::make_unique<SqliteWriter>(open_database(options_, {}), rules, clock_, status_);
        return *writer_;
    }

    std::string path() const { return database_path(options_); }

    core::EntryPtr entry(const std::string& app, std::string message, std::string level = "info",
                         std::int64_t timestamp = 0, std::string metadata = "{}") {
        const std::string id = ids_.next(clock_.now_ms());
        return core::make_entry({.id = id,
                                 .timestamp = timestamp ? timestamp : clock_.now_ms(),
                                 .level = level,
                                 .message = message,
                                 .metadata = metadata,
                                 .app_id = app,
                                 .user_id = "u1"});
    }

    std::vector<core::EntryPtr> entries(const std::string& app, int n,
                                        const std::string& prefix = "m") {
        std::vector<core::EntryPtr> out;
        for (int i = 0; i < n; ++i) out.push_back(entry(app, prefix + std::to_string(i)));
        return out;
    }

    // The outcome a writer's `done` reports, once it has run.
    struct Outcome {
        std::optional<std::error_code> ec;
        Store::Done done() {
            return [this](std::error_code e) { ec = e; };
        }
    };

    // A number that a read-only connection of its own reads, seeing only what is committed.
    std::int64_t committed(const std::string& sql) const {
        sqlite3* db = nullptr;
        sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
        const std::int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
        sqlite3_finalize(s);
        sqlite3_close(db);
        return n;
    }
    std::int64_t committed_rows() const { return committed("SELECT count(*) FROM entries"); }

    SqliteOptions options_;
    core::ManualClock clock_;
    core::IdGenerator ids_;
    StoreStatus status_{nullptr};
    std::unique_ptr<SqliteWriter> writer_;
};

}  // namespace smartlog::storage
