#include "routing/caller_id.h"

#include <re2/re2.h>

namespace hardline::routing {

CallerId anonymous_caller_id() {
  return CallerId{"anonymous", "Anonymous", true};
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

Result<CallerIdPolicy, std::string> CallerIdPolicy::make(const config::Trunk& trunk) {
  auto policy = make(trunk.caller_id_pattern, trunk.caller_id_mismatch);
  if (!policy) return policy;
  policy->internal_ = trunk.caller_id_internal;
  policy->number_prefix_ = trunk.caller_id_prefix;
  policy->name_prefix_ =
      trunk.caller_name_prefix.empty() ? trunk.name + ": " : trunk.caller_name_prefix;
  if (policy->internal_ == config::InternalCallerId::kPrefix && policy->number_prefix_.empty()) {
    return tl::unexpected(std::string("caller_id_internal = \"prefix\" needs caller_id_prefix"));
  }
  return policy;
}

CallerIdPolicy::CallerIdPolicy(CallerIdPolicy&&) noexcept = default;
CallerIdPolicy& CallerIdPolicy::operator=(CallerIdPolicy&&) noexcept = default;
CallerIdPolicy::~CallerIdPolicy() = default;

TrunkCallerId CallerIdPolicy::apply(std::string_view number, std::string_view display_name,
                                    const LooksInternal& looks_internal) const {
  const bool matches = number.size() <= 256 &&
                       RE2::FullMatch(re2::StringPiece(number.data(), number.size()), *pattern_);
  if (!matches) {
    if (mismatch_ == config::CallerIdMismatch::kReject) return TrunkCallerId{};
    return TrunkCallerId{CallerIdVerdict::kAnonymous, anonymous_caller_id()};
  }
  std::string shown(number);
  const bool internal = looks_internal && looks_internal(number);
  if (internal) {
    switch (internal_) {
      case config::InternalCallerId::kReject:
        return TrunkCallerId{CallerIdVerdict::kReject, {}, true};
      case config::InternalCallerId::kPrefix:
        shown = number_prefix_ + shown;
        // A prefix that leaves it internal-looking (a badly chosen one) protects nobody.
        if (!looks_internal(shown)) break;
        [[fallthrough]];
      case config::InternalCallerId::kAnonymous:
        return TrunkCallerId{CallerIdVerdict::kAnonymous, anonymous_caller_id(), true};
    }
  }
  // The prefix goes in before sanitizing, so that the whole stays within the length limit; an
  // empty name stays empty (the phone then shows the number, which is not internal).
  const std::string name = sanitize_display_name(display_name);
  return TrunkCallerId{
      CallerIdVerdict::kKeep,
      CallerId{std::move(shown), name.empty() ? name : sanitize_display_name(name_prefix_ + name),
               false},
      internal};
}

}  // namespace hardline::routing
