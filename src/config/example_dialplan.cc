// The example dialplan `hardline init` writes beside the config (dialplan.toml). Its tests parse
// it back and run `hardline dialplan check` on it.
#include "config/config.h"

namespace hardline::config {

std::string example_dialplan_text() {
  return R"(# Hardline dialplan, included from hardline.toml (dialplan.include = "dialplan.toml").
#
# Rules are tried from top to bottom. A rule decides a call when its match (an RE2 pattern for
# the whole dialled number) matches and its conditions hold: callers (default: authenticated
# accounts only), groups, sources, transports, times. When no rule decides, an authenticated
# account calling another local account is put through and everything else is refused.
# Reference: docs/dialplan.md. Try your changes before a restart:
#   hardline dialplan check -c hardline.toml
#   hardline dialplan explain 0049301234567 --from 1000 -c hardline.toml
#   hardline dialplan graph --format table -c hardline.toml
#
# Calling out needs the group dialout: hardline user groups EXT --set dialout

# A placeholder provider: put in your provider's host, username and password. The .invalid name
# never resolves, so no call leaves this server until you do.
[[trunk]]
name = "provider"
host = "sip.provider.invalid"
port = 5060
transport = "udp"
username = ""
password = ""
# The provider's addresses: its calls are recognised by source address, never by headers.
sources = []
# Caller IDs from the provider that do not match this are rewritten to anonymous.
caller_id_pattern = '^\+?[0-9A-D]{1,32}$'
caller_id_mismatch = "anonymous"
# Whether Hardline's own hop-count header may be sent to it (loop detection): not to providers.
trusted = false

# Internal numbers: extensions 100 to 9999 call each other.
[[dialplan.rule]]
name = "internal"
match = '[1-9][0-9]{2,3}'
action = "local"

# Premium-rate and other expensive numbers are refused for everyone, before any dial-out rule:
# national 0900, 0137, 0180, 0190 (German numbering; adapt to your country) and international
# satellite and shared-cost networks (+881, +882, +883).
[[dialplan.rule]]
name = "premium"
match = '0(900|137|180|190)[0-9]*|00(881|882|883)[0-9]*'
action = "reject"
status = 403
reason = "Premium-rate numbers are barred"

# International: 00 and a country code, sent to the provider as +CC..., for group dialout only.
# A few calls at a time, a few an hour, an hour at most: what stops a stolen password from
# running up a bill overnight.
[[dialplan.rule]]
name = "international"
match = '00([1-9][0-9]{6,14})'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]
max_concurrent = 2
max_per_hour = 10
max_duration = 3600

# National: 0 and an area code, for group dialout only.
[[dialplan.rule]]
name = "national"
match = '0[1-9][0-9]{5,13}'
action = "trunk"
trunk = "provider"
groups = ["dialout"]
max_concurrent = 2
max_per_hour = 20
max_duration = 7200

# Every other account that dials out is told why.
[[dialplan.rule]]
name = "no-dialout"
match = '0[0-9]*'
action = "reject"
status = 403
reason = "Outside calls need the dialout group"
)";
}

}  // namespace hardline::config
