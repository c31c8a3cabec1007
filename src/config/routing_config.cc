#include "config/routing_config.h"

#include <array>
#include <cstdio>

namespace hardline::config {
namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"Mon", "Tue", "Wed", "Thu",
                                                           "Fri", "Sat", "Sun"};

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::optional<uint8_t> weekday(std::string_view text) {
  if (text.size() != 3) return std::nullopt;
  std::string lower(text);
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  for (size_t i = 0; i < kWeekdays.size(); ++i) {
    if (kWeekdays[i] == lower) return static_cast<uint8_t>(i);
  }
  return std::nullopt;
}

// "HH:MM" to minutes; 24:00 only when `allow_end`.
std::optional<uint16_t> clock_time(std::string_view text, bool allow_end) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59) return std::nullopt;
  if (hours == 24 && minutes == 0 && allow_end) return static_cast<uint16_t>(1440);
  if (hours > 23) return std::nullopt;
  return static_cast<uint16_t>(hours * 60 + minutes);
}

std::string clock_text(uint16_t minutes) {
  char out[8];
  std::snprintf(out, sizeof out, "%02u:%02u", static_cast<unsigned>(minutes / 60),
                static_cast<unsigned>(minutes % 60));
  return out;
}

// "Mon-Fri", "Sat,Sun", "Mon-Wed,Fri" to a bit set.
std::optional<uint8_t> weekday_set(std::string_view text) {
  uint8_t set = 0;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t dash = item.find('-');
    auto first = weekday(trim(item.substr(0, dash)));
    if (!first) return std::nullopt;
    uint8_t last = *first;
    if (dash != std::string_view::npos) {
      auto end = weekday(trim(item.substr(dash + 1)));
      if (!end) return std::nullopt;
      last = *end;
    }
    // "Fri-Mon" runs over the weekend.
    for (uint8_t day = *first;; day = static_cast<uint8_t>((day + 1) % 7)) {
      set = static_cast<uint8_t>(set | (1U << day));
      if (day == last) break;
    }
  }
  return set == 0 ? std::nullopt : std::optional<uint8_t>(set);
}

}  // namespace

std::string_view transport_name(Transport transport) {
  switch (transport) {
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
    case Transport::kUdp:
      break;
  }
  return "udp";
}

std::optional<Transport> parse_transport(std::string_view text) {
  if (text == "udp") return Transport::kUdp;
  if (text == "tcp") return Transport::kTcp;
  if (text == "tls") return Transport::kTls;
  return std::nullopt;
}

std::optional<LocalTime> parse_local_time(std::string_view text) {
  text = trim(text);
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto day = weekday(text.substr(0, space));
  auto minute = clock_time(trim(text.substr(space + 1)), false);
  if (!day || !minute) return std::nullopt;
  return LocalTime{*day, *minute};
}

std::string to_string(const LocalTime& time) {
  return std::string(kWeekdayNames[time.weekday % 7]) + " " + clock_text(time.minute);
}

bool TimeWindow::contains(const LocalTime& time) const {
  if ((weekdays & (1U << (time.weekday % 7))) == 0) return false;
  if (from < to) return time.minute >= from && time.minute < to;
  if (from == to) return true;  // only 00:00-24:00 normalises to this; a whole day
  return time.minute >= from || time.minute < to;
}

std::optional<TimeWindow> parse_time_window(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  TimeWindow window;
  std::string_view days;
  std::string_view hours;
  const bool starts_with_digit = text.front() >= '0' && text.front() <= '9';
  if (starts_with_digit) {
    hours = text;
  } else {
    const size_t space = text.find(' ');
    days = text.substr(0, space);
    if (space != std::string_view::npos) hours = trim(text.substr(space + 1));
    auto set = weekday_set(days);
    if (!set) return std::nullopt;
    window.weekdays = *set;
  }
  if (!hours.empty()) {
    const size_t dash = hours.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto from = clock_time(trim(hours.substr(0, dash)), false);
    auto to = clock_time(trim(hours.substr(dash + 1)), true);
    if (!from || !to || *from == *to) return std::nullopt;
    window.from = *from;
    window.to = *to;
  }
  return window;
}

std::string to_string(const TimeWindow& window) {
  std::string out;
  if (window.weekdays != 0x7f) {
    for (size_t day = 0; day < 7; ++day) {
      if ((window.weekdays & (1U << day)) == 0) continue;
      if (!out.empty()) out += ",";
      out += kWeekdayNames[day];
    }
  }
  if (window.from != 0 || window.to != 1440) {
    if (!out.empty()) out += " ";
    out += clock_text(window.from) + "-" + clock_text(window.to);
  }
  return out.empty() ? "always" : out;
}

std::string_view internal_caller_id_name(InternalCallerId action) {
  switch (action) {
    case InternalCallerId::kPrefix:
      return "prefix";
    case InternalCallerId::kReject:
      return "reject";
    case InternalCallerId::kAnonymous:
      break;
  }
  return "anonymous";
}

std::string_view rule_action_name(RuleAction action) {
  switch (action) {
    case RuleAction::kLocal:
      return "local";
    case RuleAction::kTrunk:
      return "trunk";
    case RuleAction::kReject:
      break;
  }
  return "reject";
}

std::string_view status_phrase(uint16_t status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 480:
      return "Temporarily Unavailable";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 488:
      return "Not Acceptable Here";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    default:
      break;
  }
  return "";
}

}  // namespace hardline::config
