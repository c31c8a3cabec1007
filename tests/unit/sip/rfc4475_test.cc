// RFC 4475 torture messages, read from ../shared/test-data/rfc4475 at test time (never copied
// into the project). Every file must get the verdict of messages.tsv's `expected` column, and
// the valid ones must mean what the RFC says they mean.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sip/parser.h"
#include "sip/serializer.h"

using namespace hardline::sip;

namespace {

const std::filesystem::path kDir = std::filesystem::path(HARDLINE_SHARED_TEST_DATA) / "rfc4475";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Row {
  std::string file;
  std::string expected;  // "valid" or "invalid"
};

std::vector<Row> read_table() {
  std::vector<Row> rows;
  std::ifstream in(kDir / "messages.tsv");
  std::string line;
  std::getline(in, line);  // column names
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() >= 5) rows.push_back({cols[0], cols[4]});
  }
  return rows;
}

bool have_corpus() {
  if (std::filesystem::exists(kDir / "messages.tsv")) return true;
  std::cout << "SKIPPED: " << kDir << " not found (RFC 4475 corpus lives in ../shared)\n";
  return false;
}

ParseResult<Message> parse_file(const std::string& name, std::string& storage) {
  storage = read_file(kDir / name);
  return parse_datagram(storage);
}

}  // namespace

TEST(Rfc4475, EveryMessageGetsTheExpectedVerdict) {
  if (!have_corpus()) GTEST_SKIP() << "RFC 4475 corpus absent";
  auto rows = read_table();
  ASSERT_GE(rows.size(), 50u) << "messages.tsv should list every torture message";
  for (const Row& row : rows) {
    SCOPED_TRACE(row.file);
    std::string bytes;
    auto m = parse_file(row.file, bytes);
    ASSERT_FALSE(bytes.empty()) << "could not read " << row.file;
    if (row.expected == "valid") {
      EXPECT_TRUE(m.has_value()) << m.error().reason;
    } else {
      ASSERT_EQ(row.expected, "invalid");
      EXPECT_FALSE(m.has_value());
    }
  }
}

TEST(Rfc4475, InvalidMessagesGetTheRfcsAnswer) {
  if (!have_corpus()) GTEST_SKIP() << "RFC 4475 corpus absent";
  // The response each invalid message gets: 0 means a silent drop.
  const std::map<std::string, int> answers = {
      {"dat/badinv01.dat", 400},   {"dat/clerr.dat", 400},
      {"dat/ncl.dat", 400},        {"dat/scalar02.dat", 400},
      {"dat/scalarlg.dat", 0},     {"dat/quotbal.dat", 400},
      {"dat/ltgtruri.dat", 400},   {"dat/lwsruri.dat", 400},
      {"dat/lwsstart.dat", 400},   {"dat/trws.dat", 400},
      {"dat/escruri.dat", 400},    {"dat/baddate.dat", 400},
      {"dat/regbadct.dat", 400},   {"dat/badaspec.dat", 400},
      {"dat/baddn.dat", 400},      {"dat/badvers.dat", 505},
      {"dat/mismatch01.dat", 400}, {"dat/mismatch02.dat", 501},
      {"dat/bigcode.dat", 0},      {"dat/insuf.dat", 400},
      {"dat/multi01.dat", 400},    {"dat/mcl01.dat", 400},
      {"dat/test.dat", 400},       {"variants/baddn.crlf-terminated.dat", 400},
  };
  for (const auto& [file, status] : answers) {
    SCOPED_TRACE(file);
    std::string bytes;
    auto m = parse_file(file, bytes);
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().status, status) << m.error().reason;
  }
}

