// The one decision the server and `hardline sip check` share: a table of messages and what each
// gets, in RFC 3261 §8.2's order, and the drops that must say why.

#include "server/message_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "support/sip_messages.h"

namespace hardline::server {
namespace {

PolicySettings settings(std::vector<sip::Method> methods = {
                            sip::Method::kRegister, sip::Method::kInvite, sip::Method::kAck,
                            sip::Method::kBye, sip::Method::kCancel}) {
  PolicySettings s;
  s.domain = "example.com";
  s.aliases = {"pbx.example.com"};
  s.local_addresses = {*parse_ip_address("192.0.2.5"), *parse_ip_address("2001:db8::192.0.2.1")};
  s.methods = std::move(methods);
  s.scanner_signatures = {"friendly-scanner", "sipvicious"};
  return s;
}

struct Case {
  const char* name;
  std::string message;
  Route route;
  uint16_t status;
};

std::string with_uri(std::string_view method, std::string_view uri,
                     std::initializer_list<std::string_view> extra = {}) {
  std::string start = std::string(method) + " " + std::string(uri) + " SIP/2.0";
  std::string cseq = "CSeq: 1 " + std::string(method);
  std::string out = test::request(start, {cseq});
  // Extra headers go before the empty line.
  std::string more;
  for (std::string_view line : extra) more.append(line).append("\r\n");
  out.insert(out.size() - 2, more);
  return out;
}

TEST(MessagePolicy, DecidesInRfc3261Order) {
  const Case cases[] = {
      {"unknown method", with_uri("FOO", "sip:example.com"), Route::kAnswer, 501},
      {"disabled method", with_uri("OPTIONS", "sip:example.com"), Route::kAnswer, 405},
      // The method comes first (§8.2.1), the scheme next (§8.2.2.1).
      {"disabled method, unknown scheme", with_uri("OPTIONS", "nobody:opaque"), Route::kAnswer,
       405},
      {"unknown scheme (RFC 4475 unkscm)", with_uri("INVITE", "nobodyKnowsThisScheme:opaque"),
       Route::kAnswer, 416},
      {"atypical scheme (RFC 4475 novelsc)", with_uri("INVITE", "soap.beep://192.0.2.103:3002"),
       Route::kAnswer, 416},
      {"tel is not served", with_uri("INVITE", "tel:+49-30-1234"), Route::kAnswer, 416},
      {"unknown scheme before the domain", with_uri("REGISTER", "im:bob@elsewhere.example"),
       Route::kAnswer, 416},
      {"foreign domain", with_uri("REGISTER", "sip:elsewhere.example"), Route::kAnswer, 403},
      {"alias", with_uri("REGISTER", "sip:PBX.example.com"), Route::kRegister, 401},
      {"local address", with_uri("REGISTER", "sip:192.0.2.5"), Route::kRegister, 401},
      {"local address, RFC 5118 three colons", with_uri("REGISTER", "sip:[2001:db8:::192.0.2.1]"),
       Route::kRegister, 401},
      {"other address", with_uri("REGISTER", "sip:192.0.2.6"), Route::kAnswer, 403},
      {"sips", with_uri("REGISTER", "sips:example.com"), Route::kRegister, 401},
      {"Require", with_uri("REGISTER", "sip:example.com", {"Require: foo"}), Route::kAnswer, 420},
      {"Require on CANCEL is ignored", with_uri("CANCEL", "sip:example.com", {"Require: foo"}),
       Route::kCancel, 481},
      {"INVITE", with_uri("INVITE", "sip:bob@example.com"), Route::kInvite, 407},
      {"re-INVITE",
       test::sip_message({"INVITE sip:bob@example.com SIP/2.0",
                          "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "From: <sip:a@b>;tag=1",
                          "To: <sip:bob@example.com>;tag=2", "Call-ID: x", "CSeq: 2 INVITE"}),
       Route::kInDialog, 481},
      {"BYE without a To tag", with_uri("BYE", "sip:bob@example.com"), Route::kAnswer, 481},
      {"ACK", with_uri("ACK", "sip:bob@example.com"), Route::kAck, 0},
      {"ACK with an unknown scheme is still not answered", with_uri("ACK", "nobody:x"), Route::kAck,
       0},
      {"response",
       test::sip_message({"SIP/2.0 200 OK", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
                          "From: <sip:a@b>;tag=1", "To: <sip:a@b>", "Call-ID: x",
                          "CSeq: 1 OPTIONS"}),
       Route::kResponse, 0},
  };
  MessagePolicy policy(settings());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Decision d = policy.decide(c.message, sip::Framing::kDatagram);
    EXPECT_EQ(d.route, c.route) << d.why;
    EXPECT_EQ(d.status, c.status) << d.why;
    EXPECT_FALSE(d.why.empty());
    if (d.status != 0) {
      EXPECT_FALSE(d.reason.empty());
    }
  }
}

TEST(MessagePolicy, AllowNamesOnlyWhatIsServed) {
  MessagePolicy defaults(settings());
  EXPECT_EQ(defaults.allow(), "REGISTER, INVITE, ACK, BYE, CANCEL");
  MessagePolicy more(settings({sip::Method::kRegister, sip::Method::kOptions, sip::Method::kNotify,
                               sip::Method::kMessage, sip::Method::kInfo}));
  // NOTIFY and MESSAGE can only be refused (501): Allow must not claim them.
  EXPECT_EQ(more.allow(), "REGISTER, OPTIONS, INFO");
  const Decision notify =
      more.decide(with_uri("NOTIFY", "sip:example.com"), sip::Framing::kDatagram);
  EXPECT_EQ(notify.status, 501);
  ASSERT_EQ(notify.headers.size(), 1u);
  EXPECT_EQ(notify.headers[0].first, "Allow");
  EXPECT_EQ(notify.headers[0].second, "REGISTER, OPTIONS, INFO");
  const Decision message =
      more.decide(with_uri("MESSAGE", "sip:bob@example.com"), sip::Framing::kDatagram);
  EXPECT_EQ(message.route, Route::kAuthenticateFirst);
  EXPECT_EQ(message.status, 407);
}

TEST(MessagePolicy, OptionsWhenEnabledIsAnsweredWithCapabilitiesOnly) {
  MessagePolicy policy(settings({sip::Method::kRegister, sip::Method::kInvite, sip::Method::kAck,
                                 sip::Method::kBye, sip::Method::kCancel, sip::Method::kOptions}));
  // The same answer for any user, existing or not: nothing to enumerate.
  for (const char* uri : {"sip:example.com", "sip:201@example.com", "sip:nobody@example.com"}) {
    SCOPED_TRACE(uri);
    const Decision d = policy.decide(with_uri("OPTIONS", uri), sip::Framing::kDatagram);
    EXPECT_EQ(d.route, Route::kAnswer);
    EXPECT_EQ(d.status, 200);
    EXPECT_EQ(d.reason, "OK");
    std::vector<std::string> names;
    for (const auto& [name, value] : d.headers) names.emplace_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"Allow", "Accept", "Supported"}));
    EXPECT_EQ(d.headers[0].second, "REGISTER, INVITE, ACK, BYE, CANCEL, OPTIONS");
    EXPECT_EQ(d.headers[1].second, "application/sdp");
  }
  // The policy still comes first.
  EXPECT_EQ(policy.decide(with_uri("OPTIONS", "nobody:x"), sip::Framing::kDatagram).status, 416);
  EXPECT_EQ(
      policy.decide(with_uri("OPTIONS", "sip:elsewhere.example"), sip::Framing::kDatagram).status,
      403);
}

