#pragma once
// The storage interface: accounts (extension, name, groups, digest HA1 values), the
// registrar's bindings and the guard's bans. Callers see only this file; each backend
// (sqlite_store.h today, PostgreSQL later) implements Store behind it.
//
// Errors: every call returns Result<T> and never throws. An Error's text is a static string that
// names the kind of failure only ("account exists", "database is locked"); it never carries an
// extension, a contact, an HA1 or any other stored value, so it is safe to log.
//
// Threads: a Store is used by one thread at a time (each thread or process opens its own).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace hardline::store {

// The longest extension an account may have (`hardline user add` refuses longer ones), so that
// anything longer can be known not to exist without asking the database.
inline constexpr size_t kMaxExtensionLength = 32;

struct Account {
  std::string extension;            // the user part of the AOR; unique
  std::string name;                 // display name
  std::vector<std::string> groups;  // kept in the order given
  std::string ha1_md5;              // MD5(user:realm:password), hex; never the password itself
  std::string ha1_sha256;           // SHA-256(user:realm:password), hex
  int64_t created_at = 0;           // unix seconds
  // Which digest algorithms the account's devices are offered and may answer with, as
  // src/auth's DigestPolicy names it ("any", "sha-256", "md5"); the store keeps the text and
  // never parses it. Accounts stored before it existed read as "any".
  std::string digest = "any";

  bool operator==(const Account&) const = default;
};

struct Binding {
  std::string aor;      // the extension
  std::string contact;  // the Contact URI as registered
  std::string call_id;
  uint32_t cseq = 0;
  int64_t expires_at = 0;     // unix seconds
  int64_t registered_at = 0;  // unix seconds
  std::string source;         // where it came from: "udp:192.0.2.1:5060"
  uint16_t q = 1000;          // q-value times 1000
  std::string instance;       // +sip.instance, or ""

  bool operator==(const Binding&) const = default;
};

// A banned network: every source inside it is dropped until `until`. The store keeps the network
// as the text it is given and never parses it; callers give the canonical CIDR form that
// common/network.h's to_string() writes, so that one network has one row.
struct Ban {
  std::string network;     // "192.0.2.7/32", "2001:db8:1:2::/64"; unique
  int64_t created_at = 0;  // unix seconds
  int64_t until = 0;       // unix seconds; the ban is over when until <= now
  std::string reason;      // checked by the caller (src/admin) before it gets here
  bool automatic = false;  // false: an operator's (`hardline ban add`); true: the guard's
  uint32_t repeats = 0;    // automatic bans of this network so far: the back-off across restarts

  bool operator==(const Ban&) const = default;
};

// The operator lets devices in `network` authenticate as `extension` while it is locked out,
// until `until` (`hardline user unlock EXT --from NETWORK`).
struct Admission {
  std::string extension;
  std::string network;  // canonical CIDR, as for bans
  int64_t created_at = 0;
  int64_t until = 0;

  bool operator==(const Admission&) const = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // Adds a new account with its groups. Fails with "account exists" if the extension exists,
  // "empty extension" if it is empty.
  virtual Result<void> add_account(const Account& account) = 0;
  // The account, or nullopt when there is none with this extension.
  virtual Result<std::optional<Account>> find_account(std::string_view extension) = 0;
  // Every account, ordered by extension (byte order).
  virtual Result<std::vector<Account>> list_accounts() = 0;
  // Removes the account, its groups and its bindings; false if there was no such account.
  virtual Result<bool> remove_account(std::string_view extension) = 0;
  // Makes `groups` the account's groups, in this order, in one transaction; false if there is
  // no such account (nothing changes then).
  virtual Result<bool> set_groups(std::string_view extension,
                                  const std::vector<std::string>& groups) = 0;
  // Replaces both HA1 values; false if there is no such account.
  virtual Result<bool> set_credentials(std::string_view extension, std::string_view ha1_md5,
                                       std::string_view ha1_sha256) = 0;
  // Sets the account's digest policy; with `drop_md5` also empties its MD5 HA1 (the account can
  // never answer with MD5 again, and a stolen database holds no MD5 hash of its password). With
  // `only_if` the change is made only while the stored policy is that one (an account pinned to
  // SHA-256 by one server process is not set back by another's stale view). False if there is
  // no such account, or its policy was not `only_if`.
  virtual Result<bool> set_digest(std::string_view extension, std::string_view digest,
                                  bool drop_md5,
                                  std::optional<std::string_view> only_if = std::nullopt) = 0;

