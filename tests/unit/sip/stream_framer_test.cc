// Stream framing (RFC 3261 §18.3): Content-Length decides where a message ends on TCP/TLS.

#include <gtest/gtest.h>

#include "sip/parser.h"
#include "support/sip_messages.h"

using namespace hardline::sip;
using hardline::test::request;

namespace {

const std::string kStart = "MESSAGE sip:b@example.com SIP/2.0";

}  // namespace

TEST(StreamFramer, CompleteMessageAndTheNextOne) {
  std::string first = request(kStart, {"CSeq: 1 MESSAGE", "Content-Length: 5"}, "hello");
  std::string second = request(kStart, {"CSeq: 2 MESSAGE", "l: 3"}, "abc");
  std::string buffer = first + second;
  auto frame = frame_stream(buffer);
  ASSERT_TRUE(frame) << frame.error().reason;
  EXPECT_EQ(frame->skip, 0u);
  EXPECT_EQ(frame->size, first.size());
  auto m = parse_message(std::string_view(buffer).substr(0, frame->size), Framing::kStream);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->body, "hello");

  auto next = frame_stream(std::string_view(buffer).substr(frame->size));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->size, second.size());
}

TEST(StreamFramer, SaysHowManyBytesAreMissing) {
  std::string full = request(kStart, {"CSeq: 1 MESSAGE", "Content-Length: 10"}, "0123456789");
  for (size_t cut : {size_t{1}, size_t{4}, size_t{10}}) {
    SCOPED_TRACE(cut);
    auto frame = frame_stream(std::string_view(full).substr(0, full.size() - cut));
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->size, 0u);
    EXPECT_EQ(frame->need, cut);
  }
  // Headers not complete yet: at least one more byte.
  auto partial = frame_stream(std::string_view(full).substr(0, 40));
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->size, 0u);
  EXPECT_GE(partial->need, 1u);
}

TEST(StreamFramer, SkipsKeepAliveCrlfs) {
  std::string msg = request(kStart, {"CSeq: 1 MESSAGE", "Content-Length: 0"});
  auto frame = frame_stream("\r\n\r\n" + msg);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->skip, 4u);
  EXPECT_EQ(frame->size, msg.size());

  auto only = frame_stream("\r\n\r\n");
  ASSERT_TRUE(only);
  EXPECT_EQ(only->skip, 4u);
  EXPECT_EQ(only->size, 0u);
}

TEST(StreamFramer, FoldedContentLength) {
  std::string msg = request(kStart, {"CSeq: 1 MESSAGE", "Content-Length:\r\n 2"}, "hi");
  auto frame = frame_stream(msg);
  ASSERT_TRUE(frame) << frame.error().reason;
  EXPECT_EQ(frame->size, msg.size());
}

TEST(StreamFramer, UnframeableStreamsAreErrors) {
  struct Row {
    std::string name;
    std::string bytes;
    uint16_t status;
    ParseErrorCode code;
  };
  const std::vector<Row> rows = {
      {"no Content-Length", request(kStart, {"CSeq: 1 MESSAGE"}, "body"), 400,
       ParseErrorCode::kMissingContentLength},
      {"two Content-Length", request(kStart, {"CSeq: 1 MESSAGE", "Content-Length: 13", "l: 5"}),
       400, ParseErrorCode::kDuplicateHeader},
      {"negative Content-Length", request(kStart, {"CSeq: 1 MESSAGE", "Content-Length: -999"}), 400,
       ParseErrorCode::kBadContentLength},
      {"Content-Length past the size limit",
       request(kStart, {"CSeq: 1 MESSAGE", "Content-Length: 70000"}), 513,
       ParseErrorCode::kTooLarge},
      {"a response without Content-Length is dropped",
       "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n", 0,
       ParseErrorCode::kMissingContentLength},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto frame = frame_stream(row.bytes);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().status, row.status);
    EXPECT_EQ(frame.error().code, row.code);
  }
}

TEST(StreamFramer, EndlessHeadersHitTheSizeLimit) {
  Limits limits;
  limits.max_message_size = 1000;
  std::string junk = "OPTIONS sip:b@example.com SIP/2.0\r\n" + std::string(1200, 'x');
  auto frame = frame_stream(junk, limits);
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().status, 513);
}

TEST(StreamParse, ContentLengthMustMatchTheFrame) {
  std::string msg = request(kStart, {"CSeq: 1 MESSAGE", "Content-Length: 2"}, "hi!");
  auto m = parse_message(msg, Framing::kStream);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ParseErrorCode::kBadContentLength);
  const std::string no_length = request(kStart, {"CSeq: 1 MESSAGE"});
  auto missing = parse_message(no_length, Framing::kStream);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ParseErrorCode::kMissingContentLength);
}
