#include "admin/bans.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite_store.h"

namespace hardline::admin {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

struct DurationCase {
  const char* text;
  int64_t seconds;  // -1: refused
};

TEST(BanDuration, ParseTable) {
  const DurationCase cases[] = {
      {"30s", 30},
      {"10m", 600},
      {"1h", 3600},
      {"1d", 86400},
      {"2w", 1209600},
      {"1h30m", 5400},
      {"1d12h", 129600},
      {"1w1d1h1m1s", 604800 + 86400 + 3600 + 60 + 1},
      {"90m", 5400},  // a part need not be below the next unit
      {"0s", 0},
      {"007m", 420},
      {"999999999w", 999999999LL * 604800},
      {"", -1},
      {"1", -1},  // a bare number: seconds or minutes? refused
      {"h", -1},
      {"1x", -1},
      {"1H", -1},
      {"-1h", -1},
      {"+1h", -1},
      {"1h 30m", -1},
      {" 1h", -1},
      {"1h ", -1},
      {"30m1h", -1},  // largest first
      {"1h1h", -1},   // each unit once
      {"1.5h", -1},
      {"1000000000s", -1},  // ten digits
      {"1hm", -1},
  };
  for (const auto& c : cases) {
    auto parsed = parse_duration(c.text);
    if (c.seconds < 0) {
      EXPECT_FALSE(parsed.has_value()) << c.text;
    } else {
      ASSERT_TRUE(parsed.has_value()) << c.text;
      EXPECT_EQ(parsed->count(), c.seconds) << c.text;
    }
  }
}

TEST(BanDuration, FormatShowsTheTwoLargestUnits) {
  EXPECT_EQ(format_duration(seconds(0)), "0s");
  EXPECT_EQ(format_duration(seconds(-5)), "0s");
  EXPECT_EQ(format_duration(seconds(1)), "1s");
  EXPECT_EQ(format_duration(seconds(3599)), "59m59s");
  EXPECT_EQ(format_duration(seconds(3600)), "1h");
  EXPECT_EQ(format_duration(seconds(3661)), "1h1m");  // the second is dropped
  EXPECT_EQ(format_duration(seconds(86400 + 7200 + 5)), "1d2h");
  EXPECT_EQ(format_duration(seconds(86400 + 60)), "1d");  // no hours: nothing after the days
  EXPECT_EQ(format_duration(kMaxBanDuration), "365d");
  // What it prints parses back to a duration no longer than the one it was given.
  for (int64_t s : {1, 59, 61, 3599, 3601, 86399, 90061, 31536000}) {
    auto back = parse_duration(format_duration(seconds(s)));
    ASSERT_TRUE(back) << s;
    EXPECT_LE(back->count(), s);
  }
}

TEST(BanTime, FormatUtc) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(1'700'000'000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_utc(1'795'608'000), "2026-11-25T12:00:00Z");
}

struct NetworkCase {
  const char* text;
  const char* network;  // nullptr: refused
  const char* error;    // a part of the error when refused
};

TEST(BanNetwork, ParseTable) {
  const NetworkCase cases[] = {
      {"192.0.2.7", "192.0.2.7/32", nullptr},
      {"192.0.2.0/24", "192.0.2.0/24", nullptr},
      {"2001:db8:1:2::/64", "2001:db8:1:2::/64", nullptr},
      {"2001:db8::1", "2001:db8::1/128", nullptr},
      {"[2001:db8::1]", "2001:db8::1/128", nullptr},
      {"0.0.0.0/0", "0.0.0.0/0", nullptr},  // parses; add_ban refuses it
      {"10.0.0.1/8", nullptr, "did you mean 10.0.0.0/8?"},
      {"2001:db8:1:2::5/64", nullptr, "did you mean 2001:db8:1:2::/64?"},
      {"10.0.0.0/33", nullptr, "0 to 32 for IPv4"},
      {"fd00::/129", nullptr, "0 to 128 for IPv6"},
      {"10.0.0.0/", nullptr, "bad prefix length"},
      {"10.0.0.0/x", nullptr, "bad prefix length"},
      {"example.org", nullptr, "not an IP address or network"},
      {"192.0.2.300", nullptr, "not an IP address or network"},
      {"", nullptr, "not an IP address or network"},
      {"bad\nline", nullptr, "'bad?line'"},  // echoed without the line break
      {"::ffff:192.0.2.7", nullptr, "ban 192.0.2.7/32 instead"},
      {"::ffff:192.0.2.0/120", nullptr, "ban 192.0.2.0/24 instead"},
      {"::ffff:0.0.0.0/96", nullptr, "ban 0.0.0.0/0 instead"},  // which add_ban refuses
  };
  for (const auto& c : cases) {
    auto parsed = parse_ban_network(c.text);
    if (c.network == nullptr) {
      ASSERT_FALSE(parsed.has_value()) << c.text;
      EXPECT_NE(parsed.error().find(c.error), std::string::npos)
          << c.text << ": " << parsed.error();
    } else {
      ASSERT_TRUE(parsed.has_value()) << c.text << ": " << parsed.error();
      EXPECT_EQ(to_string(*parsed), c.network) << c.text;
    }
  }
}

