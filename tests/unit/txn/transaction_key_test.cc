// Transaction keys: which fields take part, how they compare, and that fields cannot run into
// each other.

#include "txn/transaction_key.h"

#include <gtest/gtest.h>

#include <string>

#include "sip/parser.h"
#include "txn_harness.h"

namespace hardline::txn::test {
namespace {

std::string server_key(const std::string& bytes, std::string_view method = {}) {
  auto parsed = sip::parse_datagram(bytes);
  EXPECT_TRUE(parsed.has_value()) << bytes;
  if (!parsed) return {};
  std::string key;
  make_server_key(*parsed, method.empty() ? parsed->method_text : method, key);
  return key;
}

TEST(TransactionKey, MagicCookieIsCaseSensitive) {
  Req r;
  r.via = "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-1";
  std::string bytes = r.build();
  auto parsed = sip::parse_datagram(bytes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(has_rfc3261_branch(*parsed));
  r.via = "SIP/2.0/UDP 192.0.2.10;branch=Z9HG4BK-1";
  std::string upper_bytes = r.build();
  auto upper = sip::parse_datagram(upper_bytes);
  ASSERT_TRUE(upper.has_value());
  EXPECT_FALSE(has_rfc3261_branch(*upper));
}

TEST(TransactionKey, AckAndCancelLookUpAsInvite) {
  Req inv;
  inv.method = "INVITE";
  Req ack = inv;
  ack.method = "ACK";
  ack.to += ";tag=x";
  Req cancel = inv;
  cancel.method = "CANCEL";
  EXPECT_EQ(server_key(ack.build(), "INVITE"), server_key(inv.build()));
  EXPECT_EQ(server_key(cancel.build(), "INVITE"), server_key(inv.build()));
  EXPECT_NE(server_key(cancel.build()), server_key(inv.build()));
}

TEST(TransactionKey, PortAbsentDiffersFromPortGiven) {
  Req a;
  a.via = "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-p";
  Req b;
  b.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-p";
  EXPECT_NE(server_key(a.build()), server_key(b.build()));
}

TEST(TransactionKey, FieldsCannotBleedIntoEachOther) {
  // Without length prefixes "ab"+"c" and "a"+"bc" would collide.
  std::string k1, k2;
  make_client_key("z9hG4bKab", "CINVITE", k1);
  make_client_key("z9hG4bKabC", "INVITE", k2);
  EXPECT_NE(k1, k2);
  Req a = Req{};
  a.via = "SIP/2.0/UDP 192.0.2.10:5060";
  a.call_id = "x1";
  a.from = "<sip:201@example.com>;tag=1";
  Req b = a;
  b.call_id = "1";
  b.from = "<sip:201@example.com>;tag=1x";
  EXPECT_NE(server_key(a.build()), server_key(b.build()));
}

TEST(TransactionKey, LegacyKeyIgnoresFieldsOutsideTheMatchRule) {
  Req a;
  a.via = "SIP/2.0/UDP 192.0.2.10:5060";
  Req b = a;
  b.extra = {"Subject: different"};
  b.from = "\"Other Name\" <sip:201@example.com>;tag=f1";
  EXPECT_EQ(server_key(a.build()), server_key(b.build()));
  Req c = a;
  c.via = "SIP/2.0/udp 192.0.2.10:5060";  // transport compares case-insensitively
  EXPECT_EQ(server_key(a.build()), server_key(c.build()));
}

TEST(TransactionKey, KeyOwnsItsBytes) {
  std::string bytes = Req{}.build();
  std::string key;
  {
    auto parsed = sip::parse_datagram(bytes);
    ASSERT_TRUE(parsed.has_value());
    make_server_key(*parsed, parsed->method_text, key);
  }
  std::string copy = key;
  std::fill(bytes.begin(), bytes.end(), '#');
  bytes.clear();
  bytes.shrink_to_fit();
  EXPECT_EQ(key, copy);
  EXPECT_NE(key.find("z9hG4bK-reg-1"), std::string::npos);
}

}  // namespace
}  // namespace hardline::txn::test
