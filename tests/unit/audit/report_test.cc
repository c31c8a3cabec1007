#include "audit/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hardline::audit {
namespace {

const std::vector<Finding> kFindings = {
    {"OS-3", "dedicated user", Status::kPass, "user hardline (uid 998)", ""},
    {"FS-3", "secrets unreadable for others", Status::kFail, "hardline.db 0644", "chmod 0600 x"},
    {"NET-5", "voice VLAN", Status::kManual, "switch", "use a VLAN"},
};

TEST(Report, HumanLinesWithFixesForWhatDoesNotPass) {
  const std::string text = human_report({"/etc/hardline/hardline.toml", "0.1.0"}, kFindings);
  EXPECT_NE(text.find("OS-3   pass           dedicated user: user hardline (uid 998)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("FS-3   fail           secrets unreadable for others: hardline.db 0644\n"
                      "                      fix: chmod 0600 x\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fix: use a VLAN"), std::string::npos);
  EXPECT_NE(text.find("summary: 1 pass, 0 warn, 1 fail, 0 not-applicable, 1 manual"),
            std::string::npos);
}

TEST(Report, JsonHasEveryCheckAndTheSummary) {
  auto json = nlohmann::json::parse(json_report({"/c.toml", "0.1.0"}, kFindings));
  ASSERT_EQ(json["checks"].size(), 3U);
  EXPECT_EQ(json["checks"][1]["id"], "FS-3");
  EXPECT_EQ(json["checks"][1]["status"], "fail");
  EXPECT_EQ(json["checks"][1]["fix"], "chmod 0600 x");
  EXPECT_EQ(json["summary"]["fail"], 1);
  EXPECT_EQ(json["summary"]["manual"], 1);
  EXPECT_EQ(json["exit_status"], 1);
  EXPECT_EQ(json["config"], "/c.toml");
}

TEST(Report, InvalidUtf8InEvidenceStaysValidJson) {
  const std::vector<Finding> findings = {
      {"FS-3", "x", Status::kWarn, std::string("path \xff\xfe"), "fix"}};
  EXPECT_TRUE(nlohmann::json::accept(json_report({"/c", "0"}, findings)));
}

}  // namespace
}  // namespace hardline::audit
