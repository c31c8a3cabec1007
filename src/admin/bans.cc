#include "admin/bans.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <utility>

namespace hardline::admin {

namespace {

struct DurationUnit {
  char suffix;
  int64_t seconds;
};
// Largest first: a duration's parts come in this order.
constexpr std::array kDurationUnits{DurationUnit{'w', 604800}, DurationUnit{'d', 86400},
                                    DurationUnit{'h', 3600}, DurationUnit{'m', 60},
                                    DurationUnit{'s', 1}};
// Nine digits of weeks summed over five parts stay far inside int64_t.
constexpr size_t kMaxDurationDigits = 9;

// Decodes the UTF-8 code point at text[i] and advances i past it; nullopt (and i past one byte)
// for anything that is not the shortest encoding of a Unicode scalar value.
std::optional<char32_t> decode_utf8(std::string_view text, size_t& i) {
  const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  char32_t code = 0;
  char32_t minimum = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code = lead & 0x07, minimum = 0x10000;
  } else {
    ++i;
    return std::nullopt;
  }
  if (text.size() - i < length) {
    ++i;
    return std::nullopt;
  }
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return std::nullopt;
    }
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    ++i;
    return std::nullopt;
  }
  i += length;
  return code;
}

// What must not reach a log line: C0 and C1 controls, DEL, line and paragraph separators, and
// the marks and overrides that reorder how the rest of the line is displayed.
bool unprintable(char32_t code) {
  return code < 0x20 || (code >= 0x7F && code <= 0x9F) || code == 0x061C || code == 0x200E ||
         code == 0x200F || code == 0x2028 || code == 0x2029 || (code >= 0x202A && code <= 0x202E) ||
         (code >= 0x2066 && code <= 0x2069) || code == 0xFEFF;
}

std::string describe(const store::Ban& ban) {
  std::string kind = ban.automatic ? "automatic, repeat " + std::to_string(ban.repeats) : "manual";
  return kind + ": " + (ban.reason.empty() ? "no reason given" : printable(ban.reason));
}