TEST(Rfc4475, ValidMessagesMeanWhatTheRfcSays) {
  if (!have_corpus()) GTEST_SKIP() << "RFC 4475 corpus absent";
  std::string bytes;

  auto wsinv = parse_file("dat/wsinv.dat", bytes);  // §3.1.1.1
  ASSERT_TRUE(wsinv) << wsinv.error().reason;
  EXPECT_EQ(wsinv->max_forwards, 68);
  EXPECT_EQ(wsinv->cseq.number, 9u);
  EXPECT_EQ(wsinv->vias.size(), 3u);
  EXPECT_EQ(wsinv->to.tag(), "1918181833n");
  EXPECT_EQ(wsinv->body.size(), 150u);

  std::string bytes2;
  auto intmeth = parse_file("dat/intmeth.dat", bytes2);  // §3.1.1.2
  ASSERT_TRUE(intmeth) << intmeth.error().reason;
  EXPECT_EQ(intmeth->method, Method::kOther);
  EXPECT_EQ(intmeth->request_uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(intmeth->request_uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");

  std::string bytes3;
  auto esc01 = parse_file("dat/esc01.dat", bytes3);  // §3.1.1.3
  ASSERT_TRUE(esc01);
  EXPECT_EQ(unescape(esc01->request_uri.user), "sips:user@example.com");

  std::string bytes4;
  auto escnull = parse_file("dat/escnull.dat", bytes4);  // §3.1.1.4
  ASSERT_TRUE(escnull);
  EXPECT_EQ(unescape(escnull->to.uri.user), std::string("null-\0-null", 11));
  ASSERT_EQ(escnull->contacts.size(), 2u);
  EXPECT_EQ(unescape(escnull->contacts[0].address.uri.user), std::string(1, '\0'));
  EXPECT_EQ(unescape(escnull->contacts[1].address.uri.user), std::string(2, '\0'));

  std::string bytes5;
  auto esc02 = parse_file("dat/esc02.dat", bytes5);  // §3.1.1.5
  ASSERT_TRUE(esc02);
  EXPECT_EQ(esc02->method, Method::kOther) << "RE%47IST%45R is not REGISTER";
  EXPECT_EQ(esc02->contacts.size(), 2u) << "C%6Fntact is not Contact";

  std::string bytes6;
  auto dblreq = parse_file("dat/dblreq.dat", bytes6);  // §3.1.1.8
  ASSERT_TRUE(dblreq);
  EXPECT_EQ(dblreq->method, Method::kRegister);
  EXPECT_TRUE(dblreq->body.empty()) << "the trailing INVITE must be ignored";

  std::string bytes7;
  auto semiuri = parse_file("dat/semiuri.dat", bytes7);  // §3.1.1.9
  ASSERT_TRUE(semiuri);
  EXPECT_EQ(unescape(semiuri->request_uri.user), "user;par=u@example.net");
  EXPECT_TRUE(semiuri->request_uri.params.empty());

  std::string bytes8;
  auto transports = parse_file("dat/transports.dat", bytes8);  // §3.1.1.10
  ASSERT_TRUE(transports);
  ASSERT_EQ(transports->vias.size(), 5u);
  EXPECT_EQ(transports->vias[3].transport, "UNKNOWN");

  std::string bytes9;
  auto unkscm = parse_file("dat/unkscm.dat", bytes9);  // §3.3.2: the server answers 416
  ASSERT_TRUE(unkscm);
  EXPECT_EQ(unkscm->request_uri.scheme, UriScheme::kOther);

  std::string bytes10;
  auto unksm2 = parse_file("dat/unksm2.dat", bytes10);  // §3.3.4
  ASSERT_TRUE(unksm2);
  EXPECT_EQ(unksm2->to.uri.scheme, UriScheme::kOther);
  EXPECT_EQ(unksm2->from.uri.scheme, UriScheme::kOther);

  std::string bytes11;
  auto bext = parse_file("dat/bext01.dat", bytes11);  // §3.3.5: the server answers 420
  ASSERT_TRUE(bext);
  EXPECT_EQ(bext->require.size(), 2u);
  EXPECT_EQ(bext->proxy_require.size(), 2u);

  std::string bytes12;
  auto regaut = parse_file("dat/regaut01.dat", bytes12);  // §3.3.7
  ASSERT_TRUE(regaut);
  ASSERT_EQ(regaut->authorizations.size(), 1u);
  EXPECT_FALSE(regaut->authorizations[0].is_digest);

  std::string bytes13;
  auto cparam01 = parse_file("dat/cparam01.dat", bytes13);  // §3.3.12
  ASSERT_TRUE(cparam01);
  ASSERT_EQ(cparam01->contacts.size(), 1u);
  EXPECT_TRUE(cparam01->contacts[0].address.params.has("unknownparam"));
  EXPECT_FALSE(cparam01->contacts[0].address.uri.params.has("unknownparam"));

  std::string bytes14;
  auto cparam02 = parse_file("dat/cparam02.dat", bytes14);  // §3.3.13
  ASSERT_TRUE(cparam02);
  EXPECT_TRUE(cparam02->contacts[0].address.uri.params.has("unknownparam"));

  std::string bytes15;
  auto regescrt = parse_file("dat/regescrt.dat", bytes15);  // §3.3.14
  ASSERT_TRUE(regescrt);
  EXPECT_EQ(regescrt->contacts[0].address.uri.headers, "Route=%3Csip:sip.example.com%3E");

  std::string bytes16;
  auto inv2543 = parse_file("dat/inv2543.dat", bytes16);  // §3.4.1
  ASSERT_TRUE(inv2543);
  EXPECT_FALSE(inv2543->vias[0].branch);
  EXPECT_FALSE(inv2543->max_forwards);
  EXPECT_FALSE(inv2543->content_length);
  EXPECT_FALSE(inv2543->body.empty()) << "the body is the rest of the datagram";

  std::string bytes17;
  auto zeromf = parse_file("dat/zeromf.dat", bytes17);  // §3.3.11: a proxy answers 483
  ASSERT_TRUE(zeromf);
  EXPECT_EQ(zeromf->max_forwards, 0);
}

TEST(Rfc4475, ValidMessagesSerializeBackByteForByte) {
  if (!have_corpus()) GTEST_SKIP() << "RFC 4475 corpus absent";
  for (const Row& row : read_table()) {
    if (row.expected != "valid") continue;
    SCOPED_TRACE(row.file);
    std::string bytes;
    auto m = parse_file(row.file, bytes);
    ASSERT_TRUE(m) << m.error().reason;
    // Everything from the start line to the end of the body, as received.
    size_t start = static_cast<size_t>(m->start_line.data() - bytes.data());
    size_t end = static_cast<size_t>(m->body.data() - bytes.data()) + m->body.size();
    EXPECT_EQ(serialize(*m), bytes.substr(start, end - start));
  }
}
