#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

namespace hardline::store {

Error sqlite_error(int code) {
  return Error{sqlite3_errstr(code)};
}

namespace {

// How long a writer waits for another process's write lock (`hardline user` while the server
// runs) before giving up with "database is locked".
constexpr int kBusyTimeoutMs = 2000;
// The longest string SQLite accepts from us: far above any contact URI or name, far below what
// could exhaust memory.
constexpr int kMaxValueLength = 1 << 20;

struct Migration {
  int version;
  const char* sql;  // static DDL only, never a value
};

// Forward migrations, oldest first. Opening a file at version N runs every step above N in one
// transaction and records each version. A step that has shipped is never edited: add a new one.
// PRAGMA foreign_keys cannot change inside a transaction, so a step must not rebuild a table
// that others reference.
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL);
CREATE TABLE accounts (
  extension TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  ha1_md5 TEXT NOT NULL,
  ha1_sha256 TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE bindings (
  id INTEGER PRIMARY KEY,
  aor TEXT NOT NULL REFERENCES accounts(extension) ON DELETE CASCADE,
  contact TEXT NOT NULL,
  call_id TEXT NOT NULL,
  cseq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  q INTEGER NOT NULL
);
CREATE INDEX bindings_by_aor ON bindings(aor);
)sql"},
    Migration{2, R"sql(
CREATE TABLE account_groups (
  extension TEXT NOT NULL REFERENCES accounts(extension) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (extension, position)
);
ALTER TABLE bindings ADD COLUMN instance TEXT NOT NULL DEFAULT '';
CREATE INDEX bindings_by_expiry ON bindings(expires_at);
)sql"},
    Migration{3, R"sql(
CREATE TABLE bans (
  network TEXT PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL,
  automatic INTEGER NOT NULL,
  repeats INTEGER NOT NULL
);
CREATE INDEX bans_by_until ON bans(until);
)sql"},
    // A refreshed binding is updated in place (found through the AOR's index: an AOR has a few
    // rows at most) rather than deleted and inserted again; `stamp` marks the rows of the latest
    // set so that the others can go.
    Migration{4, R"sql(
ALTER TABLE bindings ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;
)sql"},
    // The operator's admissions of new devices into a locked account (`hardline user unlock`):
    // serve reads them like bans, after another process changed the database.
    Migration{5, R"sql(
CREATE TABLE admissions (
  extension TEXT NOT NULL,
  network TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (extension, network)
);
)sql"},
    // Each account's digest policy (issue 13, item 1): existing accounts keep what they had,
    // every algorithm the config allows.
    Migration{6, R"sql(
ALTER TABLE accounts ADD COLUMN digest TEXT NOT NULL DEFAULT 'any';
)sql"},
};
static_assert(kMigrations.back().version == kSqliteSchemaVersion,
              "the last migration is the schema version this code writes");

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, CloseDatabase>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

tl::unexpected<Error> db_error(int code) {
  return tl::unexpected(sqlite_error(code));
}

