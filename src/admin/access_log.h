#pragma once
// The admin access log (checklist OS-8): one line per admin request, accepted or refused, with
// time, source address, method, endpoint, status and result. Never the token, a password, a
// query string or a body; what the endpoint shows of an extension or an address in its path
// follows privacy.mode (see Api). The file is opened once at start-up, append-only, mode 0600.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/endpoint.h"
#include "common/result.h"

namespace hardline::admin {

struct AccessEntry {
  int64_t unix_seconds = 0;
  IpAddress source{};
  std::string_view method;  // as received; anything but 1..16 upper-case letters shows as "?"
  std::string_view path;    // as the Api chose to log it
  unsigned status = 0;      // 0: no response (a banned source's connection closed unread)
  std::string_view result;  // one word: ok, created, wrong-token, banned, ...
};

// "2026-11-25T12:00:00Z source=127.0.0.1 method=GET path=/api/bans status=200 result=ok\n".
// Every field is printable ASCII without spaces (anything else becomes '?'), so a line cannot be
// split or forged by what a client sends.
std::string format_access_line(const AccessEntry& entry);

class AccessLog {
 public:
  // The service account a root-started server will run as: the file is made its own.
  struct Owner {
    uid_t uid = 0;
    gid_t gid = 0;
  };
  // Opens (creating it 0600 if needed) `path` for appending; refuses a symbolic link. With
  // `owner`, a file owned by anyone else is given to it (a root-started serve creates the log
  // before it switches user; a later serve started as that user must still open it).
  static Result<AccessLog, std::string> open(const std::filesystem::path& path,
                                             std::optional<Owner> owner = std::nullopt);
  AccessLog() = default;
  AccessLog(AccessLog&& other) noexcept;
  AccessLog& operator=(AccessLog&& other) noexcept;
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;
  ~AccessLog();

  // One write(2) per line, so lines from one writer never interleave. False when the write
  // failed (the caller counts it; a full disk must not stop the API).
  bool write(const AccessEntry& entry);

  // privacy.retention_days (LOG-3): removes the lines older than `cutoff_unix` from the start of
  // the file (lines are in time order) and returns how many went. Works on descriptors opened
  // by open(), so it also works after the process is confined; call it from the writing thread.
  Result<size_t, std::string> purge_before(int64_t cutoff_unix);

 private:
  AccessLog(int fd, int rw_fd) : fd_(fd), rw_fd_(rw_fd) {}
  int fd_ = -1;
  int rw_fd_ = -1;  // the same file without O_APPEND (pwrite ignores offsets under O_APPEND)
};

}  // namespace hardline::admin
