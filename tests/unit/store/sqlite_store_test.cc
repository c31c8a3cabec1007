#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace hardline::store {
namespace {

namespace fs = std::filesystem;

// A scratch directory per test, removed afterwards.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hardline-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ / "hardline.db";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::unique_ptr<Store> create() {
    auto store = open_sqlite(path_, OpenMode::kCreate);
    EXPECT_TRUE(store) << (store ? "" : store.error().what);
    return store ? std::move(*store) : nullptr;
  }
  std::unique_ptr<Store> reopen() {
    auto store = open_sqlite(path_, OpenMode::kExisting);
    EXPECT_TRUE(store) << (store ? "" : store.error().what);
    return store ? std::move(*store) : nullptr;
  }

  // Direct SQL on the file, as another program (or an older Hardline) would do it.
  void raw_sql(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  }
  std::vector<std::string> raw_query(const char* sql) {
    std::vector<std::string> rows;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK);
    while (statement && sqlite3_step(statement) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(statement, 0);
      rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
  }

  fs::path dir_;
  fs::path path_;
};

Account make_account(std::string extension, std::vector<std::string> groups = {}) {
  Account account;
  account.extension = std::move(extension);
  account.name = "Name of " + account.extension;
  account.groups = std::move(groups);
  account.ha1_md5 = std::string(32, 'a');
  account.ha1_sha256 = std::string(64, 'b');
  account.created_at = 1'700'000'000;
  return account;
}

Binding make_binding(std::string aor, std::string contact, int64_t expires_at) {
  Binding binding;
  binding.aor = std::move(aor);
  binding.contact = std::move(contact);
  binding.call_id = "call-" + binding.contact;
  binding.cseq = 4'000'000'000U;  // above INT32_MAX: the column must keep all 32 bits
  binding.expires_at = expires_at;
  binding.registered_at = expires_at - 3600;
  binding.source = "udp:192.0.2.1:5060";
  binding.q = 500;
  binding.instance = "<urn:uuid:00000000-0000-1000-8000-000000000001>";
  return binding;
}

mode_t file_mode(const fs::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return 0777777;
  return status.st_mode & 07777;
}

TEST_F(SqliteStoreTest, CreatesTheSchemaInWalMode) {
  auto store = create();
  ASSERT_TRUE(store);
  EXPECT_EQ(raw_query("SELECT max(version) FROM schema_version"),
            std::vector<std::string>{std::to_string(kSqliteSchemaVersion)});
  EXPECT_EQ(raw_query("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(raw_query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
            (std::vector<std::string>{"account_groups", "accounts", "admissions", "bans",
                                      "bindings", "schema_version"}));
  auto count = store->count_accounts();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0U);
}

TEST_F(SqliteStoreTest, DeletedRowsAreNotLeftReadableInTheFileOrTheWal) {
  // Issue 13: a removed account's name and hashes, or a lifted ban, stayed readable in the file
  // and the WAL.
  auto store = create();
  ASSERT_TRUE(store);
  Account account = make_account("150");
  account.name = "Quentin Zebulon-Marchetti";
  account.ha1_sha256 = std::string(64, 'e');
  ASSERT_TRUE(store->add_account(account));
  Ban ban;
  ban.network = "203.0.113.77/32";
  ban.created_at = 1'700'000'000;
  ban.until = 1'800'000'000;
  ban.reason = "Reason-Xylophone-Quokka";
  ASSERT_TRUE(store->put_ban(ban));
  auto bytes = [this] {
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(path_.string() + suffix, std::ios::binary);
      all += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  };
  ASSERT_NE(bytes().find("Zebulon-Marchetti"), std::string::npos);  // the check can see it
  ASSERT_NE(bytes().find("Xylophone-Quokka"), std::string::npos);
  ASSERT_TRUE(*store->remove_account("150"));
  ASSERT_TRUE(*store->remove_ban("203.0.113.77/32"));
  const std::string after = bytes();
  EXPECT_EQ(after.find("Zebulon-Marchetti"), std::string::npos);
  EXPECT_EQ(after.find(std::string(64, 'e')), std::string::npos);
  EXPECT_EQ(after.find("Xylophone-Quokka"), std::string::npos);
}