// One execution of a prepared statement: binds parameters in order, steps, reads columns. On
// scope exit it resets the statement (ending any read) and clears the bindings, so the statement
// is ready for its next use and keeps no pointer into the caller's strings.
class Run {
 public:
  explicit Run(sqlite3_stmt* statement) : statement_(statement) {}
  ~Run() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  Run& text(std::string_view value) {
    if (rc_ != SQLITE_OK) return *this;
    if (value.size() > static_cast<size_t>(kMaxValueLength)) {
      rc_ = SQLITE_TOOBIG;
      return *this;
    }
    // A null pointer would bind SQL NULL; an empty value is an empty string. SQLITE_STATIC is
    // safe: the caller's string outlives this Run, whose destructor drops the pointer.
    const char* data = value.empty() ? "" : value.data();
    rc_ =
        sqlite3_bind_text(statement_, next_++, data, static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
  }
  Run& integer(int64_t value) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(statement_, next_++, value);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE, or an error code (a failed bind's, if any).
  int step() { return rc_ != SQLITE_OK ? rc_ : sqlite3_step(statement_); }

  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::string text_at(int column) const {
    const unsigned char* bytes = sqlite3_column_text(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    if (bytes == nullptr || size <= 0) return {};
    return {reinterpret_cast<const char*>(bytes), static_cast<size_t>(size)};
  }
  int64_t integer_at(int column) const { return sqlite3_column_int64(statement_, column); }

 private:
  sqlite3_stmt* statement_;
  int next_ = 1;
  int rc_ = SQLITE_OK;
};

int exec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

// A statement run once at open (schema checks); not worth keeping prepared.
Result<int64_t> query_integer(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementHandle statement(raw);
  if (rc != SQLITE_OK) return db_error(rc);
  const int step = sqlite3_step(statement.get());
  if (step != SQLITE_ROW) return db_error(step == SQLITE_DONE ? SQLITE_ERROR : step);
  return sqlite3_column_int64(statement.get(), 0);
}

Result<void> configure(sqlite3* db) {
  sqlite3_extended_result_codes(db, 1);
  // Defense in depth against a crafted database file: no writable schema, no functions with
  // side effects in the schema, no extensions.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 4 * kMaxValueLength);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // journal_mode answers with the mode it ended up in; anything but "wal" is a failure.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
  StatementHandle wal(raw);
  if (rc != SQLITE_OK) return db_error(rc);
  rc = sqlite3_step(wal.get());
  if (rc != SQLITE_ROW) return db_error(rc);
  const unsigned char* journal_mode = sqlite3_column_text(wal.get(), 0);
  if (journal_mode == nullptr ||
      std::string_view(reinterpret_cast<const char*>(journal_mode)) != "wal") {
    return fail("cannot switch the database to WAL mode");
  }
  wal.reset();
  // FULL: every commit is on disk (the WAL synced) before it returns, so a registration answered
  // 200 survives a power loss; NORMAL may lose the last commits. Registrations are committed in
  // groups (one transaction per turn of the event loop), so this costs one fsync per group.
  if ((rc = exec(db, "PRAGMA synchronous = FULL")) != SQLITE_OK) return db_error(rc);
  // Deleted rows (a removed account's name and hashes, a lifted ban) are overwritten with zeros
  // instead of lingering in free pages of the file; see scrub_wal() for the WAL.
  if ((rc = exec(db, "PRAGMA secure_delete = ON")) != SQLITE_OK) return db_error(rc);
  // Sorts and temporary tables in memory: in `serve`'s chroot no temporary file can be opened.
  if ((rc = exec(db, "PRAGMA temp_store = MEMORY")) != SQLITE_OK) return db_error(rc);
  if ((rc = exec(db, "PRAGMA foreign_keys = ON")) != SQLITE_OK) return db_error(rc);
  if (query_integer(db, "PRAGMA foreign_keys").value_or(0) != 1) {
    return fail("cannot turn on foreign keys");
  }
  return {};
}

Result<void> migrate_in_transaction(sqlite3* db) {
  auto has_version_table = query_integer(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!has_version_table) return tl::unexpected(has_version_table.error());
  int64_t version = 0;
  if (*has_version_table == 0) {
    auto tables = query_integer(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    if (!tables) return tl::unexpected(tables.error());
    if (*tables != 0) return fail("not a Hardline database (it has no schema_version table)");
  } else {
    auto found = query_integer(db, "SELECT coalesce(max(version), 0) FROM schema_version");
    if (!found) return tl::unexpected(found.error());
    version = *found;
  }
  if (version > kSqliteSchemaVersion) {
    return fail(
        "database schema is newer than this version of hardline: upgrade hardline, or restore a "
        "backup made by this version");
  }
  StatementHandle record;
  for (const Migration& migration : kMigrations) {
    if (migration.version <= version) continue;
    int rc = exec(db, migration.sql);
    if (rc != SQLITE_OK) return db_error(rc);
    if (!record) {  // prepared after the first step, which may be the one creating the table
      sqlite3_stmt* raw = nullptr;
      rc = sqlite3_prepare_v2(db, "INSERT INTO schema_version (version) VALUES (?1)", -1, &raw,
                              nullptr);
      record.reset(raw);
      if (rc != SQLITE_OK) return db_error(rc);
    }
    Run run(record.get());
    if ((rc = run.integer(migration.version).step()) != SQLITE_DONE) return db_error(rc);
  }
  return {};
}

// Brings the schema up to kSqliteSchemaVersion; BEGIN IMMEDIATE so that two processes opening
// an old file at once migrate it once.
Result<void> migrate(sqlite3* db) {
  int rc = exec(db, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) return db_error(rc);
  auto migrated = migrate_in_transaction(db);
  if (migrated && (rc = exec(db, "COMMIT")) != SQLITE_OK) migrated = db_error(rc);
  if (!migrated) exec(db, "ROLLBACK");
  return migrated;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(DatabaseHandle db) : db_(std::move(db)) {}

  Result<void> prepare_statements();

  Result<void> add_account(const Account& account) override;
  Result<std::optional<Account>> find_account(std::string_view extension) override;
  Result<std::vector<Account>> list_accounts() override;
  Result<bool> remove_account(std::string_view extension) override;
  Result<bool> set_credentials(std::string_view extension, std::string_view ha1_md5,
                               std::string_view ha1_sha256) override;
  Result<bool> set_digest(std::string_view extension, std::string_view digest, bool drop_md5,
                          std::optional<std::string_view> only_if) override;
  Result<bool> set_groups(std::string_view extension,
                          const std::vector<std::string>& groups) override;
  Result<std::vector<Binding>> load_bindings() override;
  Result<void> replace_bindings(std::string_view aor,
                                const std::vector<Binding>& bindings) override;
  Result<void> replace_bindings_batch(
      const std::vector<std::pair<std::string, std::vector<Binding>>>& sets) override;
  Result<size_t> purge_expired_bindings(int64_t now_unix) override;
  Result<size_t> count_accounts() override;
  Result<void> put_ban(const Ban& ban) override;
  Result<void> put_bans_batch(const std::vector<Ban>& bans) override;
  Result<bool> remove_ban(std::string_view network) override;
  Result<std::vector<Ban>> list_bans() override;
  Result<size_t> purge_expired_bans(int64_t now_unix) override;
  Result<uint64_t> data_version() override;
  std::optional<std::string> file_problem(const std::filesystem::path& path) override;
  // Remembers which file `path` names now (just opened), for file_problem(), and keeps a handle
  // on its directory: a server that dropped root may no longer search the directories above it
  // (a deployment under a root-only 0700 directory, without a chroot to hide them).
  void identify(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return;
    device_ = status.st_dev;
    inode_ = status.st_ino;
    identified_ = true;
    const std::filesystem::path parent = path.parent_path().empty() ? "." : path.parent_path();
    directory_ = ::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    name_ = path.filename().string();
  }
  ~SqliteStore() override {
    if (directory_ >= 0) ::close(directory_);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  Result<void> put_admission(const Admission& admission) override;
  Result<std::vector<Admission>> list_admissions(int64_t now_unix) override;

 private:
  // After a delete: checkpoints the WAL and truncates it, so that removed rows do not stay
  // readable in it.
  void scrub_wal();
  // A write transaction: begin() takes the write lock; unless commit() succeeds, the destructor
  // rolls back.
  class Transaction {
   public:
    explicit Transaction(SqliteStore& store) : store_(store) {}
    ~Transaction() {
      if (open_) Run(store_.rollback_.get()).step();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    Result<void> begin() {
      const int rc = Run(store_.begin_.get()).step();
      if (rc != SQLITE_DONE) return db_error(rc);
      open_ = true;
      return {};
    }
    Result<void> commit() {
      const int rc = Run(store_.commit_.get()).step();
      if (rc != SQLITE_DONE) return db_error(rc);
      open_ = false;
      return {};
    }

   private:
    SqliteStore& store_;
    bool open_ = false;
  };

  enum class UnknownAor { kFail, kSkip };
  Result<void> replace_in_transaction(std::string_view aor, const std::vector<Binding>& bindings,
                                      UnknownAor unknown);
  // Appends the accounts a find/list query returns: one row per group (or one with a NULL group).
  static Result<void> read_accounts(Run& run, std::vector<Account>& out);
  // One INSERT OR REPLACE of a ban, inside or outside a transaction.
  Result<void> write_ban(const Ban& ban);

  DatabaseHandle db_;
  // The file opened (identify()), for file_problem().
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool identified_ = false;
  int directory_ = -1;  // O_PATH handle on the file's directory, or -1
  std::string name_;    // the file's name in it
  // Prepared once at open, reused for every call. Destroyed before db_ (declared after it).
  StatementHandle begin_, commit_, rollback_;
  StatementHandle insert_account_, insert_group_, find_account_, list_accounts_;
  StatementHandle remove_account_, set_credentials_, set_digest_, count_accounts_, data_version_;
  StatementHandle load_bindings_, update_binding_, insert_binding_, delete_unstamped_;
  StatementHandle purge_bindings_, account_exists_, delete_groups_;
  int64_t stamp_ = 0;  // the last stamp written (see replace_in_transaction)
  StatementHandle put_ban_, remove_ban_, list_bans_, purge_bans_;
  StatementHandle put_admission_, list_admissions_, purge_admissions_;
};

Result<void> SqliteStore::prepare_statements() {
  const std::pair<StatementHandle*, std::string_view> statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&insert_account_,
       "INSERT INTO accounts (extension, name, ha1_md5, ha1_sha256, created_at, digest) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&insert_group_,
       "INSERT INTO account_groups (extension, position, name) VALUES (?1, ?2, ?3)"},
      {&find_account_,
       "SELECT a.extension, a.name, a.ha1_md5, a.ha1_sha256, a.created_at, a.digest, g.name "
       "FROM accounts AS a LEFT JOIN account_groups AS g ON g.extension = a.extension "
       "WHERE a.extension = ?1 ORDER BY g.position"},
      {&list_accounts_,
       "SELECT a.extension, a.name, a.ha1_md5, a.ha1_sha256, a.created_at, a.digest, g.name "
       "FROM accounts AS a LEFT JOIN account_groups AS g ON g.extension = a.extension "
       "ORDER BY a.extension, g.position"},
      {&remove_account_, "DELETE FROM accounts WHERE extension = ?1"},
      {&set_credentials_, "UPDATE accounts SET ha1_md5 = ?2, ha1_sha256 = ?3 WHERE extension = ?1"},
      {&set_digest_,
       "UPDATE accounts SET digest = ?2, ha1_md5 = CASE WHEN ?3 THEN '' ELSE ha1_md5 END "
       "WHERE extension = ?1 AND (?4 IS NULL OR digest = ?4)"},
      {&count_accounts_, "SELECT count(*) FROM accounts"},
      {&account_exists_, "SELECT count(*) FROM accounts WHERE extension = ?1"},
      {&delete_groups_, "DELETE FROM account_groups WHERE extension = ?1"},
      {&data_version_, "PRAGMA data_version"},
      {&load_bindings_,
       "SELECT aor, contact, call_id, cseq, expires_at, registered_at, source, q, instance "
       "FROM bindings ORDER BY aor, id"},
      {&update_binding_,
       "UPDATE bindings SET call_id = ?3, cseq = ?4, expires_at = ?5, registered_at = ?6, "
       "source = ?7, q = ?8, stamp = ?10 WHERE aor = ?1 AND contact = ?2 AND instance = ?9"},
      {&insert_binding_,
       "INSERT INTO bindings (aor, contact, call_id, cseq, expires_at, registered_at, source, q, "
       "instance, stamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
      {&delete_unstamped_, "DELETE FROM bindings WHERE aor = ?1 AND stamp != ?2"},
      {&purge_bindings_, "DELETE FROM bindings WHERE expires_at <= ?1"},
      {&put_ban_,
       "INSERT OR REPLACE INTO bans (network, created_at, until, reason, automatic, repeats) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&remove_ban_, "DELETE FROM bans WHERE network = ?1"},
      {&list_bans_,
       "SELECT network, created_at, until, reason, automatic, repeats FROM bans ORDER BY network"},
      {&purge_bans_, "DELETE FROM bans WHERE until <= ?1"},
      {&put_admission_,
       "INSERT OR REPLACE INTO admissions (extension, network, created_at, until) "
       "VALUES (?1, ?2, ?3, ?4)"},
      {&list_admissions_,
       "SELECT extension, network, created_at, until FROM admissions WHERE until > ?1 "
       "ORDER BY extension, network"},
      {&purge_admissions_, "DELETE FROM admissions WHERE until <= ?1"},
  };
  for (const auto& [handle, sql] : statements) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    handle->reset(raw);
    if (rc != SQLITE_OK) return db_error(rc);
  }
  auto stamp = query_integer(db_.get(), "SELECT coalesce(max(stamp), 0) FROM bindings");
  if (!stamp) return tl::unexpected(stamp.error());
  stamp_ = *stamp;
  return {};
}

Result<void> SqliteStore::add_account(const Account& account) {
  if (account.extension.empty()) return fail("empty extension");
  Transaction transaction(*this);
  if (auto begun = transaction.begin(); !begun) return begun;
  {
    Run run(insert_account_.get());
    const int rc = run.text(account.extension)
                       .text(account.name)
                       .text(account.ha1_md5)
                       .text(account.ha1_sha256)
                       .integer(account.created_at)
                       .text(account.digest)
                       .step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) return fail("account exists");
    if (rc != SQLITE_DONE) return db_error(rc);
  }
  int64_t position = 0;
  for (const std::string& group : account.groups) {
    Run run(insert_group_.get());
    const int rc = run.text(account.extension).integer(position++).text(group).step();
    if (rc != SQLITE_DONE) return db_error(rc);
  }
  return transaction.commit();
}

Result<void> SqliteStore::read_accounts(Run& run, std::vector<Account>& out) {
  int rc = SQLITE_OK;
  while ((rc = run.step()) == SQLITE_ROW) {
    std::string extension = run.text_at(0);
    if (out.empty() || out.back().extension != extension) {
      Account& account = out.emplace_back();
      account.extension = std::move(extension);
      account.name = run.text_at(1);
      account.ha1_md5 = run.text_at(2);
      account.ha1_sha256 = run.text_at(3);
      account.created_at = run.integer_at(4);
      account.digest = run.text_at(5);
    }
    if (!run.is_null(6)) out.back().groups.push_back(run.text_at(6));
  }
  if (rc != SQLITE_DONE) return db_error(rc);
  return {};
}

Result<std::optional<Account>> SqliteStore::find_account(std::string_view extension) {
  std::vector<Account> found;
  Run run(find_account_.get());
  run.text(extension);
  if (auto read = read_accounts(run, found); !read) return tl::unexpected(read.error());
  if (found.empty()) return std::optional<Account>{};
  return std::optional<Account>{std::move(found.front())};
}

Result<std::vector<Account>> SqliteStore::list_accounts() {
  std::vector<Account> accounts;
  Run run(list_accounts_.get());
  if (auto read = read_accounts(run, accounts); !read) return tl::unexpected(read.error());
  return accounts;
}

Result<bool> SqliteStore::remove_account(std::string_view extension) {
  // One statement is one transaction: the foreign keys' ON DELETE CASCADE removes the account's
  // groups and bindings with it.
  Run run(remove_account_.get());
  const int rc = run.text(extension).step();
  if (rc != SQLITE_DONE) return db_error(rc);
  const bool removed = sqlite3_changes64(db_.get()) > 0;
  if (removed) scrub_wal();
  return removed;
}

Result<bool> SqliteStore::set_credentials(std::string_view extension, std::string_view ha1_md5,
                                          std::string_view ha1_sha256) {
  Run run(set_credentials_.get());
  const int rc = run.text(extension).text(ha1_md5).text(ha1_sha256).step();
  if (rc != SQLITE_DONE) return db_error(rc);
  return sqlite3_changes64(db_.get()) > 0;
}

Result<bool> SqliteStore::set_digest(std::string_view extension, std::string_view digest,
                                     bool drop_md5, std::optional<std::string_view> only_if) {
  Run run(set_digest_.get());
  run.text(extension).text(digest).integer(drop_md5 ? 1 : 0);
  if (only_if) run.text(*only_if);
  const int rc = run.step();
  if (rc != SQLITE_DONE) return db_error(rc);
  const bool changed = sqlite3_changes64(db_.get()) > 0;
  if (changed && drop_md5) scrub_wal();
  return changed;
}

Result<bool> SqliteStore::set_groups(std::string_view extension,
                                     const std::vector<std::string>& groups) {
  Transaction transaction(*this);
  if (auto begun = transaction.begin(); !begun) return tl::unexpected(begun.error());
  {
    Run run(account_exists_.get());
    const int rc = run.text(extension).step();
    if (rc != SQLITE_ROW) return db_error(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    if (run.integer_at(0) == 0) return false;
  }
  {
    Run run(delete_groups_.get());
    const int rc = run.text(extension).step();
    if (rc != SQLITE_DONE) return db_error(rc);
  }
  int64_t position = 0;
  for (const std::string& group : groups) {
    Run run(insert_group_.get());
    const int rc = run.text(extension).integer(position++).text(group).step();
    if (rc != SQLITE_DONE) return db_error(rc);
  }
  if (auto committed = transaction.commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return true;
}

Result<std::vector<Binding>> SqliteStore::load_bindings() {
  std::vector<Binding> bindings;
  Run run(load_bindings_.get());
  int rc = SQLITE_OK;
  while ((rc = run.step()) == SQLITE_ROW) {
    const int64_t cseq = run.integer_at(3);
    const int64_t q = run.integer_at(7);
    if (cseq < 0 || cseq > std::numeric_limits<uint32_t>::max() || q < 0 ||
        q > std::numeric_limits<uint16_t>::max()) {
      return fail("database holds a binding with an out-of-range CSeq or q");
    }
    Binding& binding = bindings.emplace_back();
    binding.aor = run.text_at(0);
    binding.contact = run.text_at(1);
    binding.call_id = run.text_at(2);
    binding.cseq = static_cast<uint32_t>(cseq);
    binding.expires_at = run.integer_at(4);
    binding.registered_at = run.integer_at(5);
    binding.source = run.text_at(6);
    binding.q = static_cast<uint16_t>(q);
    binding.instance = run.text_at(8);
  }
  if (rc != SQLITE_DONE) return db_error(rc);
  return bindings;
}

Result<void> SqliteStore::replace_in_transaction(std::string_view aor,
                                                 const std::vector<Binding>& bindings,
                                                 UnknownAor unknown) {
  if (aor.empty()) return fail("empty AOR");
  for (const Binding& binding : bindings) {
    if (!binding.aor.empty() && binding.aor != aor) return fail("binding belongs to another AOR");
  }
  // Each binding of the set is updated where it is (a refresh, the common case) or inserted, all
  // with a stamp no row of this AOR has; then the rows without it (the AOR's old bindings that
  // are not in the set) are deleted.
  const int64_t stamp = ++stamp_;
  // The UPDATE and the INSERT take the same ten values, in the same order.
  auto write = [&](sqlite3_stmt* statement, const Binding& binding) {
    Run run(statement);
    return run.text(aor)
        .text(binding.contact)
        .text(binding.call_id)
        .integer(binding.cseq)
        .integer(binding.expires_at)
        .integer(binding.registered_at)
        .text(binding.source)
        .integer(binding.q)
        .text(binding.instance)
        .integer(stamp)
        .step();
  };
  for (const Binding& binding : bindings) {
    int rc = write(update_binding_.get(), binding);
    if (rc != SQLITE_DONE) return db_error(rc);
    if (sqlite3_changes(db_.get()) > 0) continue;
    rc = write(insert_binding_.get(), binding);
    // A failed statement is undone on its own; the transaction stays usable. The AOR has no
    // account, so its other bindings would fail the same way.
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      if (unknown == UnknownAor::kSkip) return {};
      return fail("no such account");
    }
    if (rc != SQLITE_DONE) return db_error(rc);
  }
  Run run(delete_unstamped_.get());
  const int rc = run.text(aor).integer(stamp).step();
  if (rc != SQLITE_DONE) return db_error(rc);
  return {};
}

Result<void> SqliteStore::replace_bindings(std::string_view aor,
                                           const std::vector<Binding>& bindings) {
  Transaction transaction(*this);
  if (auto begun = transaction.begin(); !begun) return begun;
  if (auto replaced = replace_in_transaction(aor, bindings, UnknownAor::kFail); !replaced) {
    return replaced;
  }
  return transaction.commit();
}

Result<void> SqliteStore::replace_bindings_batch(
    const std::vector<std::pair<std::string, std::vector<Binding>>>& sets) {
  if (sets.empty()) return {};
  Transaction transaction(*this);
  if (auto begun = transaction.begin(); !begun) return begun;
  for (const auto& [aor, bindings] : sets) {
    if (auto replaced = replace_in_transaction(aor, bindings, UnknownAor::kSkip); !replaced) {
      return replaced;
    }
  }
  return transaction.commit();
}

Result<size_t> SqliteStore::purge_expired_bindings(int64_t now_unix) {
  Run run(purge_bindings_.get());
  const int rc = run.integer(now_unix).step();
  if (rc != SQLITE_DONE) return db_error(rc);
  return static_cast<size_t>(sqlite3_changes64(db_.get()));
}

Result<size_t> SqliteStore::count_accounts() {
  Run run(count_accounts_.get());
  const int rc = run.step();
  if (rc != SQLITE_ROW) return db_error(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
  return static_cast<size_t>(run.integer_at(0));
}

Result<void> SqliteStore::write_ban(const Ban& ban) {
  if (ban.network.empty()) return fail("empty network");
  Run run(put_ban_.get());
  const int rc = run.text(ban.network)
                     .integer(ban.created_at)
                     .integer(ban.until)
                     .text(ban.reason)
                     .integer(ban.automatic ? 1 : 0)
                     .integer(ban.repeats)
                     .step();
  if (rc != SQLITE_DONE) return db_error(rc);
  return {};
}

Result<void> SqliteStore::put_ban(const Ban& ban) {
  return write_ban(ban);  // one statement is one transaction
}

Result<void> SqliteStore::put_bans_batch(const std::vector<Ban>& bans) {
  if (bans.empty()) return {};
  Transaction transaction(*this);
  if (auto begun = transaction.begin(); !begun) return begun;
  for (const Ban& ban : bans) {
    if (auto written = write_ban(ban); !written) return written;
  }
  return transaction.commit();
}

Result<bool> SqliteStore::remove_ban(std::string_view network) {
  Run run(remove_ban_.get());
  const int rc = run.text(network).step();
  if (rc != SQLITE_DONE) return db_error(rc);
  const bool removed = sqlite3_changes64(db_.get()) > 0;
  if (removed) scrub_wal();
  return removed;
}

void SqliteStore::scrub_wal() {
  // The WAL still holds the pages as they were before the delete (secure_delete zeroes the new
  // copies only): fold it into the file and truncate it. Best effort: while another connection
  // reads, the checkpoint cannot finish, and the old frames go when the WAL is next reset.
  sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

Result<std::vector<Ban>> SqliteStore::list_bans() {
  std::vector<Ban> bans;
  Run run(list_bans_.get());
  int rc = SQLITE_OK;
  while ((rc = run.step()) == SQLITE_ROW) {
    const int64_t automatic = run.integer_at(4);
    const int64_t repeats = run.integer_at(5);
    if ((automatic != 0 && automatic != 1) || repeats < 0 ||
        repeats > std::numeric_limits<uint32_t>::max()) {
      return fail("database holds a ban with an out-of-range kind or repeat count");
    }
    Ban& ban = bans.emplace_back();
    ban.network = run.text_at(0);
    ban.created_at = run.integer_at(1);
    ban.until = run.integer_at(2);
    ban.reason = run.text_at(3);
    ban.automatic = automatic == 1;
    ban.repeats = static_cast<uint32_t>(repeats);
  }
  if (rc != SQLITE_DONE) return db_error(rc);
  return bans;
}

Result<size_t> SqliteStore::purge_expired_bans(int64_t now_unix) {
  Run run(purge_bans_.get());
  const int rc = run.integer(now_unix).step();
  if (rc != SQLITE_DONE) return db_error(rc);
  return static_cast<size_t>(sqlite3_changes64(db_.get()));
}

Result<void> SqliteStore::put_admission(const Admission& admission) {
  {
    Run purge(purge_admissions_.get());
    if (const int rc = purge.integer(admission.created_at).step(); rc != SQLITE_DONE) {
      return db_error(rc);
    }
  }
  Run run(put_admission_.get());
  const int rc = run.text(admission.extension)
                     .text(admission.network)
                     .integer(admission.created_at)
                     .integer(admission.until)
                     .step();
  if (rc != SQLITE_DONE) return db_error(rc);
  return {};
}

Result<std::vector<Admission>> SqliteStore::list_admissions(int64_t now_unix) {
  std::vector<Admission> admissions;
  Run run(list_admissions_.get());
  int rc = run.integer(now_unix).step();
  for (; rc == SQLITE_ROW; rc = run.step()) {
    Admission& admission = admissions.emplace_back();
    admission.extension = run.text_at(0);
    admission.network = run.text_at(1);
    admission.created_at = run.integer_at(2);
    admission.until = run.integer_at(3);
  }
  if (rc != SQLITE_DONE) return db_error(rc);
  return admissions;
}

Result<uint64_t> SqliteStore::data_version() {
  Run run(data_version_.get());
  const int rc = run.step();
  if (rc != SQLITE_ROW) return db_error(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
  return static_cast<uint64_t>(run.integer_at(0));
}

std::optional<std::string> SqliteStore::file_problem(const std::filesystem::path& path) {
  if (!identified_) return std::nullopt;
  struct stat status {};
  // By its path first (the whole directory moved away is a problem too); where the path cannot
  // be searched any more (permissions), through the directory opened at start-up.
  bool found = ::stat(path.c_str(), &status) == 0;
  if (!found && errno == EACCES && directory_ >= 0) {
    found = ::fstatat(directory_, name_.c_str(), &status, 0) == 0;
  }
  if (!found) {
    if (errno == ENOENT || errno == ENOTDIR) return "is gone (deleted or moved away)";
    return std::nullopt;  // cannot look (permissions): not claimed to be wrong
  }
  if (status.st_dev != device_ || status.st_ino != inode_) {
    return "was replaced by another file (not the one opened at start-up)";
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> open_database(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  // NOFOLLOW: a symbolic link planted at the path must not redirect the database.
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  DatabaseHandle db(raw);
  if (rc != SQLITE_OK) return db_error(rc);
  if (auto configured = configure(db.get()); !configured) {
    return tl::unexpected(configured.error());
  }
  if (auto migrated = migrate(db.get()); !migrated) return tl::unexpected(migrated.error());
  // Seed SQLite's generator (WAL salts) from /dev/urandom now: `serve` may chroot later, where
  // there is no /dev/urandom and SQLite would fall back to the time and the pid.
  unsigned char seed = 0;
  sqlite3_randomness(1, &seed);
  auto store = std::make_unique<SqliteStore>(std::move(db));
  if (auto prepared = store->prepare_statements(); !prepared) {
    return tl::unexpected(prepared.error());
  }
  store->identify(path);
  return std::unique_ptr<Store>(std::move(store));
}

void remove_database_files(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(std::filesystem::path(path.native() + "-wal"), ignored);
  std::filesystem::remove(std::filesystem::path(path.native() + "-shm"), ignored);
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& path, OpenMode mode) {
  if (path.empty()) return fail("empty database path");
  struct stat status {};
  const bool exists = ::lstat(path.c_str(), &status) == 0;
  if (mode == OpenMode::kCreate) {
    if (exists) return fail("database file already exists: choose another path or open it");
    // O_EXCL creates the file or fails, so nobody else's file is taken over; the -wal and -shm
    // files SQLite creates later copy this file's mode.
    const int fd =
        ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
      return fail(errno == EEXIST ? "database file already exists: choose another path or open it"
                                  : "cannot create the database file");
    }
    // The umask may have cleared bits of 0600; set it exactly.
    const int chmod_rc = ::fchmod(fd, S_IRUSR | S_IWUSR);
    ::close(fd);
    if (chmod_rc != 0) {
      remove_database_files(path);
      return fail("cannot set the database file's mode to 0600");
    }
    auto store = open_database(path);
    if (!store) remove_database_files(path);
    return store;
  }
  if (!exists) {
    // Not `hardline init` alone: it refuses a directory that holds a deployment (the config is
    // still there), so it would send the operator round in a circle.
    return fail(
        "database file does not exist: restore it from a backup (owned by the service user, "
        "mode 0600), or, to start again with no accounts, run `hardline init --dir NEW_DIR` "
        "and move NEW_DIR/hardline.db to this path (init never writes into an existing "
        "deployment)");
  }
  if (S_ISLNK(status.st_mode)) return fail("database path is a symbolic link: use the real path");
  if (!S_ISREG(status.st_mode)) return fail("database path is not a regular file");
  return open_database(path);
}

}  // namespace hardline::store
