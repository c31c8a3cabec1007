#include "guard/settings.h"

namespace hardline::guard {

std::vector<std::string> default_scanner_signatures() {
  // Where each comes from is in README.md; config/config.h repeats the list (a test compares).
  return {
      "friendly-scanner",  // SIPVicious svmap, svwar, svcrack: their default User-Agent
      "friendly-request",  // a SIPVicious variant seen in the wild
      "sipvicious",        // SIPVicious: the From display name of svmap
      "sipcli",            // sipcli: "sipcli/v1.8"
      "sip-scan",          // sip-scan
      "sipscan",           // SIPScan
      "pplsip",            // SIPPTS (sipscan, sipexten, sipcrack...): default User-Agent
      "sipptk",            // SIPPTS, the earlier Perl version
      "sundayddr",         // the sundayddr scanner
      "iwar",              // iWar, a SIP war dialer
      "sivus",             // SiVuS, a SIP vulnerability scanner
      "smap",              // smap, a SIP device mapper
      "vaxsipuseragent",   // VaxSIPUserAgent: the SDK behind many brute-force tools
      "vaxipuseragent",    // its misspelt twin, also seen in attacks
      "siparmyknife",      // SIP Army Knife, a fuzzer
  };
}

std::vector<Network> default_protected_networks() {
  // config/config.h repeats these (a test compares).
  Network v4;
  v4.base.bytes[0] = 127;
  v4.prefix = 8;
  Network v6;
  v6.base.v6 = true;
  v6.base.bytes[15] = 1;
  v6.prefix = 128;
  return {v4, v6};
}

}  // namespace hardline::guard
