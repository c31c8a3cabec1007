#include "admin/access_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "admin/bans.h"

namespace hardline::admin {
namespace {

namespace fs = std::filesystem;

struct LineCase {
  const char* source;
  const char* method;
  const char* path;
  unsigned status;
  const char* result;
  const char* expected;
};

TEST(AccessLine, FormatTable) {
  const LineCase cases[] = {
      {"127.0.0.1", "GET", "/api/status", 200, "ok",
       "2023-11-14T22:13:20Z source=127.0.0.1 method=GET path=/api/status status=200 result=ok\n"},
      {"::1", "DELETE", "/api/bans/{network}", 404, "not-found",
       "2023-11-14T22:13:20Z source=::1 method=DELETE path=/api/bans/{network} status=404 "
       "result=not-found\n"},
      {"127.0.0.9", "", "-", 0, "banned",
       "2023-11-14T22:13:20Z source=127.0.0.9 method=- path=- status=- result=banned\n"},
      // What a client sends cannot split a line or forge a field.
      {"127.0.0.1", "get", "/a b\nforged=1", 404, "not-found",
       "2023-11-14T22:13:20Z source=127.0.0.1 method=? path=/a?b?forged=1 status=404 "
       "result=not-found\n"},
      {"127.0.0.1", "VERYLONGMETHODNAMEX", "/x", 405, "method-not-allowed",
       "2023-11-14T22:13:20Z source=127.0.0.1 method=? path=/x status=405 "
       "result=method-not-allowed\n"},
  };
  for (const LineCase& c : cases) {
    AccessEntry entry;
    entry.unix_seconds = 1'700'000'000;
    entry.source = *parse_ip_address(c.source);
    entry.method = c.method;
    entry.path = c.path;
    entry.status = c.status;
    entry.result = c.result;
    EXPECT_EQ(format_access_line(entry), c.expected);
  }
}

TEST(AccessLine, LongPathsAreCut) {
  AccessEntry entry;
  const std::string path(500, 'a');
  entry.path = path;
  const std::string line = format_access_line(entry);
  EXPECT_NE(line.find(std::string(200, 'a') + "..."), std::string::npos);
  EXPECT_EQ(line.find(std::string(201, 'a')), std::string::npos);
}

TEST(AccessLogFile, AppendsWithMode0600AndRefusesASymlink) {
  std::string pattern = (fs::temp_directory_path() / "hardline-access-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const fs::path path = dir / "admin-access.log";
  std::ofstream(path) << "earlier line\n";
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  {
    auto log = AccessLog::open(path);
    ASSERT_TRUE(log) << log.error();
    AccessEntry entry;
    entry.method = "GET";
    entry.path = "/health";
    entry.status = 200;
    entry.result = "ok";
    EXPECT_TRUE(log->write(entry));
    EXPECT_TRUE(log->write(entry));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  EXPECT_TRUE(content.starts_with("earlier line\n"));
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 3);

  const fs::path fresh = dir / "new.log";
  ASSERT_TRUE(AccessLog::open(fresh));
  struct stat info {};
  ASSERT_EQ(::stat(fresh.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);

  fs::create_symlink(path, dir / "link.log");
  EXPECT_FALSE(AccessLog::open(dir / "link.log"));
  fs::remove_all(dir);
}

TEST(AccessLogFile, PurgeRemovesOnlyLinesOlderThanTheCutoff) {
  std::string pattern = (fs::temp_directory_path() / "hardline-access-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const fs::path path = dir / "admin-access.log";
  constexpr int64_t kDay = 86400;
  constexpr int64_t kNow = 1700000000;
  auto log = AccessLog::open(path);
  ASSERT_TRUE(log) << log.error();
  // A long line, so that the lines kept cross the 64 KiB chunk the purge moves them in.
  const std::string long_path = "/" + std::string(200, 'x');
  for (int64_t age : {40, 31, 30, 29, 2, 0}) {
    for (int i = 0; i < 300; ++i) {
      AccessEntry entry;
      entry.unix_seconds = kNow - age * kDay + i;
      entry.method = "GET";
      entry.path = long_path;
      entry.status = 200;
      entry.result = "ok";
      ASSERT_TRUE(log->write(entry));
    }
  }
  auto read_all = [&path] {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  const std::string before = read_all();
  // Keep 30 days: the lines 40 and 31 days old go (600), those from exactly 30 days on stay.
  auto purged = log->purge_before(kNow - 30 * kDay);
  ASSERT_TRUE(purged) << purged.error();
  EXPECT_EQ(*purged, 600U);
  const std::string after = read_all();
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 4 * 300);
  EXPECT_TRUE(after.starts_with(format_utc(kNow - 30 * kDay)));
  EXPECT_EQ(after, before.substr(before.size() - after.size()));  // the kept tail, unchanged
  // Appending still works, at the new end; nothing more to purge.
  AccessEntry entry;
  entry.unix_seconds = kNow;
  entry.method = "GET";
  entry.path = "/health";
  entry.status = 200;
  entry.result = "ok";
  ASSERT_TRUE(log->write(entry));
  EXPECT_EQ(read_all(), after + format_access_line(entry));
  EXPECT_EQ(log->purge_before(kNow - 30 * kDay).value_or(99), 0U);
  // Everything older than the future: the file becomes empty.
  EXPECT_EQ(log->purge_before(kNow + kDay).value_or(0), 4U * 300 + 1);
  EXPECT_EQ(read_all(), "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hardline::admin