  // Every binding, expired or not (start-up reloads them and purges), ordered by AOR and then
  // in the order the bindings were first stored (a refreshed binding keeps its place).
  virtual Result<std::vector<Binding>> load_bindings() = 0;
  // Makes `bindings` the AOR's whole set (empty removes them all), in one transaction. Each
  // binding's aor must be empty or equal to `aor`; it is stored as `aor`. Fails with "no such
  // account" when the AOR is not an account's extension; nothing changes on failure.
  virtual Result<void> replace_bindings(std::string_view aor,
                                        const std::vector<Binding>& bindings) = 0;
  // replace_bindings for several AORs in one transaction (the registrar's group commit): all
  // sets are stored, or none. One difference: a set whose AOR is no longer an account (removed
  // since the REGISTER) is skipped, not an error, so that it cannot block the others' commit
  // for ever; no bindings are stored for it, which is the state a removed account must have.
  virtual Result<void> replace_bindings_batch(
      const std::vector<std::pair<std::string, std::vector<Binding>>>& sets) = 0;
  // Removes every binding with expires_at <= now_unix; returns how many.
  virtual Result<size_t> purge_expired_bindings(int64_t now_unix) = 0;

  virtual Result<size_t> count_accounts() = 0;

  // Stores the ban, replacing any ban of the same network whole (its repeats included). Fails
  // with "empty network" if the network is empty.
  virtual Result<void> put_ban(const Ban& ban) = 0;
  // put_ban for several bans in one transaction (the guard's group commit of the automatic bans
  // of a flood): all are stored, or none. A network given twice keeps the last one.
  virtual Result<void> put_bans_batch(const std::vector<Ban>& bans) = 0;
  // Removes the ban of exactly this network (no containment: "10.0.0.0/8" does not remove
  // "10.1.2.3/32"); false if there was none.
  virtual Result<bool> remove_ban(std::string_view network) = 0;
  // Every ban, expired or not (the caller decides what is in force), ordered by network (byte
  // order of the text).
  virtual Result<std::vector<Ban>> list_bans() = 0;
  // Adds or renews an admission (and deletes those ended by its created_at).
  virtual Result<void> put_admission(const Admission& admission) = 0;
  // The admissions still in force at `now_unix`, by extension and network.
  virtual Result<std::vector<Admission>> list_admissions(int64_t now_unix) = 0;
  // Removes every ban with until <= now_unix; returns how many. A caller that wants to remember
  // automatic bans' repeats for a while after they end passes an earlier time.
  virtual Result<size_t> purge_expired_bans(int64_t now_unix) = 0;

  // A number that changes whenever another connection (another process: `hardline user`)
  // has committed a change since the last call, so that a cache of accounts knows when to
  // forget. Changes made through this Store do not move it.
  virtual Result<uint64_t> data_version() = 0;

  // For a backend kept in a file: whether `path` (where that file is reachable now; inside a
  // chroot another path than at open) still names the file this store opened. nullopt when it
  // does, when it cannot tell, or when there is no file; otherwise what happened to it, in
  // words for a log ("is gone (deleted or moved away)"). A deleted SQLite file keeps taking
  // writes into its unlinked inode, lost at the next restart: only this can tell.
  virtual std::optional<std::string> file_problem(const std::filesystem::path& /*path*/) {
    return std::nullopt;
  }
};

}  // namespace hardline::store
