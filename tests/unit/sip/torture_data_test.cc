// The project's own torture messages (tests/data/sip) through the parser; the integration test
// sends the same files through `hardline sip check`.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sip/parser.h"

using namespace hardline::sip;

TEST(OwnTortureMessages, EachGetsItsVerdict) {
  const std::filesystem::path dir = std::filesystem::path(HARDLINE_TEST_DATA) / "sip";
  std::ifstream table(dir / "expected.tsv");
  ASSERT_TRUE(table) << "tests/data/sip/expected.tsv missing";
  std::string line;
  std::getline(table, line);
  int rows = 0;
  while (std::getline(table, line)) {
    size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string file = line.substr(0, tab);
    // The parser's verdict ("ok request X", "invalid 400", ...); the third column, what the
    // server does, is the integration test's.
    const size_t next = line.find('\t', tab + 1);
    const std::string verdict =
        line.substr(tab + 1, next == std::string::npos ? next : next - tab - 1);
    SCOPED_TRACE(file);
    std::ifstream in(dir / file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    auto m = parse_datagram(bytes);
    std::string got;
    if (m) {
      got = m->is_request ? "ok request " + std::string(m->method_text)
                          : "ok response " + std::to_string(m->status);
    } else {
      got =
          "invalid " + (m.error().drop() ? std::string("drop") : std::to_string(m.error().status));
    }
    EXPECT_EQ(got.substr(0, verdict.size()), verdict) << (m ? "" : m.error().reason);
    ++rows;
  }
  EXPECT_GE(rows, 20);
}
