#pragma once
// The SQLite backend of Store: one database file, WAL, synchronous=NORMAL, foreign keys on, a
// busy timeout, every query a statement prepared once at open and reused with bound values.
// The schema is versioned (schema_version table) and migrated forward at open.

#include <filesystem>
#include <memory>

#include "common/result.h"
#include "store/store.h"

namespace hardline::store {

// The schema version this code writes; opening an older file migrates it up to this.
inline constexpr int kSqliteSchemaVersion = 6;

enum class OpenMode {
  kCreate,    // create a new file, mode 0600; refuse if the path exists
  kExisting,  // open an existing file; refuse if it does not exist
};

// Opens (or creates) the database at `path` and brings its schema up to kSqliteSchemaVersion
// in one transaction. Refuses a file whose schema is newer than this code, a file that is not a
// Hardline database, and a path that is a symbolic link. The -wal and -shm files take the
// database file's mode. With kCreate, a failed open removes the file it created.
Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& path, OpenMode mode);

// An SQLite result code as an Error whose text is SQLite's own static description of the code
// (sqlite3_errstr): it names the kind of failure and never any data, so it is safe to log.
Error sqlite_error(int code);

}  // namespace hardline::store