TEST_F(SqliteStoreTest, CreateRefusesAnExistingFileAndLeavesIt) {
  { std::ofstream(path_) << "not mine"; }
  auto store = open_sqlite(path_, OpenMode::kCreate);
  ASSERT_FALSE(store);
  EXPECT_NE(std::string(store.error().what).find("already exists"), std::string::npos);
  std::ifstream in(path_);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "not mine");
}

TEST_F(SqliteStoreTest, CreateRefusesASymbolicLink) {
  fs::create_symlink(dir_ / "elsewhere.db", path_);
  EXPECT_FALSE(open_sqlite(path_, OpenMode::kCreate));
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere.db"));
  EXPECT_FALSE(open_sqlite(path_, OpenMode::kExisting));
}

TEST_F(SqliteStoreTest, ExistingRefusesAMissingFile) {
  auto store = open_sqlite(path_, OpenMode::kExisting);
  ASSERT_FALSE(store);
  EXPECT_NE(std::string(store.error().what).find("does not exist"), std::string::npos);
  // Not "run `hardline init`", which refuses a directory holding a deployment (issue 13, 12).
  EXPECT_NE(std::string(store.error().what).find("restore it from a backup"), std::string::npos);
  EXPECT_NE(std::string(store.error().what).find("hardline init --dir NEW_DIR"), std::string::npos);
  EXPECT_FALSE(fs::exists(path_));
}

// SQLite goes on writing into a deleted file; only the store can tell that the path no longer
// names the file it opened (issue 13, item 12).
TEST_F(SqliteStoreTest, SaysWhenItsFileIsGoneOrReplaced) {
  auto store = create();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->file_problem(path_), std::nullopt);
  const fs::path aside = dir_ / "moved.db";
  fs::rename(path_, aside);
  EXPECT_EQ(store->file_problem(path_), "is gone (deleted or moved away)");
  // Moved back: the same file again.
  fs::rename(aside, path_);
  EXPECT_EQ(store->file_problem(path_), std::nullopt);
  // Another file at the path (a restored copy, say): not the one being written.
  fs::copy_file(path_, aside);
  fs::remove(path_);
  fs::rename(aside, path_);
  EXPECT_EQ(store->file_problem(path_),
            "was replaced by another file (not the one opened at start-up)");
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotAHardlineDatabase) {
  raw_sql("CREATE TABLE something_else (x INTEGER);");
  auto store = open_sqlite(path_, OpenMode::kExisting);
  ASSERT_FALSE(store);
  EXPECT_NE(std::string(store.error().what).find("not a Hardline database"), std::string::npos);

  { std::ofstream(dir_ / "text.db") << std::string(4096, 'x'); }
  EXPECT_FALSE(open_sqlite(dir_ / "text.db", OpenMode::kExisting));
}

TEST_F(SqliteStoreTest, FilesAreMode0600WhateverTheUmask) {
  const mode_t old_umask = ::umask(0);
  auto store = create();
  ::umask(old_umask);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("100")));
  ASSERT_TRUE(store->replace_bindings("100", {make_binding("100", "sip:100@192.0.2.1", 10)}));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path file = path_.native() + suffix;
    ASSERT_TRUE(fs::exists(file)) << file;
    EXPECT_EQ(file_mode(file), 0600U) << file;
  }
}

TEST_F(SqliteStoreTest, MigratesAVersion1Database) {
  // The schema as version 1 shipped it: no groups, no instance column.
  raw_sql(R"sql(
    CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL);
    INSERT INTO schema_version (version) VALUES (1);
    CREATE TABLE accounts (extension TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
      ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE bindings (id INTEGER PRIMARY KEY,
      aor TEXT NOT NULL REFERENCES accounts(extension) ON DELETE CASCADE,
      contact TEXT NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, registered_at INTEGER NOT NULL, source TEXT NOT NULL,
      q INTEGER NOT NULL);
    CREATE INDEX bindings_by_aor ON bindings(aor);
    INSERT INTO accounts VALUES ('200', 'Old', 'md5', 'sha', 42);
    INSERT INTO bindings (aor, contact, call_id, cseq, expires_at, registered_at, source, q)
      VALUES ('200', 'sip:200@192.0.2.9', 'c1', 7, 5000, 4000, 'tcp:192.0.2.9:5060', 1000);
  )sql");
  auto store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(raw_query("SELECT version FROM schema_version ORDER BY version"),
            (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));

  auto account = store->find_account("200");
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->name, "Old");
  EXPECT_EQ((*account)->ha1_md5, "md5");
  EXPECT_EQ((*account)->created_at, 42);
  EXPECT_TRUE((*account)->groups.empty());
  EXPECT_EQ((*account)->digest, "any");  // version 6: what every account could do before

  auto bindings = store->load_bindings();
  ASSERT_TRUE(bindings);
  ASSERT_EQ(bindings->size(), 1U);
  EXPECT_EQ((*bindings)[0].contact, "sip:200@192.0.2.9");
  EXPECT_EQ((*bindings)[0].cseq, 7U);
  EXPECT_EQ((*bindings)[0].instance, "");

  // What version 2 added works on the migrated file.
  ASSERT_TRUE(store->add_account(make_account("201", {"sales"})));
  auto added = store->find_account("201");
  ASSERT_TRUE(added && *added);
  EXPECT_EQ((*added)->groups, std::vector<std::string>{"sales"});
  store.reset();

  // A second open finds nothing to do.
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(raw_query("SELECT count(*) FROM schema_version"), std::vector<std::string>{"6"});
}

