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
#   hardline dialplan test dialplan-tests.toml -c hardline.toml
#   hardline dialplan explain 0049301234567 --from 1000 -c hardline.toml
#   hardline dialplan graph --format table -c hardline.toml
#
# Calling out needs the group dialout: hardline user groups EXT --set dialout

# How numbers are written in this country (Germany here: adapt all three). Before any rule sees
# a dialled number, spaces, dashes, dots, slashes and brackets are removed, '+' becomes 00, and
# 0049 or +49 (with or without a 0 after it) becomes the national prefix 0: "+49 30 123",
# "0049-30-123" and "+49 (0)30 123" all reach the rules as 030123. So the rules below are
# written for national numbers, and a bar on 0900 holds for every way of writing 0900.
[dialplan]
country_code = "49"
national_prefix = "0"
international_prefix = "00"

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
# A caller ID from outside that looks like one of your extensions (1002) is shown as anonymous:
# nobody outside can pass for a colleague. ("prefix" with caller_id_prefix = "0..." puts such
# numbers in the provider's number space instead; "reject" refuses the call.)
caller_id_internal = "anonymous"
# Display names from the provider are shown behind this, so "Bob" from outside never looks
# like your colleague Bob.
caller_name_prefix = "provider: "
# Whether Hardline's own hop-count header may be sent to it (loop detection): not to providers.
trusted = false

# Internal numbers: extensions 100 to 9999 call each other.
[[dialplan.rule]]
name = "internal"
match = '[1-9][0-9]{2,3}'
action = "local"

# Premium-rate, mass-calling and other expensive numbers are refused for everyone, before any
# dial-out rule (German numbering; adapt to your country): 0900 premium rate, 0137 and 0138
# mass calling (televoting), 018x shared cost and user groups, 019x old premium and dial-up,
# 012 innovative services; abroad 00870 Inmarsat, 00881 to 00883 satellite and international
# networks, 00979 international premium rate, 00808 international shared cost. Numbers are
# normalised first (above), so 0049 900..., +49 900... and +49 (0)900... are refused here too.
[[dialplan.rule]]
name = "premium"
match = '0(900|13[78]|18|19|12)[0-9]*|00(870|88[1-3]|979|808)[0-9]*'
action = "reject"
status = 403
reason = "Premium-rate numbers are barred"

# Service codes in front of a number (*31#0900..., #31#...) never go to the provider: the
# provider might act on them, and the number behind them would escape the bar above.
[[dialplan.rule]]
name = "service-codes"
match = '[*#][0-9*]{1,6}#.*'
action = "reject"
status = 403
reason = "Service codes are not supported"

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

# National: 0 and an area code (+49... and 0049... arrive as 0...), for group dialout only.
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

std::string example_dialplan_tests_text() {
  return R"(# Tests of the example dialplan.toml: run them after every change, before a restart:
#   hardline dialplan test dialplan-tests.toml -c hardline.toml
# Each case is a call and the decision it must get ("reject 403" matches any 403). The accounts
# are given here, so no database is needed. Keep the premium cases when you adapt the dialplan:
# they prove that no way of writing a barred number reaches the provider.

[accounts]
"1000" = ["dialout"]
"1001" = []

# Internal calls.
[[case]]
number = "1001"
from = "1000"
expect = "local 1001"
rule = "internal"

# National calls, in every form, for the group dialout only.
[[case]]
number = "030123456"
from = "1000"
expect = "trunk provider 030123456"
rule = "national"

[[case]]
number = "+4930123456"
from = "1000"
expect = "trunk provider 030123456"
rule = "national"

[[case]]
number = "0049 30 123456"
from = "1000"
expect = "trunk provider 030123456"
rule = "national"

[[case]]
number = "+49 (0)30 123456"
from = "1000"
expect = "trunk provider 030123456"
rule = "national"

[[case]]
number = "030123456"
from = "1001"
expect = "reject 403"
rule = "no-dialout"

[[case]]
number = "+4930123456"
from = "1001"
expect = "reject 403"
rule = "no-dialout"

# International calls.
[[case]]
number = "0033123456789"
from = "1000"
expect = "trunk provider +33123456789"
rule = "international"

[[case]]
number = "+33 1 23 45 67 89"
from = "1000"
expect = "trunk provider +33123456789"
rule = "international"

[[case]]
number = "0033123456789"
from = "1001"
expect = "reject 403"
rule = "no-dialout"

# Premium-rate and mass-calling numbers: refused in every form a phone can write them.
[[case]]
number = "0900123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "0049900123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+49900123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+490900123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "00490900123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "004900900123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "0049 900 123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+49-900-123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+49 (0)900 / 123 456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "0900.123.456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "0137123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "0049137123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+49137123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+49138123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+49180123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+49190123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "0049123456789"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "00881123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+881123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+870123456"
from = "1000"
expect = "reject 403"
rule = "premium"

[[case]]
number = "+979123456"
from = "1000"
expect = "reject 403"
rule = "premium"

# Service codes in front of a number: never passed on, whatever follows.
[[case]]
number = "*31#0900123456"
from = "1000"
expect = "reject 403"
rule = "service-codes"

[[case]]
number = "*31#+49900123456"
from = "1000"
expect = "reject 403"
rule = "service-codes"

[[case]]
number = "#31#0049900123456"
from = "1000"
expect = "reject 403"
rule = "service-codes"

[[case]]
number = "*31#030123456"
from = "1000"
expect = "reject 403"
rule = "service-codes"
)";
}

}  // namespace hardline::config
