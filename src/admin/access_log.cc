#include "admin/access_log.h"

#include <fcntl.h>
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

Result<AccessLog, std::string> AccessLog::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return tl::unexpected("admin access log " + path.string() + ": " + std::strerror(errno));
  }
  return AccessLog(fd);
}

AccessLog::AccessLog(AccessLog&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

AccessLog& AccessLog::operator=(AccessLog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

AccessLog::~AccessLog() {
  if (fd_ >= 0) ::close(fd_);
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