TEST_F(SqliteStoreTest, MigratesAVersion2Database) {
  // The schema as version 2 shipped it: accounts with groups and bindings, no bans.
  raw_sql(R"sql(
    CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL);
    INSERT INTO schema_version (version) VALUES (1);
    INSERT INTO schema_version (version) VALUES (2);
    CREATE TABLE accounts (extension TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
      ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE bindings (id INTEGER PRIMARY KEY,
      aor TEXT NOT NULL REFERENCES accounts(extension) ON DELETE CASCADE,
      contact TEXT NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, registered_at INTEGER NOT NULL, source TEXT NOT NULL,
      q INTEGER NOT NULL);
    CREATE INDEX bindings_by_aor ON bindings(aor);
    CREATE TABLE account_groups (
      extension TEXT NOT NULL REFERENCES accounts(extension) ON DELETE CASCADE,
      position INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (extension, position));
    ALTER TABLE bindings ADD COLUMN instance TEXT NOT NULL DEFAULT '';
    CREATE INDEX bindings_by_expiry ON bindings(expires_at);
    INSERT INTO accounts VALUES ('300', 'Two', 'md5', 'sha', 43);
    INSERT INTO account_groups VALUES ('300', 0, 'sales');
    INSERT INTO account_groups VALUES ('300', 1, 'dialout');
    INSERT INTO bindings (aor, contact, call_id, cseq, expires_at, registered_at, source, q,
      instance) VALUES ('300', 'sip:300@192.0.2.8', 'c2', 9, 6000, 5000, 'udp:192.0.2.8:5060',
      500, '<urn:uuid:1>');
  )sql");
  auto store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(raw_query("SELECT version FROM schema_version ORDER BY version"),
            (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));

  auto account = store->find_account("300");
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->name, "Two");
  EXPECT_EQ((*account)->ha1_sha256, "sha");
  EXPECT_EQ((*account)->created_at, 43);
  EXPECT_EQ((*account)->groups, (std::vector<std::string>{"sales", "dialout"}));

  auto bindings = store->load_bindings();
  ASSERT_TRUE(bindings);
  ASSERT_EQ(bindings->size(), 1U);
  EXPECT_EQ((*bindings)[0].contact, "sip:300@192.0.2.8");
  EXPECT_EQ((*bindings)[0].q, 500U);
  EXPECT_EQ((*bindings)[0].instance, "<urn:uuid:1>");

  // The new table starts empty and works.
  auto bans = store->list_bans();
  ASSERT_TRUE(bans);
  EXPECT_TRUE(bans->empty());
  ASSERT_TRUE(store->put_ban(Ban{"192.0.2.7/32", 100, 200, "test", false, 0}));
  store.reset();
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(raw_query("SELECT count(*) FROM schema_version"), std::vector<std::string>{"6"});
  EXPECT_EQ(*store->list_bans(), (std::vector<Ban>{{"192.0.2.7/32", 100, 200, "test", false, 0}}));
}

TEST_F(SqliteStoreTest, RefusesANewerSchemaAndLeavesTheFileAlone) {
  ASSERT_TRUE(create());
  raw_sql("INSERT INTO schema_version (version) VALUES (99);");
  auto store = open_sqlite(path_, OpenMode::kExisting);
  ASSERT_FALSE(store);
  EXPECT_NE(std::string(store.error().what).find("newer than this version"), std::string::npos);
  EXPECT_EQ(raw_query("SELECT max(version) FROM schema_version"), std::vector<std::string>{"99"});
}