TEST(MessagePolicy, MalformedRequestsAreAnsweredOnlyWhenAResponseCanBeBuilt) {
  MessagePolicy policy(settings());
  struct Drop {
    const char* name;
    std::string bytes;
    const char* why;  // part of Decision::why
  };
  const Drop drops[] = {
      {"keep-alive", "\r\n\r\n", "keep-alive"},
      {"malformed response",
       test::sip_message({"SIP/2.0 999999 Nope", "Via: SIP/2.0/UDP h;branch=z9hG4bK1"}),
       "never answered"},
      {"bare LF only",
       "OPTIONS sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\n"
       "From: <sip:a@example.com>;tag=1\nTo: <sip:example.com>\nCall-ID: x\n"
       "CSeq: 1 OPTIONS\n\n",
       "no CRLF line ending"},
      {"bare LF in the start line",
       "OPTIONS sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
       "From: <sip:a@example.com>;tag=1\r\nTo: <sip:example.com>\r\nCall-ID: x\r\n"
       "CSeq: 1 OPTIONS\r\n\r\n",
       "bare CR or LF"},
      {"To that does not parse",
       test::sip_message({"OPTIONS sip:example.com SIP/2.0",
                          "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "From: <sip:a@b>;tag=1",
                          "To: <sip:b@[2001:db8::zz]>", "Call-ID: x", "CSeq: 1 OPTIONS"}),
       "a To that does not parse"},
      {"no Call-ID",
       test::sip_message({"OPTIONS sip:example.com SIP/2.0",
                          "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "From: <sip:a@b>;tag=1",
                          "To: <sip:b@example.com>", "CSeq: 1 OPTIONS"}),
       "no usable Call-ID"},
      {"scanner", with_uri("REGISTER", "sip:example.com", {"User-Agent: friendly-scanner"}),
       "scanner signature 'friendly-scanner'"},
      {"over the size limit",
       with_uri("REGISTER", "sip:example.com", {"X: " + std::string(70000, 'a')}),
       "transport.max_message_size"},
  };
  for (const Drop& c : drops) {
    SCOPED_TRACE(c.name);
    const Decision d = policy.decide(c.bytes, sip::Framing::kDatagram);
    EXPECT_EQ(d.route, Route::kDrop);
    EXPECT_EQ(d.status, 0);
    EXPECT_NE(d.why.find(c.why), std::string::npos) << d.why;
  }

  const std::string bad_length = test::sip_message(
      {"OPTIONS sip:example.com SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
       "From: <sip:a@b>;tag=1", "To: <sip:b@example.com>", "Call-ID: x", "CSeq: 1 OPTIONS",
       "Content-Length: banana"});
  const Decision d = policy.decide(bad_length, sip::Framing::kDatagram);
  EXPECT_EQ(d.route, Route::kAnswer);
  EXPECT_EQ(d.status, 400);
  ASSERT_TRUE(d.salvaged);
  EXPECT_EQ(d.salvaged->call_id, "x");
}