Result<std::vector<store::Ban>, std::string> all_bans(store::Store& store) {
  auto bans = store.list_bans();
  if (!bans) return tl::unexpected(std::string(bans.error().what));
  return std::move(*bans);
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t next_unit = 0;  // units must come largest first, each at most once
  while (!text.empty()) {
    const size_t digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos || digits > kMaxDurationDigits) {
      return std::nullopt;
    }
    int64_t value = 0;
    std::from_chars(text.data(), text.data() + digits, value);
    const auto unit = std::find_if(kDurationUnits.begin() + static_cast<std::ptrdiff_t>(next_unit),
                                   kDurationUnits.end(),
                                   [&](const DurationUnit& u) { return u.suffix == text[digits]; });
    if (unit == kDurationUnits.end()) return std::nullopt;
    total += value * unit->seconds;
    next_unit = static_cast<size_t>(unit - kDurationUnits.begin()) + 1;
    text.remove_prefix(digits + 1);
  }
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds duration) {
  int64_t left = duration.count();
  if (left <= 0) return "0s";
  // Days are the largest unit shown: "365d" reads better than "52w1d".
  const std::array<std::pair<char, int64_t>, 4> units{
      {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};
  std::string out;
  int shown = 0;
  for (const auto& [suffix, seconds] : units) {
    const int64_t value = left / seconds;
    left %= seconds;
    if (shown > 0) {
      if (value > 0) out += std::to_string(value) + suffix;
      break;
    }
    if (value > 0) {
      out += std::to_string(value) + suffix;
      ++shown;
    }
  }
  return out;
}

std::string format_utc(int64_t unix_seconds) {
  const auto time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  if (gmtime_r(&time, &utc) == nullptr) return "?";
  std::array<char, 32> text{};
  const size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return length == 0 ? "?" : std::string(text.data(), length);
}

Result<Network, std::string> parse_ban_network(std::string_view text) {
  if (auto network = parse_network(text)) {
    // IPv4 sources are matched as IPv4: a ban written as IPv4-mapped IPv6 would never match.
    const auto& bytes = network->base.bytes;
    const bool mapped =
        network->base.v6 && network->prefix >= 96 &&
        std::all_of(bytes.begin(), bytes.begin() + 10, [](uint8_t b) { return b == 0; }) &&
        bytes[10] == 0xFF && bytes[11] == 0xFF;
    if (!mapped) return *network;
    IpAddress v4;
    std::copy(bytes.begin() + 12, bytes.end(), v4.bytes.begin());
    return tl::unexpected("'" + printable(text) + "' is an IPv4-mapped IPv6 network: ban " +
                          hardline::to_string(network_of(v4, network->prefix - 96)) + " instead");
  }
  const size_t slash = text.find('/');
  auto address = parse_ip_address(text.substr(0, slash));
  if (!address) {
    return tl::unexpected("not an IP address or network: '" + printable(text) +
                          "' (expected e.g. 192.0.2.7, 198.51.100.0/24 or 2001:db8:1:2::/64)");
  }
  const unsigned width = address->v6 ? 128 : 32;
  const std::string_view digits = text.substr(slash + 1);
  unsigned prefix = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (digits.empty() || digits.size() > 3 || ec != std::errc{} ||
      end != digits.data() + digits.size() || prefix > width) {
    return tl::unexpected("bad prefix length in '" + printable(text) + "': expected 0 to " +
                          std::to_string(width) + (address->v6 ? " for IPv6" : " for IPv4"));
  }
  const Network meant = network_of(*address, static_cast<uint8_t>(prefix));
  return tl::unexpected("'" + printable(text) +
                        "' has host bits set below the prefix: did you mean " +
                        hardline::to_string(meant) + "?");
}

Result<void, std::string> check_ban_reason(std::string_view reason) {
  size_t characters = 0;
  for (size_t i = 0; i < reason.size();) {
    const auto code = decode_utf8(reason, i);
    if (!code) return tl::unexpected(std::string("the reason is not valid UTF-8"));
    if (unprintable(*code)) {
      return tl::unexpected(std::string(
          "the reason may not hold control characters, line breaks or bidirectional marks (it "
          "goes on one log line)"));
    }
    if (++characters > kMaxBanReasonLength) {
      return tl::unexpected("the reason is longer than " + std::to_string(kMaxBanReasonLength) +
                            " characters");
    }
  }
  return {};
}

Result<store::Ban, std::string> add_ban(store::Store& store, const Network& network,
                                        int64_t now_unix, std::chrono::seconds duration,
                                        std::string reason) {
  if (network.prefix == 0) {
    return tl::unexpected("refusing to ban " + hardline::to_string(network) +
                          ": it holds every address, the operator's included; ban a narrower "
                          "network");
  }
  if (duration.count() <= 0) return tl::unexpected(std::string("the duration must be positive"));
  if (duration > kMaxBanDuration) {
    return tl::unexpected("a ban lasts at most " + format_duration(kMaxBanDuration) +
                          " (a forgotten ban ends on its own); block for good in the firewall");
  }
  if (auto checked = check_ban_reason(reason); !checked) return tl::unexpected(checked.error());

  store::Ban ban;
  ban.network = hardline::to_string(network);
  ban.created_at = now_unix;
  ban.until = now_unix + duration.count();
  ban.reason = std::move(reason);
  ban.automatic = false;
  auto existing = all_bans(store);
  if (!existing) return tl::unexpected(existing.error());
  for (const store::Ban& old : *existing) {
    if (old.network == ban.network) ban.repeats = old.repeats;
  }
  if (auto put = store.put_ban(ban); !put) return tl::unexpected(std::string(put.error().what));
  return ban;
}

Result<store::Ban, std::string> remove_ban(store::Store& store, const Network& network,
                                           int64_t now_unix, std::string_view why) {
  if (auto checked = check_ban_reason(why); !checked) return tl::unexpected(checked.error());
  const std::string text = hardline::to_string(network);
  auto existing = all_bans(store);
  if (!existing) return tl::unexpected(existing.error());
  const auto found = std::find_if(existing->begin(), existing->end(), [&](const store::Ban& ban) {
    return ban.network == text && ban.until > now_unix;
  });
  if (found == existing->end()) return tl::unexpected("no ban on " + text);
  auto removed = store.remove_ban(text);
  if (!removed) return tl::unexpected(std::string(removed.error().what));
  if (!*removed) return tl::unexpected("no ban on " + text);  // lifted meanwhile
  return *found;
}

Result<std::vector<store::Ban>, std::string> list_bans(store::Store& store, int64_t now_unix) {
  auto bans = all_bans(store);
  if (!bans) return bans;
  std::erase_if(*bans, [&](const store::Ban& ban) { return ban.until <= now_unix; });
  return bans;
}

std::string printable(std::string_view text) {
  std::string out;
  size_t characters = 0;
  for (size_t i = 0; i < text.size();) {
    if (characters++ == kMaxBanReasonLength) {
      out += "...";
      break;
    }
    const size_t start = i;
    const auto code = decode_utf8(text, i);
    if (!code || unprintable(*code)) {
      out += '?';
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

std::string ban_added_event(const store::Ban& ban, bool with_address) {
  return "security event: ban added " + (with_address ? printable(ban.network) : "for a source") +
         " until " + format_utc(ban.until) + " (" + describe(ban) + ")";
}

std::string ban_removed_event(const store::Ban& ban, std::string_view why, bool with_address) {
  std::string line = "security event: ban removed " +
                     (with_address ? printable(ban.network) : "for a source") + " (" +
                     (ban.automatic ? "automatic" : "manual") + " until " + format_utc(ban.until) +
                     ": " + (ban.reason.empty() ? "no reason given" : printable(ban.reason));
  if (!why.empty()) line += "; removed: " + printable(why);
  return line + ")";
}

}  // namespace hardline::admin
