#pragma once
// Reason phrases Hardline writes. A relayed response gets ours, never the peer's text.

#include <cstdint>
#include <string_view>

#include "sip/response.h"

namespace hardline::call {

inline std::string_view reason_for(uint16_t status) {
  switch (status) {
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 202:
      return "Accepted";
    case 410:
      return "Gone";
    case 415:
      return "Unsupported Media Type";
    case 484:
      return "Address Incomplete";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 502:
      return "Bad Gateway";
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
  const std::string_view reason = sip::default_reason(status);
  if (reason != "Unknown") return reason;
  if (status < 200) return "Session Progress";
  if (status < 300) return "OK";
  return "Failed";
}

}  // namespace hardline::call