TEST(BanReason, CheckTable) {
  const std::pair<std::string, bool> cases[] = {
      {"", true},
      {"svcrack from the guest wifi", true},
      {"ünïcødé ☎ scanner", true},
      {std::string(200, 'x'), true},
      {std::string(201, 'x'), false},
      {std::string(200, 'x') + "\xC3\xA9", false},  // 201 characters
      {[] {
         std::string s;
         for (int i = 0; i < 200; ++i) s += "\xC3\xA9";
         return s;
       }(),
       true},  // 200 characters, 400 bytes
      {"two\nlines", false},
      {"carriage\rreturn", false},
      {"tab\there", false},
      {"escape \x1B[31m red", false},
      {"del\x7F", false},
      {std::string("nul\0byte", 8), false},
      {"c1 \xC2\x85 next line", false},
      {"line \xE2\x80\xA8 separator", false},
      {"bidi \xE2\x80\xAE override", false},
      {"isolate \xE2\x81\xA6 x", false},
      {"bad \xFF utf8", false},
      {"overlong \xC0\xAF", false},
      {"surrogate \xED\xA0\x80", false},
      {"truncated \xE2\x82", false},
  };
  for (const auto& [reason, valid] : cases) {
    EXPECT_EQ(check_ban_reason(reason).has_value(), valid) << reason;
  }
}

class BanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hardline-bans-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto opened = store::open_sqlite(dir_ / "hardline.db", store::OpenMode::kCreate);
    ASSERT_TRUE(opened) << opened.error().what;
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  static Network net(const char* text) { return *parse_network(text); }
  std::vector<store::Ban> stored() { return *store_->list_bans(); }

  static constexpr int64_t kNow = 1'795'604'400;  // 2026-11-25T11:00:00Z
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(BanStoreTest, AddStoresAManualBan) {
  auto ban = add_ban(*store_, net("192.0.2.7"), kNow, std::chrono::hours(1), "scanner");
  ASSERT_TRUE(ban) << ban.error();
  const store::Ban expected{"192.0.2.7/32", kNow, kNow + 3600, "scanner", false, 0};
  EXPECT_EQ(*ban, expected);
  EXPECT_EQ(stored(), std::vector<store::Ban>{expected});
  EXPECT_EQ(ban_added_event(*ban),
            "security event: ban added 192.0.2.7/32 until 2026-11-25T12:00:00Z (manual: scanner)");
  // privacy.mode = "stats": the same event without the address.
  EXPECT_EQ(ban_added_event(*ban, false),
            "security event: ban added for a source until 2026-11-25T12:00:00Z (manual: scanner)");
  EXPECT_EQ(ban_removed_event(*ban, "", false).find("192.0.2.7"), std::string::npos);

  auto v6 = add_ban(*store_, net("2001:db8:1:2::/64"), kNow, kMaxBanDuration, "");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->network, "2001:db8:1:2::/64");
  EXPECT_EQ(v6->until, kNow + 31536000);
  EXPECT_NE(ban_added_event(*v6).find("(manual: no reason given)"), std::string::npos);
}

TEST_F(BanStoreTest, AddReplacesAndKeepsTheAutomaticRepeatCount) {
  ASSERT_TRUE(store_->put_ban({"203.0.113.9/32", kNow - 60, kNow + 240, "flood", true, 3}));
  auto ban = add_ban(*store_, net("203.0.113.9/32"), kNow, std::chrono::hours(24), "for a day");
  ASSERT_TRUE(ban) << ban.error();
  EXPECT_FALSE(ban->automatic);
  EXPECT_EQ(ban->repeats, 3U);
  EXPECT_EQ(ban->until, kNow + 86400);
  EXPECT_EQ(stored(), std::vector<store::Ban>{*ban});
}

