#include "os/file_checks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hardline::os {
namespace {

constexpr uid_t kService = 990;
constexpr gid_t kServiceGroup = 985;
constexpr uid_t kOther = 1000;

ServiceIdentity root_started() {
  return {true, kService, kServiceGroup, "hardline", "hardline"};
}

ServiceIdentity user_started() {
  return {false, kOther, kOther, "alice", "alice"};
}

FileStatus status(uint32_t mode, uid_t uid, gid_t gid) {
  FileStatus result;
  result.mode = mode;
  result.uid = uid;
  result.gid = gid;
  result.owner = uid == 0 ? "root" : uid == kService ? "hardline" : "alice";
  result.group = gid == 0 ? "root" : gid == kServiceGroup ? "hardline" : "alice";
  return result;
}

struct Case {
  const char* name;
  FileRole role;
  FileStatus status;
  bool privileged;
  // Expected fixes, in order; empty: no finding.
  std::vector<std::string> fixes;
};

TEST(FileChecks, Table) {
  const std::string path = "/var/lib/hardline/hardline.db";
  const Case cases[] = {
      // The database: 0600 or 0640, owned by the service user.
      {"db 0600 service", FileRole::kDatabase, status(0600, kService, kServiceGroup), true, {}},
      {"db 0640 service", FileRole::kDatabase, status(0640, kService, kServiceGroup), true, {}},
      {"db world-readable",
       FileRole::kDatabase,
       status(0644, kService, kServiceGroup),
       true,
       {"chmod 600 " + path}},
      {"db group-writable",
       FileRole::kDatabase,
       status(0660, kService, kServiceGroup),
       true,
       {"chmod 600 " + path}},
      {"db executable",
       FileRole::kDatabase,
       status(0700, kService, kServiceGroup),
       true,
       {"chmod 600 " + path}},
      {"db owned by root",
       FileRole::kDatabase,
       status(0600, 0, 0),
       true,
       {"chown hardline:hardline " + path}},
      {"db both wrong",
       FileRole::kDatabase,
       status(0666, 0, 0),
       true,
       {"chmod 600 " + path, "chown hardline:hardline " + path}},
      // Started as another user: only "not readable or writable by others".
      {"db user 0600", FileRole::kDatabase, status(0600, kOther, kOther), false, {}},
      {"db user 0660", FileRole::kDatabase, status(0660, kOther, kOther), false, {}},
      {"db user other-readable",
       FileRole::kDatabase,
       status(0604, kOther, kOther),
       false,
       {"chmod 600 " + path}},
      {"db user owned by root is not judged", FileRole::kDatabase, status(0600, 0, 0), false, {}},
      // Secrets (token hash, TLS key): group-readable is fine, others get nothing.
      {"secret 0640", FileRole::kSecret, status(0640, 0, kServiceGroup), true, {}},
      {"secret 0600", FileRole::kSecret, status(0600, kService, kServiceGroup), true, {}},
      {"secret other-readable",
       FileRole::kSecret,
       status(0644, 0, kServiceGroup),
       true,
       {"chmod 640 " + path}},
      {"secret group-writable",
       FileRole::kSecret,
       status(0660, 0, kServiceGroup),
       true,
       {"chmod 640 " + path}},
      {"secret user group-writable", FileRole::kSecret, status(0660, kOther, kOther), false, {}},
      {"secret user other-writable",
       FileRole::kSecret,
       status(0602, kOther, kOther),
       false,
       {"chmod 640 " + path}},
      // Config: not writable by the service user (FS-1, FS-2); readable by its group is fine.
      {"config root 0640", FileRole::kConfig, status(0640, 0, kServiceGroup), true, {}},
      {"config root 0644", FileRole::kConfig, status(0644, 0, 0), true, {}},
      {"config owned by service",
       FileRole::kConfig,
       status(0640, kService, kServiceGroup),
       true,
       {"chown root:hardline " + path}},
      {"config group-writable",
       FileRole::kConfig,
       status(0660, 0, kServiceGroup),
       true,
       {"chmod 640 " + path}},
      {"config other-writable",
       FileRole::kConfig,
       status(0602, kOther, kOther),
       true,
       {"chmod 640 " + path}},
      {"config unprivileged: ownership skipped",
       FileRole::kConfig,
       status(0666, kOther, kOther),
       false,
       {}},
      // Program.
      {"program root 0755", FileRole::kProgram, status(0755, 0, 0), true, {}},
      {"program owned by service",
       FileRole::kProgram,
       status(0755, kService, kServiceGroup),
       true,
       {"chown root:root " + path}},
      {"program group-writable",
       FileRole::kProgram,
       status(0775, 0, 0),
       true,
       {"chmod go-w " + path}},
      {"program unprivileged", FileRole::kProgram, status(0777, kOther, kOther), false, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto findings =
        check_files({{path, c.role, c.status}}, c.privileged ? root_started() : user_started());
    ASSERT_EQ(findings.size(), c.fixes.size());
    for (size_t i = 0; i < findings.size(); ++i) {
      EXPECT_EQ(findings[i].fix, c.fixes[i]);
      EXPECT_EQ(findings[i].path, path);
      EXPECT_FALSE(findings[i].problem.empty());
    }
  }
}

TEST(FileChecks, MissingAndNonRegularFilesAreNotFindings) {
  FileStatus directory = status(0777, 0, 0);
  directory.regular = false;
  const auto findings = check_files({{"/x/hardline.db-wal", FileRole::kDatabase, std::nullopt},
                                     {"/x/key", FileRole::kSecret, directory}},
                                    root_started());
  EXPECT_TRUE(findings.empty());
}

TEST(FileChecks, FindingNamesPathModeOwnerAndFix) {
  const auto findings = check_files(
      {{"/var/lib/hardline/hardline.db", FileRole::kDatabase, status(0644, kService, 0)}},
      root_started());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].found, "mode 0644, owner hardline:root");
  EXPECT_EQ(findings[0].checklist_id, "FS-3");
  const std::string text = findings[0].to_string();
  EXPECT_NE(text.find("/var/lib/hardline/hardline.db (mode 0644, owner hardline:root)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fix: chmod 600 /var/lib/hardline/hardline.db"), std::string::npos) << text;
}

TEST(FileChecks, FixQuotesPathsForTheShell) {
  const auto findings = check_files(
      {{"/srv/my pbx/it's.db", FileRole::kDatabase, status(0644, kService, kServiceGroup)}},
      root_started());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].fix, "chmod 600 '/srv/my pbx/it'\\''s.db'");
}

TEST(FileChecks, ModeText) {
  EXPECT_EQ(mode_text(0600), "0600");
  EXPECT_EQ(mode_text(04755), "4755");
  EXPECT_EQ(mode_text(0100644), "0644");
}

}  // namespace
}  // namespace hardline::os