TEST_F(SqliteStoreTest, SetGroupsReplacesThemInOrder) {
  auto store = create();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("300", {"b", "a"})));
  ASSERT_TRUE(store->add_account(make_account("301", {"a"})));
  auto set = store->set_groups("300", {"dialout", "sales", "a"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(*set);
  EXPECT_EQ((*store->find_account("300"))->groups,
            (std::vector<std::string>{"dialout", "sales", "a"}));
  EXPECT_EQ((*store->find_account("301"))->groups, std::vector<std::string>{"a"});  // untouched
  ASSERT_TRUE(store->set_groups("300", {}));
  EXPECT_TRUE((*store->find_account("300"))->groups.empty());
  // No such account: false, and nothing is stored for it.
  auto missing = store->set_groups("999", {"dialout"});
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  EXPECT_EQ(*store->count_accounts(), 2U);
  // A name that could be SQL is only ever a bound value.
  ASSERT_TRUE(store->set_groups("301", {"x'); DROP TABLE accounts; --"}));
  EXPECT_EQ((*store->find_account("301"))->groups,
            std::vector<std::string>{"x'); DROP TABLE accounts; --"});
}

TEST_F(SqliteStoreTest, AccountLifecycle) {
  auto store = create();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("300", {"b", "a", "c"})));
  ASSERT_TRUE(store->add_account(make_account("1000")));
  ASSERT_TRUE(store->add_account(make_account("200")));

  auto found = store->find_account("300");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, make_account("300", {"b", "a", "c"}));  // groups keep their order
  auto missing = store->find_account("301");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  auto list = store->list_accounts();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ((*list)[0].extension, "1000");  // byte order
  EXPECT_EQ((*list)[1].extension, "200");
  EXPECT_EQ((*list)[2], make_account("300", {"b", "a", "c"}));
  EXPECT_EQ(*store->count_accounts(), 3U);

  auto changed = store->set_credentials("200", "new-md5", "new-sha");
  ASSERT_TRUE(changed);
  EXPECT_TRUE(*changed);
  EXPECT_EQ((*store->find_account("200"))->ha1_md5, "new-md5");
  EXPECT_EQ((*store->find_account("200"))->ha1_sha256, "new-sha");
  EXPECT_EQ((*store->find_account("1000"))->ha1_md5, std::string(32, 'a'));
  EXPECT_FALSE(*store->set_credentials("999", "x", "y"));

  auto removed = store->remove_account("300");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*store->remove_account("300"));
  EXPECT_FALSE(*store->find_account("300"));
  EXPECT_EQ(*store->count_accounts(), 2U);
  // Its groups went with it: adding it again starts with none.
  ASSERT_TRUE(store->add_account(make_account("300")));
  EXPECT_TRUE((*store->find_account("300"))->groups.empty());
}

TEST_F(SqliteStoreTest, DigestPolicyIsStoredSetAndPinnedOnlyFromWhereItWas) {
  auto store = create();
  ASSERT_TRUE(store);
  Account account = make_account("200");
  account.digest = "md5";
  ASSERT_TRUE(store->add_account(account));
  ASSERT_TRUE(store->add_account(make_account("201")));
  EXPECT_EQ((*store->find_account("200"))->digest, "md5");
  EXPECT_EQ((*store->find_account("201"))->digest, "any");

  // A pin applies only while the account is still "any".
  auto pinned = store->set_digest("200", "sha-256", true, "any");
  ASSERT_TRUE(pinned);
  EXPECT_FALSE(*pinned);
  EXPECT_EQ((*store->find_account("200"))->digest, "md5");
  EXPECT_EQ((*store->find_account("200"))->ha1_md5, std::string(32, 'a'));
  pinned = store->set_digest("201", "sha-256", true, "any");
  ASSERT_TRUE(pinned);
  EXPECT_TRUE(*pinned);
  EXPECT_EQ((*store->find_account("201"))->digest, "sha-256");
  EXPECT_EQ((*store->find_account("201"))->ha1_md5, "");  // dropped
  EXPECT_EQ((*store->find_account("201"))->ha1_sha256, std::string(64, 'b'));
  // Without only_if it always applies; without drop_md5 the MD5 HA1 stays.
  ASSERT_TRUE(*store->set_digest("200", "any", false));
  EXPECT_EQ((*store->find_account("200"))->digest, "any");
  EXPECT_EQ((*store->find_account("200"))->ha1_md5, std::string(32, 'a'));
  EXPECT_FALSE(*store->set_digest("999", "any", false));
  // The dropped hash is gone from the file too (secure_delete, WAL scrubbed).
  store.reset();
  EXPECT_EQ(raw_query("SELECT ha1_md5 FROM accounts WHERE extension = '201'"),
            std::vector<std::string>{""});
}

