#pragma once
// Headers with a single scalar or short structured value: CSeq, Max-Forwards, Expires,
// Content-Length, Content-Type, Call-ID, Date, Retry-After, Warning, and option-tag lists.

#include <cstdint>
#include <string_view>

#include "common/result.h"
#include "sip/params.h"

namespace hardline::sip {

struct CSeq {
  uint32_t number = 0;      // 0..2^32-1 (RFC 3261 §8.1.1.5)
  std::string_view method;  // a token, case-sensitive
};
Result<CSeq> parse_cseq(std::string_view value);

// delta-seconds (Expires, Min-Expires): 1*DIGIT, at most 2^32-1.
Result<uint32_t> parse_delta_seconds(std::string_view value);

// Max-Forwards: 1*DIGIT, 0..255.
Result<uint8_t> parse_max_forwards(std::string_view value);

// Content-Length: 1*DIGIT, at most 2^32-1 (the message size limit bounds it further).
Result<uint32_t> parse_content_length(std::string_view value);

struct MediaType {
  std::string_view type;
  std::string_view subtype;
  ParamList params;
};
Result<MediaType> parse_media_type(std::string_view value);

// callid = word [ "@" word ]
bool is_call_id(std::string_view value);

// rfc1123-date with the GMT zone that RFC 3261 §20.17 requires.
bool is_sip_date(std::string_view value);

// Retry-After: delta-seconds [ comment ] *( SEMI retry-param ); returns the delta-seconds.
Result<uint32_t> parse_retry_after(std::string_view value);

// One Warning element: warn-code (3 digits) SP warn-agent SP warn-text.
bool is_warning_value(std::string_view element);

}  // namespace hardline::sip
