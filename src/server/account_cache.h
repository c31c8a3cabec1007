#pragma once
// The digest credentials of accounts, read from the store once and then answered from memory,
// so that an authenticated REGISTER costs no database read. Accounts change in another process
// (`hardline user add | passwd | remove`), so the cache asks the store at most every
// `recheck` whether anything was committed since, and reads every account again when it was: a
// new password or a removed account takes effect within that time.
//
// While the deployment has at most `max_entries` accounts the cache holds all of them, so an
// existing and a missing name cost the same (one keyed hash-table probe, no database read): the
// answer's timing tells a scanner nothing about which extensions exist. Beyond that it falls
// back to reading names one by one (unknown ones cached too, the whole bounded: past
// `max_entries` it starts again empty) and logs once that timing is no longer uniform.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/digest.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/siphash.h"
#include "store/store.h"

namespace hardline::server {

class AccountCache {
 public:
  struct Settings {
    // How long a lookup may answer without asking the store for changes. The server uses 0:
    // the check (PRAGMA data_version) reads no disk, and a new account works at once.
    Millis recheck{100};
    size_t max_entries = 100'000;
  };

  AccountCache(const Clock& clock, store::Store& store, Settings settings);

  // The credentials of `extension`, or nullopt when there is no such account. An error only
  // when the store cannot be read.
  Result<std::optional<auth::StoredCredentials>> find(std::string_view extension);

  // The digest policy to challenge `extension` with: its own when it is an account held (or
  // read) here, policy_for_unknown() otherwise. Never reads an account from the store (the
  // challenge path serves floods), only whether anything changed. An error only when the store
  // cannot be read.
  Result<auth::DigestPolicy> challenge_policy(std::string_view extension);

  // The display name of an account find() has just answered for, or empty (none, or not
  // cached). Kept apart from the credentials: most accounts have none and then cost nothing.
  std::string_view display_name(std::string_view extension) const;

  // The groups of an account find() has just answered for, or empty (none, or not cached).
  // Kept apart like the display names: most accounts have none.
  const std::vector<std::string>& groups(std::string_view extension) const;

  // The digest policy an unknown extension is challenged with, so that the challenge does not
  // tell a scanner whether an extension exists: chosen by a keyed hash of the name, stable for
  // this process, with the odds of the policies the accounts have (while the cache holds every
  // account; kAny otherwise).
  auth::DigestPolicy policy_for_unknown(std::string_view extension) const;

  // Records that `extension` was pinned to SHA-256 (its MD5 HA1 dropped) by this process, whose
  // own writes do not show in the store's data version.
  void pinned_sha256(std::string_view extension);

  size_t size() const { return entries_.size(); }
  // Database reads of a single account so far (0 while every account is held).
  uint64_t single_reads() const { return single_reads_; }
  // True while the cache holds every account.
  bool complete() const { return complete_; }

 private:
  const Clock& clock_;
  store::Store& store_;
  Settings settings_;
  // Keyed hash: the names come from the network, so they must not be able to pile into a bucket.
  // One entry per extension asked about, in place (no heap blocks for the HA1 texts): a few
  // hundred bytes per registered phone is what the registrar's memory budget can spare.
  struct Entry {
    std::array<char, 32> md5{};
    std::array<char, 64> sha256{};
    uint8_t md5_size = 0;
    uint8_t sha256_size = 0;
    bool exists = false;
    auth::DigestPolicy policy = auth::DigestPolicy::kAny;
  };
  static std::optional<auth::StoredCredentials> credentials_of(const Entry& entry);
  static Entry entry_of(const store::Account& account);
  void clear();
  // Reads every account again when another process committed since the last look.
  Result<void> refresh();
  // Reads every account when they fit; false on a store error.
  Result<void> load_all();

  std::unordered_map<std::string, Entry, KeyedHash, std::equal_to<>> entries_{0,
                                                                              KeyedHash::random()};
  std::unordered_map<std::string, std::string, KeyedHash, std::equal_to<>> names_{
      0, KeyedHash::random()};
  std::unordered_map<std::string, std::vector<std::string>, KeyedHash, std::equal_to<>> groups_{
      0, KeyedHash::random()};
  // How many held accounts have each policy (indexed by its value), for policy_for_unknown().
  std::array<size_t, 3> policies_{};
  KeyedHash camouflage_ = KeyedHash::random();
  std::optional<uint64_t> version_;
  SteadyTime checked_{};
  bool complete_ = false;
  bool warned_incomplete_ = false;
  uint64_t single_reads_ = 0;
};

}  // namespace hardline::server
