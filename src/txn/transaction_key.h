#pragma once
// Transaction keys (RFC 3261 §17.1.3, §17.2.3). A key is a std::string that owns its bytes, so a
// table entry outlives the message buffer it was computed from. Builders write into a string
// the caller reuses, so a lookup allocates nothing once that string has grown.
//
// Fields are length-prefixed, so no field can imitate another by containing a separator.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/endpoint.h"
#include "common/siphash.h"
#include "sip/message.h"

namespace hardline::txn {

inline constexpr std::string_view kMagicCookie = "z9hG4bK";

// True when the request's top Via carries a branch starting with the magic cookie: it came from
// an RFC 3261 client, and the branch alone (with sent-by and method) identifies the transaction.
bool has_rfc3261_branch(const sip::Message& message);

// The key of the server transaction a request belongs to, as if its method were `method`: the
// request's own method normally, "INVITE" for an ACK (which matches the INVITE's transaction)
// and for finding the INVITE a CANCEL cancels (§9.2).
//  RFC 3261: top-Via branch, sent-by (host in lower case, port as written), method.
//  RFC 2543 fallback: Request-URI, To tag, From tag, Call-ID, CSeq number, method and top Via
//  (transport and host in lower case, port, parameters as received). URIs and parameters are
//  compared byte for byte: a retransmission repeats them exactly.
void make_server_key(const sip::Message& request, std::string_view method, std::string& out);

// RFC 2543 fallback with `to_tag` in place of the request's To tag: an ACK carries the To tag of
// the response, not of the INVITE. Fails over to make_server_key for an RFC 3261 request.
void make_server_key(const sip::Message& request, std::string_view method, std::string_view to_tag,
                     std::string& out);

// The key of a client transaction: the branch of the top Via it sent and its method. A response
// matches through its top-Via branch and CSeq method (CANCEL shares the INVITE's branch).
void make_client_key(std::string_view branch, std::string_view method, std::string& out);

// The hash of the layer's tables (common/siphash.h): keyed with a secret drawn once per layer.
using KeyHash = KeyedHash;

}  // namespace hardline::txn
