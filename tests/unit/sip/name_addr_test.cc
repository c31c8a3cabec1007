// name-addr / addr-spec with header parameters, Contact, qvalue (RFC 3261 §20.10, §20.20, §25.1;
// RFC 4475).

#include "sip/name_addr.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "sip/chars.h"

using namespace hardline::sip;
using namespace std::string_view_literals;

namespace {

struct NameAddrCase {
  std::string_view input;
  std::string_view display_name;  // raw
  std::string_view display_text;  // display_name_text()
  bool bracketed;
  std::string_view uri;
  UriScheme scheme;
  std::string_view user;
  std::string_view uri_params;
  std::string_view header_params;
  std::optional<std::string_view> tag;
};

const NameAddrCase kValidNameAddrs[] = {
    {"<sip:alice@atlanta.com>", "", "", true, "sip:alice@atlanta.com", UriScheme::kSip, "alice", "",
     "", std::nullopt},
    {"\"Alice\" <sip:alice@atlanta.com>;tag=1928301774", "\"Alice\"", "Alice", true,
     "sip:alice@atlanta.com", UriScheme::kSip, "alice", "", "tag=1928301774", "1928301774"},
    {"Bob <sips:bob@biloxi.com> ;tag=a48s", "Bob", "Bob", true, "sips:bob@biloxi.com",
     UriScheme::kSips, "bob", "", "tag=a48s", "a48s"},
    {"Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8", "Anonymous", "Anonymous", true,
     "sip:c8oqz84zk7z@privacy.org", UriScheme::kSip, "c8oqz84zk7z", "", "tag=hyh8", "hyh8"},
    {"Mr. J. User\t<sip:j.user@example.com>", "Mr. J. User", "Mr. J. User", true,
     "sip:j.user@example.com", UriScheme::kSip, "j.user", "", "", std::nullopt},
    {"  <sip:a@example.com>  ", "", "", true, "sip:a@example.com", UriScheme::kSip, "a", "", "",
     std::nullopt},
    // RFC 4475 §3.1.1.6 (lwsdisp): no LWS between display name and '<'.
    {"caller<sip:caller@example.com>;tag=323", "caller", "caller", true, "sip:caller@example.com",
     UriScheme::kSip, "caller", "", "tag=323", "323"},
    {"\"caller\"<sip:caller@example.com>", "\"caller\"", "caller", true, "sip:caller@example.com",
     UriScheme::kSip, "caller", "", "", std::nullopt},
    // Quoted display names: commas, empty, UTF-8, quoted-pairs.
    {"\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=433423", "\"Bell, Alexander\"",
     "Bell, Alexander", true, "sip:a.g.bell@example.com", UriScheme::kSip, "a.g.bell", "",
     "tag=433423", "433423"},
    {"\"\" <sip:a@example.com>", "\"\"", "", true, "sip:a@example.com", UriScheme::kSip, "a", "",
     "", std::nullopt},
    {"\"Caf\xc3\xa9\" <sip:a@example.com>", "\"Caf\xc3\xa9\"", "Caf\xc3\xa9", true,
     "sip:a@example.com", UriScheme::kSip, "a", "", "", std::nullopt},
    {"\"a\\\\b\" <sip:a@example.com>", "\"a\\\\b\"", "a\\b", true, "sip:a@example.com",
     UriScheme::kSip, "a", "", "", std::nullopt},
    // RFC 4475 §3.1.1.1 (wsinv), after unfolding.
    {"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>  ;  tag = 98asjd8",
     "\"J Rosenberg \\\\\\\"\"", "J Rosenberg \\\"", true, "sip:jdrosen@example.com",
     UriScheme::kSip, "jdrosen", "", "  tag = 98asjd8", "98asjd8"},
    {"\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam = newvalue ;  secondparam ; "
     "q = 0.33",
     "\"Quoted string \\\"\\\"\"", "Quoted string \"\"", true, "sip:jdrosen@example.com",
     UriScheme::kSip, "jdrosen", "", " newparam = newvalue ;  secondparam ; q = 0.33",
     std::nullopt},
    {"sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", "", "", false,
     "sip:vivekg@chair-dnrc.example.com", UriScheme::kSip, "vivekg", "", "   tag    = 1918181833n",
     "1918181833n"},
    // RFC 4475 §3.1.1.2 (intmeth): quoted-pairs of BEL, NUL and DEL; unusual tokens.
    {"\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" "
     "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>"sv,
     "\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\""sv, "BEL:\x07 NUL:\0 DEL:\x7f"sv, true,
     "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", UriScheme::kSip,
     "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", "", "", std::nullopt},
    {"token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
     "\"\xd1\x80\xd0\xb0\xd0\xb1\";tag=_token~1'+`*%!-.",
     "token1~` token2'+_ token3*%!.-", "token1~` token2'+_ token3*%!.-", true,
     "sip:mundane@example.com", UriScheme::kSip, "mundane", "",
     "fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\";tag=_token~1'+`*%!-.", "_token~1'+`*%!-."},
    // RFC 4475 §3.1.1.5 (esc02): % in a display name is not an escape.
    {"\"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23", "\"%Z%45\"", "%Z%45", true,
     "sip:resource@example.com", UriScheme::kSip, "resource", "", "tag=f232jadfj23", "f232jadfj23"},
    // RFC 4475 §3.1.1.3 (esc01), §3.1.1.4 (escnull).
    {"sip:%75se%72@example.com", "", "", false, "sip:%75se%72@example.com", UriScheme::kSip,
     "%75se%72", "", "", std::nullopt},
    {"sip:null-%00-null@example.com;tag=839923423", "", "", false, "sip:null-%00-null@example.com",
     UriScheme::kSip, "null-%00-null", "", "tag=839923423", "839923423"},
    {"<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>", "", "", true,
     "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", UriScheme::kSip, "cal%6Cer",
     "%6C%72;n%61me=v%61lue%25%34%31", "", std::nullopt},
    // RFC 4475 §3.3.12 (cparam01): in an addr-spec, ';' starts the header parameters.
    {"sip:+19725552222@gw1.example.net;unknownparam", "", "", false,
     "sip:+19725552222@gw1.example.net", UriScheme::kSip, "+19725552222", "", "unknownparam",
     std::nullopt},
    // RFC 4475 §3.3.13 (cparam02): inside <...> it stays a URI parameter.
    {"<sip:+19725552222@gw1.example.net;unknownparam>", "", "", true,
     "sip:+19725552222@gw1.example.net;unknownparam", UriScheme::kSip, "+19725552222",
     "unknownparam", "", std::nullopt},
    {"<sip:services.example.com;lr;unknownwith=value;unknown-no-value>", "", "", true,
     "sip:services.example.com;lr;unknownwith=value;unknown-no-value", UriScheme::kSip, "",
     "lr;unknownwith=value;unknown-no-value", "", std::nullopt},
    // RFC 4475 §3.3.14 (regescrt): escaped headers are fine inside <...>.
    {"<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", "", "", true,
     "sip:user@example.com?Route=%3Csip:sip.example.com%3E", UriScheme::kSip, "user", "", "",
     std::nullopt},
    // RFC 4475 §3.3.4 (unksm2): other schemes in either form.
    {"isbn:2983792873", "", "", false, "isbn:2983792873", UriScheme::kOther, "", "", "",
     std::nullopt},
    {"<http://www.example.com>;tag=3234233", "", "", true, "http://www.example.com",
     UriScheme::kOther, "", "", "tag=3234233", "3234233"},
    {"<name:John_Smith>", "", "", true, "name:John_Smith", UriScheme::kOther, "", "", "",
     std::nullopt},
    // A quoted header parameter may hold '<' and '>' (RFC 5626 instance IDs), in either form.
    {"sip:a@example.com;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\";reg-id=1",
     "", "", false, "sip:a@example.com", UriScheme::kSip, "a", "",
     "+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\";reg-id=1", std::nullopt},
    {"<sip:a@example.com>;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"", "",
     "", true, "sip:a@example.com", UriScheme::kSip, "a", "",
     "+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"", std::nullopt},
    {"<tel:+1-201-555-0123>;tag=x", "", "", true, "tel:+1-201-555-0123", UriScheme::kTel, "", "",
     "tag=x", "x"},
};

TEST(NameAddrTest, ParsesValidForms) {
  for (const NameAddrCase& row : kValidNameAddrs) {
    SCOPED_TRACE(testing::PrintToString(std::string(row.input)));
    auto na = parse_name_addr(row.input);
    ASSERT_TRUE(na.has_value()) << na.error().what;
    EXPECT_EQ(na->text, trim(row.input));
    EXPECT_EQ(na->display_name, row.display_name);
    EXPECT_EQ(display_name_text(*na), row.display_text);
    EXPECT_EQ(na->bracketed, row.bracketed);
    EXPECT_EQ(na->uri.text, row.uri);
    EXPECT_EQ(na->uri.scheme, row.scheme);
    EXPECT_EQ(na->uri.user, row.user);
    EXPECT_EQ(na->uri.params.text(), row.uri_params);
    EXPECT_EQ(na->params.text(), row.header_params);
    EXPECT_EQ(na->tag(), row.tag);
  }
}

TEST(NameAddrTest, UnknownParamBelongsToTheRightList) {
  // RFC 4475 §3.3.12 / §3.3.13: a registrar must store the binding with or without the
  // parameter depending on the brackets alone.
  auto plain = parse_name_addr("sip:+19725552222@gw1.example.net;unknownparam");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->params.has("unknownparam"));
  EXPECT_FALSE(plain->uri.params.has("unknownparam"));

  auto bracketed = parse_name_addr("<sip:+19725552222@gw1.example.net;unknownparam>");
  ASSERT_TRUE(bracketed.has_value());
  EXPECT_FALSE(bracketed->params.has("unknownparam"));
  EXPECT_TRUE(bracketed->uri.params.has("unknownparam"));
}

TEST(NameAddrTest, RejectsMalformedForms) {
  constexpr std::string_view kCases[] = {
      "",
      "   ",
      // RFC 4475 §3.1.2.15 (baddn): non-token characters in an unquoted display name.
      "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
      "Watson, Thomas <sip:t.watson@example.org>",
      "a@b <sip:a@example.com>",
      "Al\"ice <sip:a@example.com>",
      "J;D <sip:a@example.com>",
      "Caf\xc3\xa9 <sip:a@example.com>",
      // RFC 4475 §3.1.2.14 (badaspec): whitespace inside <...>.
      "\"Watson, Thomas\" < sip:t.watson@example.org >",
      "< sip:a@example.com>",
      "<sip:a@example.com >",
      "<sip:a @example.com>",
      "<sip:a@example.com\t>",
      // RFC 4475 §3.1.2.13 (regbadct): an addr-spec with '?' (or ',') needs <...>.
      "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
      "sip:a@example.com?subject=x",
      "sip:a@example.com,sip:b@example.com",
      "sip:a @example.com",
      // RFC 4475 §3.1.2.6 (quotbal): the display name's quote is never closed.
      "\"Mr. J. User <sip:j.user@example.com>",
      "\"Alice <sip:a@example.com>",
      "\"Alice\\\" <sip:a@example.com>",
      // A quoted display name must be followed by <URI>.
      "\"Alice\" sip:a@example.com",
      "\"Alice\" sip:a@example.com>",
      "\"Alice\"",
      "\"Alice\" ",
      // Brackets.
      "<sip:a@example.com",
      "Alice <sip:a@example.com",
      "<>",
      "Alice <<sip:a@example.com>>",
      "<<sip:a@example.com>",
      // Bad URIs.
      "Alice",
      "Alice <alice>",
      "<sip:a@256.1.1.1>",
      "sip:a@-example.com",
      "<sip:%G1@example.com>",
      // Text and parameters after the URI (RFC 4475 §3.1.2.1 badinv01).
      "<sip:a@example.com>junk",
      "<sip:a@example.com> junk",
      "<sip:a@example.com>;",
      "<sip:a@example.com>;;tag=1",
      "<sip:a@example.com>;tag=1;",
      "\"Joe\" <sip:joe@example.org>;;;;",
      "<sip:a@example.com>;tag=\"x",
      "<sip:a@example.com>;tag=1 2",
      "<sip:a@example.com>;tag=",
      "sip:a@example.com;",
      "sip:a@example.com;;",
      "sip:a@example.com;tag=a/b",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    EXPECT_FALSE(parse_name_addr(input).has_value());
  }
}

TEST(NameAddrTest, Limits) {
  NameAddrLimits limits;
  limits.max_params = 2;
  EXPECT_TRUE(parse_name_addr("<sip:a@example.com>;tag=1;x", limits).has_value());
  EXPECT_FALSE(parse_name_addr("<sip:a@example.com>;tag=1;x;y", limits).has_value());
  EXPECT_FALSE(parse_name_addr("sip:a@example.com;tag=1;x;y", limits).has_value());

  limits = {};
  limits.uri.max_length = 17;
  EXPECT_TRUE(parse_name_addr("<sip:a@example.com>", limits).has_value());    // 17-byte URI
  EXPECT_FALSE(parse_name_addr("<sip:ab@example.com>", limits).has_value());  // 18-byte URI
  EXPECT_FALSE(parse_name_addr("sip:ab@example.com", limits).has_value());

  limits = {};
  limits.uri.max_params = 1;
  EXPECT_TRUE(parse_name_addr("<sip:a@example.com;lr>", limits).has_value());
  EXPECT_FALSE(parse_name_addr("<sip:a@example.com;lr;x>", limits).has_value());
}

TEST(NameAddrTest, DisplayNameTextWithoutDisplayName) {
  NameAddr empty;
  EXPECT_EQ(display_name_text(empty), "");
}

struct ContactCase {
  std::string_view input;
  std::optional<uint32_t> expires;
  std::optional<uint16_t> q;
};

TEST(ContactTest, ParsesExpiresAndQ) {
  const ContactCase kCases[] = {
      {"<sip:a@example.com>", std::nullopt, std::nullopt},
      {"<sip:a@example.com>;expires=3600", 3600u, std::nullopt},
      {"<sip:a@example.com>;expires=0", 0u, std::nullopt},
      {"<sip:a@example.com>;expires=4294967295", 4294967295u, std::nullopt},
      {"<sip:a@example.com>;expires=000000000000000000000060", 60u, std::nullopt},
      {"<sip:a@example.com>;q=0.5", std::nullopt, uint16_t{500}},
      {"<sip:a@example.com>;q=1;expires=60", 60u, uint16_t{1000}},
      {"<sip:a@example.com>;Expires=60;Q=0.7", 60u, uint16_t{700}},
      {"<sip:a@example.com> ; q = 0 ; expires = 1", 1u, uint16_t{0}},
      {"\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam = newvalue ;  secondparam "
       "; q = 0.33",
       std::nullopt, uint16_t{330}},
      // In an addr-spec these are header parameters too.
      {"sip:+19725552222@gw1.example.net;unknownparam;expires=60;q=0.1", 60u, uint16_t{100}},
      // Inside <...> they belong to the URI and mean nothing to the Contact.
      {"<sip:a@example.com;expires=99999999999;q=7>", std::nullopt, std::nullopt},
  };
  for (const ContactCase& row : kCases) {
    SCOPED_TRACE(row.input);
    auto contact = parse_contact(row.input);
    ASSERT_TRUE(contact.has_value()) << contact.error().what;
    EXPECT_EQ(contact->expires, row.expires);
    EXPECT_EQ(contact->q, row.q);
    EXPECT_EQ(contact->address.text, trim(row.input));
  }
}

TEST(ContactTest, RejectsBadExpiresAndQ) {
  constexpr std::string_view kCases[] = {
      "<sip:a@example.com>;expires=4294967296",
      "<sip:user@host129.example.com>;expires=280297596632815",  // RFC 4475 §3.1.2.4 scalar02
      "<sip:a@example.com>;expires=-1",
      "<sip:a@example.com>;expires=abc",
      "<sip:a@example.com>;expires=1.5",
      "<sip:a@example.com>;expires",
      "<sip:a@example.com>;expires=\"60\"",
      "<sip:a@example.com>;q=1.5",
      "<sip:a@example.com>;q=2",
      "<sip:a@example.com>;q=.5",
      "<sip:a@example.com>;q=0.1234",
      "<sip:a@example.com>;q",
      "<sip:a@example.com>;q=\"0.5\"",
      "<sip:a@example.com>;q=1.001",
      "sip:a@example.com;expires=4294967296",
      "Bell, Alexander <sip:a.g.bell@example.com>;expires=60",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    EXPECT_FALSE(parse_contact(input).has_value());
  }
}

TEST(QvalueTest, ParsesValidValues) {
  struct Case {
    std::string_view input;
    uint16_t thousandths;
  };
  constexpr Case kCases[] = {
      {"0", 0},       {"0.5", 500}, {"1", 1000},    {"1.000", 1000}, {"0.123", 123}, {"0.0", 0},
      {"0.000", 0},   {"0.001", 1}, {"0.999", 999}, {"0.05", 50},    {"0.33", 330},  {"1.0", 1000},
      {"1.00", 1000}, {"0.", 0},    {"1.", 1000},  // "0" [ "." 0*3DIGIT ]: the digits may be absent
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    uint16_t out = 12345;
    ASSERT_TRUE(parse_qvalue(row.input, out));
    EXPECT_EQ(out, row.thousandths);
  }
}

TEST(QvalueTest, RejectsInvalidValues) {
  constexpr std::string_view kCases[] = {
      "1.5", "2",  "",    ".5",   "0.1234", "1.001", "1.1",  "1.0000", "10",   "00",  "01",
      "-0",  "+1", "0,5", "0.5 ", " 0.5",   "0.a",   "0..5", "1.00a",  "0.-1", "1e0", "0x1",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    uint16_t out = 0;
    EXPECT_FALSE(parse_qvalue(input, out));
  }
}

}  // namespace