TEST_F(SqliteStoreTest, DuplicateAddIsRefusedWithoutNamingTheAccount) {
  auto store = create();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("secret-ext", {"g"})));
  Account other = make_account("secret-ext", {"h"});
  other.name = "Someone else";
  auto added = store->add_account(other);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().what, "account exists");
  EXPECT_EQ(**store->find_account("secret-ext"), make_account("secret-ext", {"g"}));
  EXPECT_FALSE(store->add_account(make_account("")));
}

TEST_F(SqliteStoreTest, BindingsReplaceLoadAndPurge) {
  auto store = create();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("100")));
  ASSERT_TRUE(store->add_account(make_account("101")));

  const Binding a = make_binding("100", "sip:100@192.0.2.1:5060", 1000);
  const Binding b = make_binding("100", "sip:100@192.0.2.2:5060", 2000);
  Binding c = make_binding("", "sip:101@[2001:db8::1]", 3000);  // aor filled in by the store
  ASSERT_TRUE(store->replace_bindings("100", {b, a}));
  ASSERT_TRUE(store->replace_bindings("101", {c}));
  c.aor = "101";

  auto loaded = store->load_bindings();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, (std::vector<Binding>{b, a, c}));  // by AOR, then in the order given

  // Replacing is the whole set, not a merge.
  ASSERT_TRUE(store->replace_bindings("100", {a}));
  EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{a, c}));
  ASSERT_TRUE(store->replace_bindings("100", {}));
  EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{c}));

  ASSERT_TRUE(store->replace_bindings("100", {a, b}));
  auto purged = store->purge_expired_bindings(999);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 0U);
  purged = store->purge_expired_bindings(2000);  // expires_at == now is expired
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 2U);
  EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{c}));
}

// A refresh updates the row where it is (same id, so the same place in the order); a binding
// left out of the set goes; the same contact with another instance is another binding. After
// a reopen, the next set's stamp must still differ from every stored one.
TEST_F(SqliteStoreTest, RefreshUpdatesInPlaceAndDropsWhatTheSetLeavesOut) {
  {
    auto store = create();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add_account(make_account("100")));
    ASSERT_TRUE(store->add_account(make_account("101")));
    const Binding a = make_binding("100", "sip:100@192.0.2.1:5060", 1000);
    const Binding b = make_binding("100", "sip:100@192.0.2.2:5060", 2000);
    Binding b_other_instance = b;
    b_other_instance.instance = "<urn:uuid:00000000-0000-1000-8000-000000000002>";
    const Binding c = make_binding("101", "sip:101@192.0.2.9", 3000);
    ASSERT_TRUE(store->replace_bindings("100", {a, b, b_other_instance}));
    ASSERT_TRUE(store->replace_bindings("101", {c}));
    const auto ids = raw_query("SELECT id FROM bindings WHERE aor = '100' ORDER BY id");
    ASSERT_EQ(ids.size(), 3U);

    Binding refreshed = a;
    refreshed.cseq = 7;
    refreshed.call_id = "new-call";
    refreshed.expires_at = 5000;
    refreshed.source = "tcp:[2001:db8::5]:5061";
    refreshed.q = 1000;
    ASSERT_TRUE(store->replace_bindings("100", {refreshed, b}));
    EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{refreshed, b, c}));
    EXPECT_EQ(raw_query("SELECT id FROM bindings WHERE aor = '100' ORDER BY id"),
              (std::vector<std::string>{ids[0], ids[1]}));
  }
  auto store = reopen();
  ASSERT_TRUE(store);
  // Stamps 1 and 2 were the first writes of "100" and "101"; c still carries stamp 2.
  const Binding d = make_binding("100", "sip:100@192.0.2.4:5060", 4000);
  const Binding e = make_binding("101", "sip:101@192.0.2.10", 6000);
  ASSERT_TRUE(store->replace_bindings("100", {d}));
  ASSERT_TRUE(store->replace_bindings("101", {e}));
  EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{d, e}));
}

