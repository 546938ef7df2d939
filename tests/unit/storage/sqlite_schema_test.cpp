// tests/unit/storage/sqlite_schema_test.cpp: opening the database, called directly.
#include "storage/sqlite_schema.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "sqlite_parts.hpp"
#include "storage/sqlite_query.hpp"

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

// The schema of version 1, as smartlogd wrote it before the entries table kept each entry's
// text once: message, metadata and user_id beside encoded.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE schema_version(version INTEGER NOT NULL);
CREATE TABLE apps(
    key INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    floor INTEGER NOT NULL DEFAULT 0);
CREATE TABLE entries(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    app INTEGER NOT NULL,
    id TEXT NOT NULL,
    received INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    level TEXT NOT NULL,
    user_id TEXT NOT NULL,
    message TEXT NOT NULL,
    metadata TEXT NOT NULL,
    encoded TEXT NOT NULL);
CREATE INDEX entries_by_app ON entries(app, id);
CREATE VIRTUAL TABLE entries_fts USING fts5(message, content='entries', content_rowid='seq',
                                            tokenize='trigram');
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, message) VALUES ('delete', old.seq, old.message);
END;
INSERT INTO schema_version(version) VALUES (1);
INSERT INTO apps(key, name) VALUES (1, 'a');
)sql";

void run(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error << sql;
}

std::int64_t fts_rows(sqlite3* db, const std::string& phrase) {
    Stmt s(db, "SELECT count(*) FROM entries_fts WHERE entries_fts MATCH ?");
    s.bind(1, std::string_view("\"" + phrase + "\""));
    return s.step() ? s.int64(0) : -1;
}

TEST_F(SqliteSchemaTest, ADatabaseOfVersion1IsMigratedAndKeepsItsEntries) {
    // A version 1 file: five entries, and a sixth deleted, so AUTOINCREMENT's mark is above
    // max(seq).
    std::vector<core::EntryPtr> written;
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
        run(db, "PRAGMA journal_mode=WAL");
        run(db, kVersion1);
        {
            Stmt insert(
                db,
                "INSERT INTO entries(app, id, received, ts, level, user_id, message, metadata,"
                " encoded) VALUES (1, ?, 0, ?, 'info', 'u1', ?, '{}', ?)");
            Stmt index(db,
                       "INSERT INTO entries_fts(rowid, message) VALUES (last_insert_rowid(), ?)");
            for (int i = 0; i < 6; ++i) {
                const std::string message = "message \"" + std::to_string(i) + "\"\n";
                written.push_back(entry("a", message));
                insert.reset();
                insert.bind(1, written.back()->id());
                insert.bind(2, written.back()->timestamp());
                insert.bind(3, std::string_view(message));
                insert.bind(4, written.back()->encoded());
                insert.step();
                index.reset();
                index.bind(1, std::string_view(message));
                index.step();
            }
        }  // statements finalised before the connection closes
        run(db, "DELETE FROM entries WHERE seq = 6");
        written.pop_back();
        sqlite3_close(db);
    }

    SqliteWriter& writer = open_writer();
    EXPECT_EQ(committed("SELECT max(version) FROM schema_version"), kSchemaVersion);
    EXPECT_EQ(committed("SELECT count(*) FROM pragma_table_info('entries') WHERE name IN "
                        "('message', 'metadata', 'user_id')"),
              0);
    EXPECT_EQ(committed("SELECT count(*) FROM sqlite_master WHERE name = 'entries_by_app'"), 1);
    Histories loaded = writer.read_recent(path(), 10, SqliteOptions::RestoreRead::automatic);
    ASSERT_EQ(loaded.size(), 1u);
    ASSERT_EQ(loaded[0].second.size(), written.size());
    for (std::size_t i = 0; i < written.size(); ++i) {
        EXPECT_EQ(loaded[0].second[i]->encoded(), written[i]->encoded());
        EXPECT_EQ(loaded[0].second[i]->message(), written[i]->message());
    }

    // The search index of version 1 still answers.
    sqlite3* reader = open_read_only(path());
    register_entry_functions(reader);
    Query q;
    q.app_id = "a";
    q.filter.search = "age \"3\"";
    QueryOutcome found = run_query(reader, q, true, std::chrono::seconds(5));
    ASSERT_FALSE(found.error) << found.failure;
    ASSERT_EQ(found.result.entries.size(), 1u);
    EXPECT_EQ(found.result.entries[0]->encoded(), written[3]->encoded());

    // New rows go above the old high-water mark; deleted rows leave the old index.
    Outcome appended, cleared;
    writer.append({entry("a", "after the migration")}, appended.done());
    writer.commit();
    EXPECT_GT(committed("SELECT max(seq) FROM entries"), 6);
    writer.clear("a", cleared.done());
    writer.commit();
    writer.run_retention();
    EXPECT_EQ(committed_rows(), 0);
    EXPECT_EQ(fts_rows(reader, "message"), 0);
    EXPECT_EQ(fts_rows(reader, "after the"), 0);
    sqlite3_close(reader);
}

// The index's rows leave it with their entries, whatever their messages hold: the writer
// indexes the text smartlog_message() gives the delete trigger.
TEST_F(SqliteSchemaTest, DeletedEntriesLeaveTheSearchIndexWhateverTheirMessage) {
    SqliteWriter& writer = open_writer();
    Outcome appended, cleared;
    std::vector<core::EntryPtr> list;
    for (std::string message :
         {std::string("quote \" and \\ back"), std::string("line\nbreak\ttab"),
          std::string("nul\0after", 9), std::string("caf\xc3\xa9 \xe2\x98\x83"),
          std::string("\x01\x1f controls")}) {
        list.push_back(entry("a", message));
    }
    writer.append(list, appended.done());
    writer.commit();
    sqlite3* reader = open_read_only(path());
    EXPECT_EQ(fts_rows(reader, "and \\ b"), 1);
    EXPECT_EQ(fts_rows(reader, "nul"), 1);  // FTS5's tokenizer stops at a NUL, as it did
    EXPECT_EQ(fts_rows(reader, "\xc3\xa9 \xe2\x98\x83"), 1);
    writer.clear("a", cleared.done());
    writer.commit();
    writer.run_retention();
    EXPECT_EQ(committed_rows(), 0);
    for (std::string phrase : {"quote", "break", "nul", "caf", "controls"})
        EXPECT_EQ(fts_rows(reader, phrase), 0) << phrase;
    sqlite3_close(reader);
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
