#pragma once
// The SIP message model: start line, headers in received order, body, and the typed values the
// parser has checked. Every view points into the received buffer or into the message's own
// storage, so the buffer must outlive the Message.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/auth_headers.h"
#include "sip/header_names.h"
#include "sip/name_addr.h"
#include "sip/scalar_headers.h"
#include "sip/uri.h"
#include "sip/via.h"

namespace hardline::sip {

enum class Method : uint8_t {
  kInvite,
  kAck,
  kBye,
  kCancel,
  kRegister,
  kOptions,
  kSubscribe,
  kNotify,
  kMessage,
  kInfo,
  kRefer,
  kUpdate,
  kPrack,
  kPublish,
  kOther,  // an extension method: a valid token the server may answer with 501
};

// Methods are case-sensitive (RFC 3261 §7.1): "invite" is an extension method.
Method lookup_method(std::string_view name);
std::string_view method_name(Method method);  // empty for kOther

struct Header {
  HeaderId id = HeaderId::kOther;
  std::string_view name;   // as received ("v", "MaX-fOrWaRdS")
  std::string_view value;  // unfolded, without surrounding whitespace
  std::string_view raw;    // the whole field as received, folding and CRLF included;
                           // empty for a header Hardline added or changed
};

class Message {
 public:
  Message() = default;
  Message(Message&&) = default;
  Message& operator=(Message&&) = default;
  // Views point into owned_; a copy would leave them pointing into the original.
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  bool is_request = true;
  std::string_view start_line;  // as received, CRLF included; empty once changed

  // Request line.
  std::string_view method_text;
  Method method = Method::kOther;
  Uri request_uri;

  // Status line.
  uint16_t status = 0;
  std::string_view reason;

  std::vector<Header> headers;  // in received order
  std::string_view body;

  // Typed values, filled and checked by the parser.
  std::vector<Via> vias;  // every Via value, top first
  NameAddr from;
  NameAddr to;
  std::string_view call_id;
  CSeq cseq;
  std::optional<uint8_t> max_forwards;
  std::optional<uint32_t> expires;
  std::optional<uint32_t> min_expires;
  std::optional<uint32_t> content_length;
  std::optional<MediaType> content_type;
  bool contact_star = false;  // "Contact: *"
  std::vector<Contact> contacts;
  std::vector<NameAddr> routes;
  std::vector<NameAddr> record_routes;
  std::vector<std::string_view> require, proxy_require, supported, unsupported, allow;
  std::vector<AuthHeader> authorizations, proxy_authorizations;
  std::vector<AuthHeader> www_authenticates, proxy_authenticates;
  std::optional<std::string_view> user_agent;
  std::optional<std::string_view> server;

  // The first header with this id, or nullptr.
  const Header* find(HeaderId id) const;
  size_t count(HeaderId id) const;

  // Keeps text alive as long as the message and returns a view of it: for unfolded values and
  // for headers that code adds or changes.
  std::string_view keep(std::string text);

  // Edits for the serializer. The typed values above are not updated by these.
  void add_header(HeaderId id, std::string_view value);
  void add_header(std::string_view name, std::string_view value);
  size_t remove_headers(HeaderId id);  // returns how many were removed

 private:
  std::deque<std::string> owned_;  // a deque never moves its elements, so views stay valid
};

}  // namespace hardline::sip
