// Scanner signatures: whole-word, any-case matches in the User-Agent and From header, real
// clients left alone, and what Guard::check_signatures() does with a match.

#include "guard/signatures.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "guard/guard.h"
#include "test_support.h"

namespace hardline::guard {
namespace {

using testing::ip;
using testing::net;
using testing::RecordingSink;

TEST(SignatureMatcher, FindsKnownScannersAndLeavesRealClientsAlone) {
  SignatureMatcher matcher(default_scanner_signatures());
  struct Case {
    const char* text;
    const char* signature;  // nullptr: no match
  };
  const Case cases[] = {
      // Scanners, as they announce themselves.
      {"friendly-scanner", "friendly-scanner"},
      {"Friendly-Scanner", "friendly-scanner"},
      {"\"sipvicious\"<sip:100@1.1.1.1>;tag=6434396633623535313363340131363131", "sipvicious"},
      {"sipcli/v1.8", "sipcli"},
      {"VaxSIPUserAgent/3.1", "vaxsipuseragent"},
      {"VaxIPUserAgent", "vaxipuseragent"},
      {"sundayddr", "sundayddr"},
      {"iWar", "iwar"},
      {"SIVuS", "sivus"},
      {"smap 0.6.0", "smap"},
      {"sip-scan", "sip-scan"},
      {"SIPScan", "sipscan"},
      {"pplsip", "pplsip"},
      {"sipptk", "sipptk"},
      {"friendly-request", "friendly-request"},
      {"SIP Army Knife siparmyknife", "siparmyknife"},
      {"Mozilla/5.0 (sipvicious)", "sipvicious"},
      // Real clients and tools, including the ones our tests use.
      {"baresip v1.0.0 (x86_64/linux)", nullptr},
      {"sipsak 0.9.8", nullptr},
      {"SIPp/3.6.1", nullptr},
      {"Linphone Desktop/5.0.0 (Debian GNU/Linux) LinphoneCore/5.0.0", nullptr},
      {"Z 5.6.1 rv2.10.19.9", nullptr},
      {"Zoiper rv2.10.19.9", nullptr},
      {"Yealink SIP-T46S 66.86.0.15", nullptr},
      {"Grandstream GXP2170 1.0.11.23", nullptr},
      {"PolycomVVX-VVX_411-UA/6.4.3.5018", nullptr},
      {"MicroSIP/3.21.3", nullptr},
      {"Asterisk PBX 18.10.0", nullptr},
      {"FPBX-16.0.40(18.16.0)", nullptr},
      {"\"Alice\" <sip:100@pbx.example.org>;tag=abc", nullptr},
      // Whole words only: a longer word that contains a signature is something else.
      {"MySipClient 2.0", nullptr},            // not sipcli
      {"Smappee Energy Monitor", nullptr},     // not smap
      {"Kiwari/1.0", nullptr},                 // not iwar
      {"\"sipviciously\"<sip:1@x>", nullptr},  // not sipvicious
      {"", nullptr},
  };
  const std::vector<std::string> signatures = default_scanner_signatures();
  for (const Case& c : cases) {
    const std::optional<size_t> found = matcher.find(c.text);
    if (c.signature == nullptr) {
      EXPECT_FALSE(found.has_value()) << c.text << " matched " << signatures[found.value_or(0)];
    } else {
      ASSERT_TRUE(found.has_value()) << c.text;
      EXPECT_EQ(signatures[*found], c.signature) << c.text;
    }
  }
}

TEST(SignatureMatcher, AnOccurrenceInsideAWordDoesNotHideALaterWholeOne) {
  SignatureMatcher matcher({"scan"});
  EXPECT_FALSE(matcher.find("scanner").has_value());
  EXPECT_TRUE(matcher.find("scanner scan").has_value());
  EXPECT_TRUE(matcher.find("x/scan/y").has_value());
}

TEST(SignatureMatcher, SignaturesThatStartOrEndWithPunctuation) {
  SignatureMatcher matcher({"@1.1.1.1>"});
  EXPECT_TRUE(matcher.find("\"100\"<sip:100@1.1.1.1>;tag=x").has_value());
  EXPECT_FALSE(matcher.find("<sip:100@1.1.1.10>").has_value());
}

class CheckSignaturesTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  RecordingSink sink_;
};

TEST_F(CheckSignaturesTest, AScannerIsDroppedAndBanned) {
  Guard guard(Settings{}, clock_, &sink_);
  const IpAddress scanner = ip("203.0.113.80");
  EXPECT_EQ(guard.check_signatures(scanner, "friendly-scanner", "\"100\"<sip:100@x>"),
            Verdict::kScanner);
  ASSERT_EQ(sink_.events.size(), 1U);
  EXPECT_EQ(sink_.events[0].kind, Event::Kind::kBan);
  EXPECT_EQ(sink_.events[0].network, net("203.0.113.80/32"));
  EXPECT_EQ(sink_.events[0].reason, "scanner signature 'friendly-scanner'");
  EXPECT_TRUE(sink_.events[0].automatic);
  EXPECT_EQ(guard.admit(scanner, 400), Verdict::kBanned);
  // A match in From alone, with a changed User-Agent.
  EXPECT_EQ(guard.check_signatures(ip("203.0.113.81"), "Zoiper rv2.10",
                                   "\"sipvicious\"<sip:100@1.1.1.1>"),
            Verdict::kScanner);
  EXPECT_EQ(guard.admit(ip("203.0.113.81"), 400), Verdict::kBanned);
  EXPECT_EQ(guard.check_signatures(ip("203.0.113.82"), "Yealink SIP-T46S 66.86.0.15",
                                   "<sip:101@pbx.example.org>;tag=1"),
            Verdict::kAdmit);
  EXPECT_EQ(guard.counters().scanner_hits, 2U);
}

TEST_F(CheckSignaturesTest, TrustedSourcesAreDroppedButNotBanned) {
  Settings settings;
  settings.trusted = {net("192.0.2.0/24")};
  Guard guard(settings, clock_, &sink_);
  EXPECT_EQ(guard.check_signatures(ip("192.0.2.5"), "sipvicious", ""), Verdict::kScanner);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(guard.admit(ip("192.0.2.5"), 400), Verdict::kAdmit);
  EXPECT_EQ(guard.counters().bans_spared, 1U);
}

TEST_F(CheckSignaturesTest, BanScannersOffOnlyDrops) {
  Settings settings;
  settings.ban_scanners = false;
  Guard guard(settings, clock_, &sink_);
  EXPECT_EQ(guard.check_signatures(ip("203.0.113.9"), "sipcli/v1.8", ""), Verdict::kScanner);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(guard.admit(ip("203.0.113.9"), 400), Verdict::kAdmit);
}

TEST_F(CheckSignaturesTest, TheListIsConfigurable) {
  Settings settings;
  settings.scanner_signatures = {"EvilBot"};
  Guard guard(settings, clock_, &sink_);
  EXPECT_EQ(guard.check_signatures(ip("203.0.113.9"), "friendly-scanner", ""), Verdict::kAdmit);
  EXPECT_EQ(guard.check_signatures(ip("203.0.113.9"), "evilbot/2", ""), Verdict::kScanner);
  EXPECT_EQ(sink_.events.at(0).reason, "scanner signature 'EvilBot'");
  settings.scanner_signatures.clear();
  Guard none(settings, clock_, &sink_);
  EXPECT_EQ(none.check_signatures(ip("203.0.113.10"), "friendly-scanner", "sipvicious"),
            Verdict::kAdmit);
}

TEST_F(CheckSignaturesTest, ARepeatVisitDuringABanDoesNotDoubleIt) {
  Guard guard(Settings{}, clock_, &sink_);
  const IpAddress scanner = ip("203.0.113.80");
  guard.check_signatures(scanner, "friendly-scanner", "");
  guard.check_signatures(scanner, "friendly-scanner", "");  // parsed before the ban took hold
  EXPECT_EQ(sink_.of(Event::Kind::kBan).size(), 1U);
}

}  // namespace
}  // namespace hardline::guard
