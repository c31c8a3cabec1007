#include "call/dialog.h"

#include "sip/response.h"

namespace hardline::call {

ResponseBasis make_basis(const sip::Message& request, const Endpoint& source) {
  ResponseBasis basis;
  basis.head.reserve(256);
  for (size_t i = 0; i < request.vias.size(); ++i) {
    basis.head.append("Via: ");
    if (i == 0) {
      basis.head.append(sip::stamp_top_via(request.vias[i], source));
    } else {
      basis.head.append(request.vias[i].text);
    }
    basis.head.append("\r\n");
  }
  if (const sip::Header* from = request.find(sip::HeaderId::kFrom)) {
    basis.head.append("From: ").append(from->value).append("\r\n");
  }
  if (const sip::Header* to = request.find(sip::HeaderId::kTo)) basis.to = std::string(to->value);
  basis.to_has_tag = request.to.tag().has_value();
  basis.tail.append("Call-ID: ").append(request.call_id).append("\r\n");
  if (const sip::Header* cseq = request.find(sip::HeaderId::kCSeq)) {
    basis.tail.append("CSeq: ").append(cseq->value).append("\r\n");
  }
  return basis;
}

std::string_view via_transport(const Endpoint& peer) {
  return peer.protocol == Protocol::kTcp ? "TCP" : "UDP";
}

std::string contact_for(const Dialog& dialog) {
  std::string out = "<sip:";
  out.append(dialog.local_address)
      .append(dialog.peer.protocol == Protocol::kTcp ? ";transport=tcp>" : ";transport=udp>");
  return out;
}

std::string build_response(const ResponseBasis& basis, uint16_t status, std::string_view reason,
                           std::string_view to_tag, std::string_view headers,
                           std::string_view body) {
  std::string out;
  out.reserve(160 + basis.head.size() + basis.to.size() + basis.tail.size() + headers.size() +
              body.size());
  out.append("SIP/2.0 ").append(std::to_string(status)).append(" ").append(reason).append("\r\n");
  out.append(basis.head);
  out.append("To: ").append(basis.to);
  if (!basis.to_has_tag && status > 100 && !to_tag.empty()) out.append(";tag=").append(to_tag);
  out.append("\r\n").append(basis.tail).append(headers);
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

namespace {

void append_via(std::string& out, const Dialog& dialog, std::string_view branch) {
  out.append("Via: SIP/2.0/")
      .append(via_transport(dialog.peer))
      .append(" ")
      .append(dialog.local_address)
      .append(";branch=")
      .append(branch)
      .append(";rport\r\n");
}

void append_routes(std::string& out, const Dialog& dialog) {
  for (const std::string& route : dialog.route_set)
    out.append("Route: ").append(route).append("\r\n");
}

}  // namespace

std::string build_request(const Dialog& dialog, std::string_view method, uint32_t cseq,
                          std::string_view branch, uint32_t max_forwards, std::string_view headers,
                          std::string_view body) {
  std::string out;
  out.reserve(320 + dialog.remote_target.size() + dialog.local_party.size() +
              dialog.remote_party.size() + headers.size() + body.size());
  out.append(method).append(" ").append(dialog.remote_target).append(" SIP/2.0\r\n");
  append_via(out, dialog, branch);
  out.append("Max-Forwards: ").append(std::to_string(max_forwards)).append("\r\n");
  append_routes(out, dialog);
  out.append("From: ").append(dialog.local_party).append("\r\n");
  out.append("To: ").append(dialog.remote_party).append("\r\n");
  out.append("Call-ID: ").append(dialog.call_id).append("\r\n");
  out.append("CSeq: ").append(std::to_string(cseq)).append(" ").append(method).append("\r\n");
  if (method == "INVITE" || method == "UPDATE") {
    out.append("Contact: ").append(contact_for(dialog)).append("\r\n");
  }
  out.append(headers);
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

std::string build_cancel(const Dialog& dialog, std::string_view to_without_tag, uint32_t cseq,
                         std::string_view branch) {
  std::string out;
  out.reserve(256 + dialog.remote_target.size() + dialog.local_party.size());
  out.append("CANCEL ").append(dialog.remote_target).append(" SIP/2.0\r\n");
  append_via(out, dialog, branch);
  out.append("Max-Forwards: 70\r\n");
  append_routes(out, dialog);
  out.append("From: ").append(dialog.local_party).append("\r\n");
  out.append("To: ").append(to_without_tag).append("\r\n");
  out.append("Call-ID: ").append(dialog.call_id).append("\r\n");
  out.append("CSeq: ").append(std::to_string(cseq)).append(" CANCEL\r\n");
  out.append("Content-Length: 0\r\n\r\n");
  return out;
}

}  // namespace hardline::call
