// storage/sqlite_restore.hpp: reading the newest entries of every app at start (load_recent;
// docs/storage.md, "Restart"). Blocking; it reads half of the work through a second read-only
// connection on a helper thread for the length of the call.
#pragma once

#include <cstddef>
#include <string>

#include "storage/sqlite_common.hpp"
#include "storage/sqlite_options.hpp"

namespace smartlog::storage {

// The newest `per_app` entries of every app of `apps`, oldest first, read through `db` and one
// more read-only connection to `path`. `how` picks one scan of the table in seq order or one
// index query per app (automatic: the scan when the table holds at most about twice what is
// wanted). Each entry comes from its row's `encoded` text alone. Throws SqliteError.
Histories read_recent(sqlite3* db, const std::string& path, const AppTable& apps,
                      std::size_t per_app, SqliteOptions::RestoreRead how);

// The same through a read-only connection of its own, for a thread that has none.
Histories read_recent(const std::string& path, const AppTable& apps, std::size_t per_app,
                      SqliteOptions::RestoreRead how);

}  // namespace smartlog::storage
