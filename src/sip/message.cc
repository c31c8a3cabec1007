#include "sip/message.h"

#include <algorithm>
#include <array>

namespace hardline::sip {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Method::kOther)> kMethodNames = {
    "INVITE", "ACK",     "BYE",  "CANCEL", "REGISTER", "OPTIONS", "SUBSCRIBE",
    "NOTIFY", "MESSAGE", "INFO", "REFER",  "UPDATE",   "PRACK",   "PUBLISH",
};

}  // namespace

Method lookup_method(std::string_view name) {
  for (size_t i = 0; i < kMethodNames.size(); ++i) {
    if (kMethodNames[i] == name) return static_cast<Method>(i);
  }
  return Method::kOther;
}

std::string_view method_name(Method method) {
  if (method == Method::kOther) return {};
  return kMethodNames[static_cast<size_t>(method)];
}

const Header* Message::find(HeaderId id) const {
  for (const Header& h : headers) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

size_t Message::count(HeaderId id) const {
  return static_cast<size_t>(
      std::count_if(headers.begin(), headers.end(), [id](const Header& h) { return h.id == id; }));
}

std::string_view Message::keep(std::string text) {
  owned_.push_back(std::move(text));
  return owned_.back();
}

void Message::add_header(HeaderId id, std::string_view value) {
  headers.push_back(Header{id, canonical_name(id), keep(std::string(value)), {}});
}

void Message::add_header(std::string_view name, std::string_view value) {
  headers.push_back(
      Header{lookup_header(name), keep(std::string(name)), keep(std::string(value)), {}});
}

size_t Message::remove_headers(HeaderId id) {
  size_t before = headers.size();
  std::erase_if(headers, [id](const Header& h) { return h.id == id; });
  return before - headers.size();
}

}  // namespace hardline::sip
