// storage/sqlite_query.hpp: one query of GET /api/v1/logs on a read-only connection: the SQL
// built from the query, its execution in one read transaction, its time budget
// (docs/storage.md, "Queries"). Plain and synchronous; the reader threads (query_readers.hpp)
// call it, tests call it directly.
#pragma once

#include <chrono>
#include <string>
#include <system_error>

#include "storage/sqlite_common.hpp"
#include "storage/store.hpp"

namespace smartlog::storage {

struct QueryOutcome {
    // invalid_argument: a search of 1 or 2 characters, which no index serves; timed_out: the
    // budget ran out; io_error: SQLite failed (`failure` says how).
    std::error_code error;
    QueryResult result;   // empty on error
    std::string failure;  // SQLite's words for an io_error
};

// Runs `q` on `db` (a connection with no open transaction). `full_text`: the database has
// the trigram index. A `budget` of zero ends the query at its first look at the clock, after a
// few thousand SQLite steps.
QueryOutcome run_query(sqlite3* db, const Query& q, bool full_text,
                       std::chrono::milliseconds budget);

// The length of `s` in UTF-8 characters.
std::size_t utf8_length(std::string_view s);

}  // namespace smartlog::storage
