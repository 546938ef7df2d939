// tests/unit/storage/sqlite_schema_test.cpp: opening the database, called directly.
#include "storage/sqlite_schema.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "sqlite_parts.hpp"

namespace smartlog::storage {
namespace {

using SqliteSchemaTest = SqlitePartsTest;

std::string bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(SqliteSchemaTest, ANewDatabaseGetsTheCurrentSchemaVersion) {
    OpenedDatabase opened = open_database(options_, {});
    EXPECT_TRUE(opened.apps.empty());
    sqlite3_close(opened.db);
    EXPECT_EQ(committed("SELECT max(version) FROM schema_version"), kSchemaVersion);
}

TEST_F(SqliteSchemaTest, ADatabaseOfANewerSchemaIsRefusedAndLeftAsItWas) {
    sqlite3_close(open_database(options_, {}).db);
    sqlite3* db = nullptr;
    sqlite3_open(path().c_str(), &db);
    sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    const std::string before = bytes_of(path());
    try {
        open_database(options_, {});
        FAIL() << "opened a database of a newer schema";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer smartlog (schema version 99"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(bytes_of(path()), before);
}

TEST_F(SqliteSchemaTest, AppsComeBackWithTheirFloorsAndUnknownCounts) {
    SqliteWriter& writer = open_writer();
    Outcome a, b, c;
    writer.append(entries("a", 3), a.done());
    writer.append(entries("b", 2), b.done());
    writer.clear("a", c.done());
    writer.commit();
    writer_.reset();
    const AppTable* seen = nullptr;
    OpenedDatabase opened =
        open_database(options_, [&](sqlite3*, const AppTable& apps) { seen = &apps; });
    sqlite3_close(opened.db);
    EXPECT_NE(seen, nullptr) << "an existing database is read while the check runs";
    ASSERT_EQ(opened.apps.size(), 2u);
    EXPECT_GT(opened.apps.at("a").floor, 0);
    EXPECT_TRUE(opened.apps.at("a").purge);
    EXPECT_EQ(opened.apps.at("b").floor, 0);
    EXPECT_EQ(opened.apps.at("b").count, -1);
}

TEST_F(SqliteSchemaTest, AReadFailureBesideTheCheckThatIsNotDamageDoesNotRefuseTheDatabase) {
    sqlite3_close(open_database(options_, {}).db);
    OpenedDatabase opened = open_database(options_, [](sqlite3*, const AppTable&) {
        throw SqliteError("sqlite step: out of memory", SQLITE_NOMEM);
    });
    EXPECT_NE(opened.db, nullptr);
    sqlite3_close(opened.db);
}

TEST_F(SqliteSchemaTest, DamageFoundWhileReadingBesideTheCheckIsRefusedNamingTheFile) {
    sqlite3_close(open_database(options_, {}).db);
    options_.check = StartupCheck::none;
    try {
        open_database(options_, [](sqlite3*, const AppTable&) {
            throw SqliteError("sqlite step: database disk image is malformed", SQLITE_CORRUPT);
        });
        FAIL() << "opened a damaged database";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(path() + " is damaged"), std::string::npos) << what;
        EXPECT_NE(what.find(".recover"), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace smartlog::storage