TEST(MessagePolicy, SettingsComeFromTheConfig) {
  config::Config config;
  config.sip.domain = "pbx.example.org";
  config.sip.listen = {*parse_endpoint_spec("udp:192.0.2.9:5060")};
  config.transport.max_message_size = 4096;
  config.guard.enabled = false;
  const PolicySettings s = policy_settings(config);
  EXPECT_EQ(s.domain, "pbx.example.org");
  EXPECT_EQ(s.limits.max_message_size, 4096u);
  EXPECT_EQ(s.local_addresses.size(), 1u);
  MessagePolicy policy(s);
  // The guard off: no signature is checked.
  EXPECT_EQ(policy
                .decide(with_uri("REGISTER", "sip:192.0.2.9", {"User-Agent: friendly-scanner"}),
                        sip::Framing::kDatagram)
                .route,
            Route::kRegister);
  // A registrar's AOR check asks is_ours() too: only sip and sips name this server.
  auto isbn = sip::parse_uri("isbn:2983792873");
  ASSERT_TRUE(isbn);
  EXPECT_FALSE(policy.is_ours(*isbn));
  // Without a domain (sip check without a config) every host is taken as ours.
  PolicySettings any = settings();
  any.domain.clear();
  EXPECT_EQ(MessagePolicy(any)
                .decide(with_uri("REGISTER", "sip:elsewhere.example"), sip::Framing::kDatagram)
                .status,
            401);
}

// Issue 13, item 2: on a wildcard listener our Contact names the address a request arrived at
// (or sip.advertise's host), and in-dialog requests come back to that Contact.
TEST(MessagePolicy, TheArrivalAddressAndAdvertisedHostsAreOurs) {
  config::Config config;
  config.sip.domain = "pbx.example.org";
  const Endpoint wildcard = *parse_endpoint_spec("udp:0.0.0.0:5060");
  const Endpoint v6 = *parse_endpoint_spec("udp:[::]:5060");
  config.sip.listen = {wildcard, v6};
  config.sip.advertise = {{wildcard, "203.0.113.5", 0}, {v6, "[2001:db8::5]", 5062}};
  const MessagePolicy policy(policy_settings(config));
  struct IsOursCase {
    const char* uri;
    const char* arrived_at;  // "" for none
    bool ours;
  };
  const IsOursCase cases[] = {
      {"sip:192.168.1.10:5060", "192.168.1.10", true},   // the address it was sent to
      {"sip:192.168.1.10:5060", "192.168.1.11", false},  // another address of the host
      {"sip:192.168.1.10:5060", "", false},              // nothing says it is ours
      {"sip:[2001:db8::7]", "2001:db8::7", true},
      {"sip:203.0.113.5", "", true},  // advertised
      {"sip:[2001:db8::5]:5062", "", true},
      {"sip:x@0.0.0.0", "", true},  // a listen address, as before
      {"sip:198.51.100.1", "", false},
  };
  for (const IsOursCase& c : cases) {
    const auto uri = sip::parse_uri(c.uri);
    ASSERT_TRUE(uri) << c.uri;
    const IpAddress arrived =
        *c.arrived_at == 0 ? IpAddress{} : parse_ip_address(c.arrived_at).value();
    EXPECT_EQ(policy.is_ours(*uri, arrived), c.ours) << c.uri << " arriving at " << c.arrived_at;
  }
  // A BYE to such a Contact goes to its handler; the same BYE arriving elsewhere is refused.
  const std::string bytes = with_uri("BYE", "sip:192.168.1.10:5060");
  const auto bye = sip::parse_message(bytes, sip::Framing::kDatagram, policy.limits());
  ASSERT_TRUE(bye);
  EXPECT_NE(policy.on_message(*bye, *parse_ip_address("192.168.1.10")).status, 403);
  EXPECT_EQ(policy.on_message(*bye, *parse_ip_address("192.168.1.11")).status, 403);
}

}  // namespace
}  // namespace hardline::server
