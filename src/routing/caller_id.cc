#include "routing/caller_id.h"

#include <re2/re2.h>

namespace hardline::routing {

CallerId anonymous_caller_id() {
  return CallerId{"anonymous", "Anonymous", true};
}

std::string sanitize_display_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"' || c == '\\') continue;
    out += c;
  }
  const size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  out = out.substr(first, out.find_last_not_of(' ') - first + 1);
  if (out.size() > kMaxDisplayName) {
    size_t cut = kMaxDisplayName;
    // Never cut a UTF-8 sequence in half: back off over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

CallerId caller_id_for_account(std::string_view extension, std::string_view display_name) {
  return CallerId{std::string(extension), sanitize_display_name(display_name), false};
}

Result<CallerIdPolicy, std::string> CallerIdPolicy::make(std::string_view pattern,
                                                         config::CallerIdMismatch mismatch) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  CallerIdPolicy policy;
  policy.pattern_ =
      std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!policy.pattern_->ok()) {
    return tl::unexpected("caller_id_pattern does not compile: " + policy.pattern_->error());
  }
  policy.mismatch_ = mismatch;
  return policy;
}

CallerIdPolicy::CallerIdPolicy(CallerIdPolicy&&) noexcept = default;
CallerIdPolicy& CallerIdPolicy::operator=(CallerIdPolicy&&) noexcept = default;
CallerIdPolicy::~CallerIdPolicy() = default;

TrunkCallerId CallerIdPolicy::apply(std::string_view number, std::string_view display_name) const {
  const bool matches = number.size() <= 256 &&
                       RE2::FullMatch(re2::StringPiece(number.data(), number.size()), *pattern_);
  if (matches) {
    return TrunkCallerId{CallerIdVerdict::kKeep,
                         CallerId{std::string(number), sanitize_display_name(display_name), false}};
  }
  if (mismatch_ == config::CallerIdMismatch::kReject) return TrunkCallerId{};
  return TrunkCallerId{CallerIdVerdict::kAnonymous, anonymous_caller_id()};
}

}  // namespace hardline::routing