TEST_F(SqliteStoreTest, ReplaceRefusesUnknownAccountsAndForeignBindings) {
  auto store = create();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("100")));
  const Binding a = make_binding("100", "sip:100@192.0.2.1", 1000);
  ASSERT_TRUE(store->replace_bindings("100", {a}));

  auto unknown = store->replace_bindings("404", {make_binding("404", "sip:x@192.0.2.3", 1)});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().what, "no such account");

  auto foreign = store->replace_bindings("100", {make_binding("101", "sip:x@192.0.2.3", 1)});
  ASSERT_FALSE(foreign);
  EXPECT_EQ(*store->load_bindings(), std::vector<Binding>{a});  // unchanged
  EXPECT_FALSE(store->replace_bindings("", {}));
}

TEST_F(SqliteStoreTest, RemovingAnAccountRemovesItsBindings) {
  auto store = create();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("100")));
  ASSERT_TRUE(store->add_account(make_account("101")));
  const Binding kept = make_binding("101", "sip:101@192.0.2.1", 1000);
  ASSERT_TRUE(store->replace_bindings("100", {make_binding("100", "sip:100@192.0.2.1", 1000),
                                              make_binding("100", "sip:100@192.0.2.2", 1000)}));
  ASSERT_TRUE(store->replace_bindings("101", {kept}));
  ASSERT_TRUE(*store->remove_account("100"));
  EXPECT_EQ(*store->load_bindings(), std::vector<Binding>{kept});
  EXPECT_EQ(raw_query("SELECT count(*) FROM bindings"), std::vector<std::string>{"1"});
}

TEST_F(SqliteStoreTest, BatchIsAllOrNothingButSkipsRemovedAccounts) {
  auto store = create();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(make_account("100")));
  ASSERT_TRUE(store->add_account(make_account("101")));
  const Binding a = make_binding("100", "sip:100@192.0.2.1", 1000);
  const Binding b = make_binding("101", "sip:101@192.0.2.1", 1000);
  const Binding b2 = make_binding("101", "sip:101@192.0.2.2", 1000);

  ASSERT_TRUE(store->replace_bindings_batch({{"100", {a}}, {"101", {b, b2}}}));
  EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{a, b, b2}));

  // The last set is refused: the earlier sets' changes are rolled back too.
  auto failed = store->replace_bindings_batch(
      {{"100", {}}, {"101", {b}}, {"101", {make_binding("100", "sip:x@192.0.2.3", 1)}}});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().what, "binding belongs to another AOR");
  EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{a, b, b2}));
  EXPECT_FALSE(store->replace_bindings_batch({{"100", {}}, {"", {}}}));
  EXPECT_EQ(*store->load_bindings(), (std::vector<Binding>{a, b, b2}));

  // An account removed since the REGISTER does not block the others: its set is skipped and
  // nothing is stored for it.
  const Binding gone = make_binding("404", "sip:404@192.0.2.3", 1);
  ASSERT_TRUE(store->replace_bindings_batch({{"404", {gone, gone}}, {"100", {}}, {"101", {b}}}));
  EXPECT_EQ(*store->load_bindings(), std::vector<Binding>{b});
  EXPECT_EQ(raw_query("SELECT count(*) FROM bindings WHERE aor = '404'"),
            std::vector<std::string>{"0"});

  ASSERT_TRUE(store->replace_bindings_batch({}));
  ASSERT_TRUE(store->replace_bindings_batch({{"100", {}}, {"101", {b2}}}));
  EXPECT_EQ(*store->load_bindings(), std::vector<Binding>{b2});
}

TEST_F(SqliteStoreTest, ReopeningKeepsEverything) {
  const Account account = make_account("100", {"support", "night"});
  const Binding binding = make_binding("100", "sip:100@192.0.2.1;transport=tcp", 1000);
  {
    auto store = create();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add_account(account));
    ASSERT_TRUE(store->replace_bindings("100", {binding}));
  }
  auto store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->list_accounts(), std::vector<Account>{account});
  EXPECT_EQ(*store->load_bindings(), std::vector<Binding>{binding});
  // Two handles on one file (the server and `hardline user`) both work.
  auto second = reopen();
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->add_account(make_account("101")));
  EXPECT_EQ(*store->count_accounts(), 2U);
}

