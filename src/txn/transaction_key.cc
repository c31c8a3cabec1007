#include "txn/transaction_key.h"

#include <cstdint>

namespace hardline::txn {
namespace {

// Key kinds, the first byte of every key.
constexpr char kServer3261 = 'S';
constexpr char kServer2543 = 'L';
constexpr char kClient = 'C';

void put_length(uint32_t n, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
}

void put(std::string_view field, std::string& out) {
  put_length(static_cast<uint32_t>(field.size()), out);
  out.append(field);
}

void put_lower(std::string_view field, std::string& out) {
  put_length(static_cast<uint32_t>(field.size()), out);
  for (char c : field) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c);
}

void put_port(const sip::Via& via, std::string& out) {
  put_length(via.has_port ? via.port : UINT32_MAX, out);
}

void make_2543_key(const sip::Message& request, std::string_view method, std::string_view to_tag,
                   std::string& out) {
  out.clear();
  out.push_back(kServer2543);
  put(method, out);
  put(request.request_uri.text, out);
  put(to_tag, out);
  put(request.from.tag().value_or(std::string_view{}), out);
  put(request.call_id, out);
  put_length(request.cseq.number, out);
  if (request.vias.empty()) {
    put({}, out);
    return;
  }
  const sip::Via& via = request.vias.front();
  put_lower(via.transport, out);
  put_lower(via.host, out);
  put_port(via, out);
  put(via.params.text(), out);
}

}  // namespace

bool has_rfc3261_branch(const sip::Message& message) {
  return !message.vias.empty() && message.vias.front().branch &&
         message.vias.front().branch->starts_with(kMagicCookie);
}

void make_server_key(const sip::Message& request, std::string_view method, std::string& out) {
  if (!has_rfc3261_branch(request)) {
    make_2543_key(request, method, request.to.tag().value_or(std::string_view{}), out);
    return;
  }
  const sip::Via& via = request.vias.front();
  out.clear();
  out.push_back(kServer3261);
  put(method, out);
  put(*via.branch, out);
  put_lower(via.host, out);
  put_port(via, out);
}

void make_server_key(const sip::Message& request, std::string_view method, std::string_view to_tag,
                     std::string& out) {
  if (has_rfc3261_branch(request)) {
    make_server_key(request, method, out);
    return;
  }
  make_2543_key(request, method, to_tag, out);
}

void make_client_key(std::string_view branch, std::string_view method, std::string& out) {
  out.clear();
  out.push_back(kClient);
  put(method, out);
  put(branch, out);
}

}  // namespace hardline::txn
