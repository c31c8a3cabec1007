#include "admin/access_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "admin/bans.h"

namespace hardline::admin {

namespace {

void field(std::string& out, std::string_view name, std::string_view value, size_t max) {
  out += ' ';
  out += name;
  out += '=';
  if (value.empty()) {
    out += '-';
    return;
  }
  const size_t n = value.size() < max ? value.size() : max;
  for (size_t i = 0; i < n; ++i) {
    const char c = value[i];
    out += (c > ' ' && c < 0x7f) ? c : '?';
  }
  if (value.size() > max) out += "...";
}

bool is_method(std::string_view method) {
  if (method.empty() || method.size() > 16) return false;
  for (char c : method) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace

std::string format_access_line(const AccessEntry& entry) {
  std::string out = format_utc(entry.unix_seconds);
  out.reserve(128);
  field(out, "source", to_string(entry.source), 64);
  field(out, "method",
        entry.method.empty() || is_method(entry.method) ? entry.method : std::string_view("?"), 16);
  field(out, "path", entry.path, 200);
  field(out, "status", entry.status == 0 ? std::string("-") : std::to_string(entry.status), 3);
  field(out, "result", entry.result, 32);
  out += '\n';
  return out;
}

Result<AccessLog, std::string> AccessLog::open(const std::filesystem::path& path,
                                               std::optional<Owner> owner) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return tl::unexpected("admin access log " + path.string() + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (owner && ::fstat(fd, &info) == 0 &&
      (info.st_uid != owner->uid || info.st_gid != owner->gid) &&
      ::fchown(fd, owner->uid, owner->gid) != 0) {
    const int saved = errno;
    ::close(fd);
    return tl::unexpected("admin access log " + path.string() +
                          ": cannot give it to the service "
                          "account: " +
                          std::strerror(saved));
  }
  const int rw_fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (rw_fd < 0) {
    const int saved = errno;
    ::close(fd);
    return tl::unexpected("admin access log " + path.string() + ": " + std::strerror(saved));
  }
  return AccessLog(fd, rw_fd);
}

AccessLog::AccessLog(AccessLog&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), rw_fd_(std::exchange(other.rw_fd_, -1)) {}

AccessLog& AccessLog::operator=(AccessLog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    if (rw_fd_ >= 0) ::close(rw_fd_);
    fd_ = std::exchange(other.fd_, -1);
    rw_fd_ = std::exchange(other.rw_fd_, -1);
  }
  return *this;
}

AccessLog::~AccessLog() {
  if (fd_ >= 0) ::close(fd_);
  if (rw_fd_ >= 0) ::close(rw_fd_);
}

Result<size_t, std::string> AccessLog::purge_before(int64_t cutoff_unix) {
  if (rw_fd_ < 0) return tl::unexpected(std::string("the access log is not open"));
  // Each line starts with its UTC time in a fixed-width form, so text order is time order.
  const std::string cutoff = format_utc(cutoff_unix);
  constexpr size_t kChunk = size_t{64} * 1024;
  std::string chunk(kChunk, '\0');
  off_t cut = 0;  // the start of the first line to keep
  size_t removed = 0;
  bool found = false;
  std::string line_start;  // the beginning of the line being scanned (its time stamp)
  bool at_line_start = true;
  for (off_t offset = 0; !found;) {
    const ssize_t n = ::pread(rw_fd_, chunk.data(), chunk.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(std::string("reading the access log: ") + std::strerror(errno));
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n && !found; ++i) {
      const char c = chunk[static_cast<size_t>(i)];
      if (at_line_start) {
        line_start.clear();
        at_line_start = false;
      }
      if (line_start.size() < cutoff.size() && c != '\n') line_start += c;
      if (line_start.size() == cutoff.size() && line_start >= cutoff) {
        found = true;  // this line (and every later one) stays
        break;
      }
      if (c == '\n') {
        ++removed;
        cut = offset + i + 1;
        at_line_start = true;
      }
    }
    offset += n;
  }
  if (cut == 0) return size_t{0};
  // Move what stays to the start of the file, then cut the end off.
  off_t from = cut;
  off_t to = 0;
  for (;;) {
    const ssize_t n = ::pread(rw_fd_, chunk.data(), chunk.size(), from);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return tl::unexpected(std::string("reading the access log: ") + std::strerror(errno));
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w =
          ::pwrite(rw_fd_, chunk.data() + done, static_cast<size_t>(n - done), to + done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        return tl::unexpected(std::string("writing the access log: ") + std::strerror(errno));
      }
      done += w;
    }
    from += n;
    to += n;
  }
  if (::ftruncate(rw_fd_, to) != 0) {
    return tl::unexpected(std::string("truncating the access log: ") + std::strerror(errno));
  }
  return removed;
}

bool AccessLog::write(const AccessEntry& entry) {
  if (fd_ < 0) return false;
  const std::string line = format_access_line(entry);
  ssize_t n = -1;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(line.size());
}

}  // namespace hardline::admin
