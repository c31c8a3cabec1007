#pragma once
// One leg's dialog as Hardline holds it (RFC 3261 §12), and the messages built from it: requests
// inside the dialog, ACKs, CANCELs, and responses to a request received on the leg. Everything
// written here comes from this leg's own state, so nothing of the other leg can leak into it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"
#include "sip/message.h"

namespace hardline::call {

struct Dialog {
  std::string call_id;
  std::string local_tag;      // ours: 16 hex digits
  std::string local_party;    // our From (as UAC) or To (as UAS) value, tag included
  std::string remote_party;   // the peer's, its tag included once known
  std::string remote_target;  // the Request-URI of requests we send: the peer's Contact URI
  std::vector<std::string> route_set;  // Route values for requests we send
  uint32_t local_cseq = 0;
  uint32_t remote_cseq = 0;
  Endpoint peer;              // where requests go (the peer's source address and connection)
  std::string local_address;  // "host:port" of ours toward the peer, for Via and Contact
  std::string remote_tag;     // empty until known
  // The last ACK this side was sent for a 2xx (and that 2xx's CSeq), sent again for each
  // retransmission of the 2xx.
  std::string ack;
  uint32_t ack_cseq = 0;
};

// What a response to a request copies from it (RFC 3261 §8.2.6), held beyond the request: the
// Via lines (the top one stamped with received/rport), From, To (as received) and the
// Call-ID and CSeq lines.
struct ResponseBasis {
  std::string head;  // "Via: ...\r\n" lines and "From: ...\r\n"
  std::string to;    // the To value
  std::string tail;  // "Call-ID: ...\r\nCSeq: ...\r\n"
  bool to_has_tag = false;
};

ResponseBasis make_basis(const sip::Message& request, const Endpoint& source);

// The transport token of Via and Contact: "UDP" or "TCP".
std::string_view via_transport(const Endpoint& peer);

// Hardline's Contact toward a peer: "<sip:ADDRESS;transport=udp>".
std::string contact_for(const Dialog& dialog);

// A response on this leg: status line, the basis (To with `to_tag` added when it had none and
// the status is above 100), `headers` (complete "Name: value\r\n" lines), Content-Length and
// the body.
std::string build_response(const ResponseBasis& basis, uint16_t status, std::string_view reason,
                           std::string_view to_tag, std::string_view headers,
                           std::string_view body);

// A request inside the dialog (or the dialog-creating INVITE): request line to remote_target,
// Via with `branch`, Max-Forwards, the route set, From/To, Call-ID, CSeq `cseq` `method`,
// Contact (for INVITE and UPDATE), `headers` (complete lines), Content-Length and the body.
std::string build_request(const Dialog& dialog, std::string_view method, uint32_t cseq,
                          std::string_view branch, uint32_t max_forwards, std::string_view headers,
                          std::string_view body);

// The CANCEL of an INVITE sent on this dialog (RFC 3261 §9.1): the same Request-URI, Call-ID,
// From, To (without the peer's tag), CSeq number, Via branch and route set.
std::string build_cancel(const Dialog& dialog, std::string_view to_without_tag, uint32_t cseq,
                         std::string_view branch);

}  // namespace hardline::call
