#pragma once
// SIP account passwords: generated at random, or checked before a person's choice is accepted.
// Neither function ever puts the password in what it returns besides the password itself.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hardline::auth {

// The generator's symbols: letters and digits but the look-alikes 0 O 1 l I, and 13 punctuation
// marks that a quoted-string, an XML provisioning file or a TOML string takes as they are (no
// quote, backslash, space, '&', '<', '>', '#', '$', '`'). 70 symbols: 6.1 bits each.
inline constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!%*+-.:=?@^_~";

inline constexpr size_t kMinGeneratedLength = 20;
inline constexpr size_t kDefaultGeneratedLength = 24;  // 147 bits
inline constexpr size_t kMinPasswordLength = 12;
inline constexpr size_t kMaxPasswordLength = 128;  // bounds the strength estimator's work

// A uniformly random password of `length` symbols of kPasswordAlphabet (rejection sampling over
// RAND_bytes). A length below kMinGeneratedLength is raised to it. Aborts if OpenSSL has no
// randomness: it is only called from the command line and the admin API, never per packet.
std::string generate_password(size_t length = kDefaultGeneratedLength);

// As above, drawn again until check_password_strength() accepts it for this account (a random
// password may, rarely, contain a short extension).
std::string generate_password_for(std::string_view extension, std::string_view domain,
                                  size_t length = kDefaultGeneratedLength);

// Accepts a password chosen by a person, or says why not in one English sentence that never
// quotes it. Refused: shorter than kMinPasswordLength or longer than kMaxPasswordLength, control
// characters, containing the extension (3 characters or more) or the domain or one of its labels
// of 4 characters or more (case-insensitive), or a zxcvbn score below 3 (fewer than 10^8 guesses).
Result<void, std::string> check_password_strength(std::string_view password,
                                                  std::string_view extension,
                                                  std::string_view domain);

// zxcvbn's 0..4 score for an estimated entropy in bits: guesses = 2^bits, then < 10^3 gives 0,
// < 10^6 1, < 10^8 2, < 10^10 3, otherwise 4 (the thresholds of zxcvbn's guesses_to_score).
int zxcvbn_score(double entropy_bits);

}  // namespace hardline::auth