TEST_F(SqliteStoreTest, HostileValuesAreStoredVerbatim) {
  auto store = create();
  ASSERT_TRUE(store);
  const std::vector<std::string> hostile = {
      "x'); DROP TABLE accounts; --",
      "\"; DELETE FROM bindings; \"",
      "a' OR '1'='1",
      std::string("nul\0byte", 8),
      "semi;colon;",
      "ünïcødé ☎",
  };
  for (const std::string& text : hostile) {
    Account account = make_account(text, {text, "'"});
    account.name = text;
    account.ha1_md5 = text;
    ASSERT_TRUE(store->add_account(account));
    Binding binding = make_binding(text, text, 1000);
    binding.call_id = text;
    binding.source = text;
    binding.instance = text;
    ASSERT_TRUE(store->replace_bindings(text, {binding}));

    auto found = store->find_account(text);
    ASSERT_TRUE(found && *found);
    EXPECT_EQ(**found, account);
  }
  EXPECT_EQ(*store->count_accounts(), hostile.size());
  EXPECT_EQ(store->load_bindings()->size(), hostile.size());
  EXPECT_FALSE(*store->find_account("a"));  // "a' OR '1'='1" matched nothing else
  EXPECT_EQ(raw_query("SELECT count(*) FROM sqlite_master WHERE name = 'accounts'"),
            std::vector<std::string>{"1"});
  ASSERT_TRUE(*store->remove_account("x'); DROP TABLE accounts; --"));
  EXPECT_EQ(*store->count_accounts(), hostile.size() - 1);
}

Ban make_ban(std::string network, int64_t until, bool automatic = false, uint32_t repeats = 0) {
  Ban ban;
  ban.network = std::move(network);
  ban.created_at = until - 3600;
  ban.until = until;
  ban.reason = "reason for " + ban.network;
  ban.automatic = automatic;
  ban.repeats = repeats;
  return ban;
}

TEST_F(SqliteStoreTest, BansPutReplaceRemoveListAndPurge) {
  auto store = create();
  ASSERT_TRUE(store);
  const Ban v4 = make_ban("192.0.2.7/32", 2000);
  const Ban v6 = make_ban("2001:db8:1:2::/64", 3000, true, 4'000'000'000U);
  const Ban net = make_ban("10.0.0.0/8", 1000, true, 1);
  ASSERT_TRUE(store->put_ban(v4));
  ASSERT_TRUE(store->put_ban(v6));
  ASSERT_TRUE(store->put_ban(net));
  auto bans = store->list_bans();
  ASSERT_TRUE(bans);
  EXPECT_EQ(*bans, (std::vector<Ban>{net, v4, v6}));  // by network, byte order

  // Putting the same network again replaces the whole row.
  Ban longer = make_ban("192.0.2.7/32", 9000, true, 3);
  longer.reason = "again";
  ASSERT_TRUE(store->put_ban(longer));
  EXPECT_EQ(*store->list_bans(), (std::vector<Ban>{net, longer, v6}));
  EXPECT_EQ(raw_query("SELECT count(*) FROM bans"), std::vector<std::string>{"3"});

  // Removal is by exact network, never by containment.
  auto removed = store->remove_ban("10.0.0.0/16");
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
  removed = store->remove_ban("192.0.2.7/32");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*store->remove_ban("192.0.2.7/32"));
  EXPECT_EQ(*store->list_bans(), (std::vector<Ban>{net, v6}));

  auto purged = store->purge_expired_bans(999);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 0U);
  purged = store->purge_expired_bans(1000);  // until == now is over
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1U);
  EXPECT_EQ(*store->list_bans(), std::vector<Ban>{v6});
  EXPECT_EQ(*store->purge_expired_bans(5000), 1U);
  EXPECT_TRUE(store->list_bans()->empty());

  auto empty = store->put_ban(make_ban("", 1));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().what, "empty network");
}

