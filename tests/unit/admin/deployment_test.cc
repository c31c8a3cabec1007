#include "admin/deployment.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace hardline::admin {
namespace {

TEST(ConfigValue, ReplacesTheKeyOfItsTableOnly) {
  const std::string text =
      "[a]\nuser = \"x\"\n\n[system]\n# user = comment\nuser = \"hardline\"\n"
      "group = \"hardline\"\n[b]\nuser = \"y\"\n";
  const std::string changed = with_config_value(text, "system", "user", "\"svc\"");
  EXPECT_EQ(changed,
            "[a]\nuser = \"x\"\n\n[system]\n# user = comment\nuser = \"svc\"\n"
            "group = \"hardline\"\n[b]\nuser = \"y\"\n");
  EXPECT_EQ(with_config_value(text, "missing", "user", "1"), text);
  EXPECT_EQ(with_config_value(text, "system", "chroot", "false"), text);
}

TEST(ConfigValue, DefaultConfigTakesAbsolutePathsAndAccount) {
  std::string text = with_config_value(
      config::default_config_text("pbx.example.org", {*parse_endpoint_spec("udp:127.0.0.1:5060")}),
      "store", "database", config::toml_string("/var/lib/hardline/hardline.db"));
  text = with_config_value(std::move(text), "system", "user", config::toml_string("hl-svc"));
  auto ok = config::parse_config(text, "/etc/hardline/hardline.toml");
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->store.database, "/var/lib/hardline/hardline.db");
  EXPECT_EQ(ok->system.user, "hl-svc");
  EXPECT_EQ(ok->admin.token_file, "/etc/hardline/admin-token.hash");
}

}  // namespace
}  // namespace hardline::admin
