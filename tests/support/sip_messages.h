#pragma once
// Builds SIP messages for tests: lines joined with CRLF, then the empty line and the body.

#include <initializer_list>
#include <string>
#include <string_view>

namespace hardline::test {

inline std::string sip_message(std::initializer_list<std::string_view> lines,
                               std::string_view body = {}) {
  std::string out;
  for (std::string_view line : lines) out.append(line).append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

// A minimal valid request around the given start line and extra headers.
inline std::string request(std::string_view start_line,
                           std::initializer_list<std::string_view> extra = {},
                           std::string_view body = {}) {
  std::string out(start_line);
  out.append("\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n");
  out.append("From: <sip:alice@example.com>;tag=1928301774\r\n");
  out.append("To: <sip:bob@example.com>\r\n");
  out.append("Call-ID: a84b4c76e66710@pc33.example.com\r\n");
  for (std::string_view line : extra) out.append(line).append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

// The typical REGISTER of a desk phone, used by tests and benchmarks.
inline std::string typical_register() {
  return sip_message({
      "REGISTER sip:example.com SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---3bd2e4b2d7e5c1a8;rport",
      "Max-Forwards: 70",
      "Contact: "
      "<sip:201@192.0.2.10:5060;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:00000000-"
      "0000-1000-8000-0004f2a1b2c3>\"",
      "To: <sip:201@example.com>",
      "From: \"Desk 201\" <sip:201@example.com>;tag=8a3b9c2d",
      "Call-ID: 9f2c1d7e5a3b4c6d8e0f1a2b3c4d5e6f",
      "CSeq: 2 REGISTER",
      "Expires: 3600",
      "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE",
      "Supported: replaces, outbound, path",
      "User-Agent: DeskPhone",
      "Authorization: Digest "
      "username=\"201\",realm=\"example.com\",nonce=\"a1b2c3d4e5f60718293a4b5c6d7e8f90\",uri=\"sip:"
      "example.com\",response=\"0123456789abcdef0123456789abcdef\",algorithm=MD5,cnonce="
      "\"6b8b4567\",qop=auth,nc=00000001",
      "Content-Length: 0",
  });
}

// A typical INVITE with an SDP offer.
inline std::string typical_invite() {
  static const std::string_view sdp =
      "v=0\r\no=- 3912345678 3912345678 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
      "t=0 0\r\nm=audio 16384 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
      "a=sendrecv\r\n";
  std::string length = "Content-Length: " + std::to_string(sdp.size());
  return sip_message(
      {
          "INVITE sip:202@example.com SIP/2.0",
          "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---77c1a2b3c4d5e6f7;rport",
          "Max-Forwards: 70",
          "Contact: <sip:201@192.0.2.10:5060;transport=udp>",
          "To: <sip:202@example.com>",
          "From: \"Desk 201\" <sip:201@example.com>;tag=4f5e6d7c",
          "Call-ID: 1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f",
          "CSeq: 1 INVITE",
          "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE",
          "Content-Type: application/sdp",
          "Supported: replaces, timer",
          "User-Agent: DeskPhone",
          length,
      },
      sdp);
}

}  // namespace hardline::test