TEST_F(SqliteStoreTest, BanBatchIsAllOrNothing) {
  auto store = create();
  ASSERT_TRUE(store);
  const Ban kept = make_ban("198.51.100.0/24", 5000);
  ASSERT_TRUE(store->put_ban(kept));

  const Ban a = make_ban("203.0.113.1/32", 1000, true, 1);
  const Ban b = make_ban("203.0.113.2/32", 1000, true, 2);
  Ban a_again = a;
  a_again.until = 4000;
  a_again.repeats = 2;
  ASSERT_TRUE(store->put_bans_batch({a, b, a_again}));  // the later one of a network wins
  EXPECT_EQ(*store->list_bans(), (std::vector<Ban>{kept, a_again, b}));

  // The last ban is refused: the earlier ones of the batch are rolled back with it.
  const Ban c = make_ban("203.0.113.3/32", 1000, true);
  Ban replacing_kept = kept;
  replacing_kept.until = 1;
  auto failed = store->put_bans_batch({c, replacing_kept, make_ban("", 1)});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().what, "empty network");
  EXPECT_EQ(*store->list_bans(), (std::vector<Ban>{kept, a_again, b}));

  ASSERT_TRUE(store->put_bans_batch({}));
  // The store is usable after the rolled-back batch.
  ASSERT_TRUE(store->put_bans_batch({c}));
  EXPECT_EQ(store->list_bans()->size(), 4U);
}

TEST_F(SqliteStoreTest, BansSurviveReopeningAndAreSeenByAnotherHandle) {
  const Ban ban = make_ban("2001:db8::/32", 7000, true, 5);
  {
    auto store = create();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put_ban(ban));
  }
  auto store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->list_bans(), std::vector<Ban>{ban});
  auto second = reopen();
  ASSERT_TRUE(second);
  const uint64_t version = *store->data_version();
  ASSERT_TRUE(*second->remove_ban("2001:db8::/32"));
  EXPECT_NE(*store->data_version(), version);  // how the server learns of a CLI ban
  EXPECT_TRUE(store->list_bans()->empty());
}

TEST_F(SqliteStoreTest, HostileBanValuesAreStoredVerbatim) {
  auto store = create();
  ASSERT_TRUE(store);
  const std::vector<std::string> hostile = {
      "x'); DROP TABLE bans; --",
      "a' OR '1'='1",
      std::string("nul\0byte", 8),
      "line\nbreak",
  };
  std::vector<Ban> expected;
  for (const std::string& text : hostile) {
    Ban ban = make_ban(text, 1000);
    ban.reason = text;
    ASSERT_TRUE(store->put_ban(ban));
    expected.push_back(ban);
  }
  std::sort(expected.begin(), expected.end(),
            [](const Ban& x, const Ban& y) { return x.network < y.network; });
  EXPECT_EQ(*store->list_bans(), expected);
  EXPECT_FALSE(*store->remove_ban("a"));
  ASSERT_TRUE(*store->remove_ban("x'); DROP TABLE bans; --"));
  EXPECT_EQ(store->list_bans()->size(), hostile.size() - 1);
}

TEST_F(SqliteStoreTest, ABanRowOutOfRangeIsRefusedWithoutItsValues) {
  auto store = create();
  ASSERT_TRUE(store);
  raw_sql("INSERT INTO bans VALUES ('192.0.2.99/32', 1, 2, 'secret-reason', 1, -1);");
  auto bans = store->list_bans();
  ASSERT_FALSE(bans);
  const std::string what(bans.error().what);
  EXPECT_EQ(what.find("192.0.2.99"), std::string::npos);
  EXPECT_EQ(what.find("secret-reason"), std::string::npos);
  raw_sql("UPDATE bans SET repeats = 0, automatic = 7;");
  EXPECT_FALSE(store->list_bans());
  raw_sql("UPDATE bans SET automatic = 1;");
  ASSERT_TRUE(store->list_bans());
  EXPECT_EQ(store->list_bans()->size(), 1U);
}

TEST(SqliteError, IsSqlitesStaticDescription) {
  EXPECT_EQ(sqlite_error(SQLITE_BUSY).what, "database is locked");
  EXPECT_EQ(sqlite_error(SQLITE_CONSTRAINT_PRIMARYKEY).what, "constraint failed");
}

TEST_F(SqliteStoreTest, AdmissionsAreListedWhileInForceAndRenewedInPlace) {
  auto store = open_sqlite(path_, OpenMode::kCreate);
  ASSERT_TRUE(store);
  Store& s = **store;
  ASSERT_TRUE(s.put_admission({"201", "192.0.2.0/24", 1000, 2000}));
  ASSERT_TRUE(s.put_admission({"201", "", 1000, 1060}));
  auto listed = s.list_admissions(1500);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].network, "192.0.2.0/24");
  ASSERT_TRUE(s.put_admission({"201", "192.0.2.0/24", 1900, 5000}));  // renewed: one row
  listed = s.list_admissions(1950);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].until, 5000);
  listed = s.list_admissions(5000);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace hardline::store
