// Splitting comma-separated header values (RFC 3261 §7.3.1).

#include "sip/header_list.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace hardline::sip;

namespace {

// Runs the splitter to its end; returns the elements seen and whether it finished cleanly.
struct Split {
  std::vector<std::string_view> elements;
  bool ok = false;
};

Split split(std::string_view value, size_t max_elements) {
  Split out;
  ListSplitter splitter(value, max_elements);
  std::string_view element;
  while (true) {
    auto more = splitter.next(element);
    if (!more) return out;
    if (!*more) break;
    out.elements.push_back(element);
  }
  out.ok = true;
  return out;
}

struct ValidCase {
  std::string_view input;
  std::vector<std::string_view> elements;
};

TEST(HeaderListTest, SplitsOnTopLevelCommas) {
  const ValidCase kCases[] = {
      {"a", {"a"}},
      {"a,b,c", {"a", "b", "c"}},
      {"  a ,\tb  ,  c\t", {"a", "b", "c"}},
      {"INVITE, ACK, BYE", {"INVITE", "ACK", "BYE"}},
      // Commas inside quoted-strings do not split.
      {"\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=43, <sip:t.watson@example.org>",
       {"\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=43", "<sip:t.watson@example.org>"}},
      {"\"a\\\",b\" <sip:x@y>, c", {"\"a\\\",b\" <sip:x@y>", "c"}},
      {"\"<\" <sip:x@y>, c", {"\"<\" <sip:x@y>", "c"}},  // '<' in quotes opens nothing
      // Commas inside <...> do not split.
      {"<sip:a@b;x=1,2>, <sip:c@d>", {"<sip:a@b;x=1,2>", "<sip:c@d>"}},
      {"<sip:user@example.com?Route=%3Csip:x%3E,y>;expires=60, <sip:z@w>",
       {"<sip:user@example.com?Route=%3Csip:x%3E,y>;expires=60", "<sip:z@w>"}},
      // Via values.
      {"SIP/2.0/TCP spindle.example.com ; branch = z9hG4bK9ikj8 , SIP / 2.0 / UDP 192.168.255.111 "
       "; "
       "branch= z9hG4bK30239",
       {"SIP/2.0/TCP spindle.example.com ; branch = z9hG4bK9ikj8",
        "SIP / 2.0 / UDP 192.168.255.111 ; branch= z9hG4bK30239"}},
      // Parameters with quoted values holding commas.
      {"Digest realm=\"a,b\", nonce=\"c\"", {"Digest realm=\"a,b\"", "nonce=\"c\""}},
  };
  for (const ValidCase& row : kCases) {
    SCOPED_TRACE(row.input);
    Split s = split(row.input, 32);
    ASSERT_TRUE(s.ok);
    EXPECT_EQ(s.elements, row.elements);
  }
}

TEST(HeaderListTest, RejectsMalformedLists) {
  constexpr std::string_view kCases[] = {
      ",",
      ",a",
      "a,",
      "a,,b",
      "a, ,b",
      "a,\t,b",
      "a, b,",
      ";;,,;;,;",  // RFC 4475 wsinv UnknownHeaderWithUnusualValue
      "\"unclosed, a",
      "a, \"unclosed",
      "\"a\\\", b",  // the only closing quote is escaped
      "<sip:a@b, c",
      "a, <sip:c@d",
      "<<sip:a@b>>",  // nested '<'
      "<sip:a@b <sip:c@d>>",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    EXPECT_FALSE(split(input, 32).ok);
  }
}

TEST(HeaderListTest, ElementsBeforeAnErrorAreReturned) {
  // The splitter is lazy: good elements come out before the bad one is reached.
  Split s = split("a, b,, c", 32);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.elements, (std::vector<std::string_view>{"a", "b"}));
}

TEST(HeaderListTest, MaxElements) {
  struct Case {
    std::string_view input;
    size_t max;
    bool ok;
    size_t elements_seen;
  };
  constexpr Case kCases[] = {
      {"a", 1, true, 1},      {"a,b,c", 3, true, 3},
      {"a,b,c", 2, false, 2}, {"a,b,c", 1, false, 1},
      {"a", 0, false, 0},     {"\"x,y,z\",<a,b,c>", 2, true, 2},  // hidden commas do not count
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(std::string(row.input) + " max " + std::to_string(row.max));
    Split s = split(row.input, row.max);
    EXPECT_EQ(s.ok, row.ok);
    EXPECT_EQ(s.elements.size(), row.elements_seen);
  }
}

TEST(HeaderListTest, ExhaustedSplitterStaysExhausted) {
  ListSplitter splitter("a", 4);
  std::string_view element;
  auto first = splitter.next(element);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(*first);
  EXPECT_EQ(element, "a");
  for (int i = 0; i < 3; ++i) {
    auto more = splitter.next(element);
    ASSERT_TRUE(more.has_value());
    EXPECT_FALSE(*more);
  }
}

TEST(HeaderListTest, ForEachElementVisitsInOrder) {
  std::vector<std::string> seen;
  auto r = for_each_element("x, \"y,z\", <w,v>", 8,
                            [&seen](std::string_view e) -> hardline::Result<void> {
                              seen.emplace_back(e);
                              return {};
                            });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(seen, (std::vector<std::string>{"x", "\"y,z\"", "<w,v>"}));
}

TEST(HeaderListTest, ForEachElementStopsAtTheFirstError) {
  struct Case {
    std::string_view input;
    size_t max;
    std::string_view failing;  // element the callback rejects; empty when none
    bool ok;
    size_t visited;
  };
  constexpr Case kCases[] = {
      {"a,b,c", 8, "", true, 3},
      {"a,b,c", 8, "b", false, 2},  // a callback error stops the walk
      {"a,,c", 8, "", false, 1},    // a splitter error stops the walk
      {"a,b,c", 2, "", false, 2},   // too many elements
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(std::string(row.input) + " max " + std::to_string(row.max) + " failing " +
                 std::string(row.failing));
    size_t visited = 0;
    auto r =
        for_each_element(row.input, row.max, [&](std::string_view e) -> hardline::Result<void> {
          ++visited;
          if (!row.failing.empty() && e == row.failing)
            return hardline::fail("rejected by callback");
          return {};
        });
    EXPECT_EQ(r.has_value(), row.ok);
    EXPECT_EQ(visited, row.visited);
    if (!row.ok && !row.failing.empty()) {
      EXPECT_EQ(r.error().what, "rejected by callback");
    }
  }
}

}  // namespace