TEST_F(BanStoreTest, AddRefusesAndLeavesTheStoreAlone) {
  struct Refusal {
    const char* network;
    seconds duration;
    std::string reason;
    const char* error;
  };
  const Refusal refusals[] = {
      {"0.0.0.0/0", std::chrono::hours(1), "", "refusing to ban 0.0.0.0/0"},
      {"::/0", std::chrono::hours(1), "", "refusing to ban ::/0"},
      {"192.0.2.7", seconds(0), "", "must be positive"},
      {"192.0.2.7", seconds(-1), "", "must be positive"},
      {"192.0.2.7", kMaxBanDuration + seconds(1), "", "at most 365d"},
      {"192.0.2.7", std::chrono::hours(1), std::string(201, 'x'), "longer than 200"},
      {"192.0.2.7", std::chrono::hours(1), "forged\nsecurity event: ban removed", "log line"},
  };
  for (const auto& r : refusals) {
    auto ban = add_ban(*store_, net(r.network), kNow, r.duration, r.reason);
    ASSERT_FALSE(ban) << r.network;
    EXPECT_NE(ban.error().find(r.error), std::string::npos) << ban.error();
  }
  EXPECT_TRUE(stored().empty());
}

TEST_F(BanStoreTest, ListShowsOnlyBansInForceInNetworkOrder) {
  ASSERT_TRUE(add_ban(*store_, net("198.51.100.0/24"), kNow, seconds(60), "b"));
  ASSERT_TRUE(add_ban(*store_, net("192.0.2.7"), kNow, seconds(120), "a"));
  ASSERT_TRUE(store_->put_ban({"203.0.113.1/32", kNow - 600, kNow, "over", true, 1}));
  auto bans = list_bans(*store_, kNow);
  ASSERT_TRUE(bans) << bans.error();
  ASSERT_EQ(bans->size(), 2U);
  EXPECT_EQ((*bans)[0].network, "192.0.2.7/32");
  EXPECT_EQ((*bans)[1].network, "198.51.100.0/24");
  bans = list_bans(*store_, kNow + 60);  // until == now is over
  ASSERT_TRUE(bans);
  ASSERT_EQ(bans->size(), 1U);
  EXPECT_EQ((*bans)[0].network, "192.0.2.7/32");
  EXPECT_EQ(stored().size(), 3U);  // listing purges nothing
}

TEST_F(BanStoreTest, RemoveReturnsTheBanAndRefusesWhatIsNotInForce) {
  ASSERT_TRUE(add_ban(*store_, net("192.0.2.0/24"), kNow, std::chrono::hours(1), "office scan"));
  ASSERT_TRUE(store_->put_ban({"203.0.113.1/32", kNow - 600, kNow - 1, "over", true, 4}));

  // Exact network only: an address inside the ban is not the ban.
  auto inside = remove_ban(*store_, net("192.0.2.7"), kNow);
  ASSERT_FALSE(inside);
  EXPECT_EQ(inside.error(), "no ban on 192.0.2.7/32");
  auto expired = remove_ban(*store_, net("203.0.113.1"), kNow);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error(), "no ban on 203.0.113.1/32");
  EXPECT_EQ(stored().size(), 2U);  // the expired one stays for the purge (back-off history)
  auto bad_why = remove_ban(*store_, net("192.0.2.0/24"), kNow, "a\nb");
  ASSERT_FALSE(bad_why);
  EXPECT_EQ(stored().size(), 2U);

  auto removed = remove_ban(*store_, net("192.0.2.0/24"), kNow, "false positive");
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_EQ(removed->reason, "office scan");
  EXPECT_EQ(ban_removed_event(*removed, "false positive"),
            "security event: ban removed 192.0.2.0/24 (manual until 2026-11-25T12:00:00Z: office "
            "scan; removed: false positive)");
  EXPECT_EQ(ban_removed_event(*removed, ""),
            "security event: ban removed 192.0.2.0/24 (manual until 2026-11-25T12:00:00Z: office "
            "scan)");
  EXPECT_EQ(stored().size(), 1U);
  EXPECT_FALSE(remove_ban(*store_, net("192.0.2.0/24"), kNow));
}

TEST(BanEvent, AutomaticBansAndHostileStoredValuesStayOnOneLine) {
  const store::Ban automatic{"203.0.113.9/32", 0, 1'795'608'000, "flood", true, 2};
  EXPECT_EQ(ban_added_event(automatic),
            "security event: ban added 203.0.113.9/32 until 2026-11-25T12:00:00Z (automatic, "
            "repeat 2: flood)");
  // A row written by something else than admin (an edited database) cannot forge a log line.
  const store::Ban hostile{"10.0.0.0/8\nsecurity event: x",
                           0,
                           0,
                           "a\r\n\x1B[2J\xE2\x80\xAE" + std::string(300, 'y'),
                           false,
                           0};
  for (const std::string& line :
       {ban_added_event(hostile), ban_removed_event(hostile, "why\nnot")}) {
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_EQ(line.find('\x1B'), std::string::npos) << line;
    EXPECT_EQ(line.find("\xE2\x80\xAE"), std::string::npos) << line;
    EXPECT_NE(line.find("..."), std::string::npos) << line;  // the long reason is cut
    EXPECT_LT(line.size(), 400U) << line;
  }
}

}  // namespace
}  // namespace hardline::admin
