"""Issue 12, items 2 and 4, as the attacker tried them, through the real binary on the example
dialplan `hardline init` writes, its placeholder trunk pointed at a SIPp provider on 127.0.0.5.

- Premium numbers in every form a phone can write them (+49, 0049, +49 (0), spaces, dashes,
  a *31# prefix) never reach the provider from a dialout account; an ordinary national call
  does (so the trunk works). The example's own `dialplan test` file passes, and `dialplan
  check` and `audit` warn about a dialplan that bars premium numbers in national form only.
- A call from the trunk with caller ID 1002 and display name "Colleague" (with U+202E and
  U+200B in it) does not reach the phone as internal extension 1002, and a trunk's display name
  reaches it labelled, without format characters, and marked as external (Alert-Info).
"""
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import DOMAIN, HARDLINE, Deployment, SipClient, free_port, run, tool
from test_calls import head, header, messages, read, scenario
from test_trunks import Phone

CALLER_ADDRESS = "127.0.0.3"
CALLEE_ADDRESS = "127.0.0.2"
PROVIDER_ADDRESS = "127.0.0.5"

# Inbound calls need a rule that admits the trunk; the example has none (it has no numbers of
# its own). Written so that it matches whether or not the number is normalised.
DID_RULE = """
[[dialplan.rule]]
name = "did"
match = '(\\+49|0)30555(0[0-9])'
action = "local"
to = "10$2"
callers = ["trunk:provider"]
"""

# What the attacker dialled: every form of a German premium-rate (0900) or mass-calling (0137)
# number, URI-escaped as a phone sends it.
PREMIUM_FORMS = [
    "0900123456",            # national: barred before the fix too
    "0049900123456",         # international with 00
    "+49900123456",          # international with +
    "0049137123456",         # mass calling, 00
    "+49137123456",          # mass calling, +
    "+490900123456",         # +49 (0) 900: the national prefix after the country code
    "00490900123456",
    "0049%20900%20123456",   # spaces
    "+49-900-123456",        # dashes
    "%2A31%230900123456",    # *31#0900...: a service-code prefix
    "%2A31%23+49900123456",
    "00881123456",           # satellite, international
    "+881123456",
]


def point_trunk_at(deployment, port):
    """The example's placeholder trunk, pointed at the SIPp provider, plus the DID rule."""
    path = os.path.join(deployment.dir, "dialplan.toml")
    with open(path) as f:
        text = f.read()
    text = text.replace('host = "sip.provider.invalid"', f'host = "{PROVIDER_ADDRESS}"', 1)
    text = text.replace("port = 5060", f"port = {port}", 1)
    text = text.replace("sources = []", f'sources = ["{PROVIDER_ADDRESS}/32"]', 1)
    with open(path, "w") as f:
        f.write(text + DID_RULE)


class RoutingAttackBase(unittest.TestCase):
    settings = {"auth": {"algorithms": '["MD5", "SHA-256"]'}, "calls": {"ring_timeout": "5"}}

    @classmethod
    def setUpClass(cls):
        cls.provider_port = free_port()
        cls.deployment = Deployment(settings=cls.settings)
        point_trunk_at(cls.deployment, cls.provider_port)
        cls.deployment.add_user("1000", "--group", "dialout")
        cls.deployment.add_user("1001")
        cls.deployment.add_user("1002", "--display-name", "Colleague")
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
            cls.deployment.check_log_privacy()
        finally:
            cls.deployment.close()

    def setUp(self):
        self.work = tempfile.mkdtemp(dir=self.deployment.tmp, prefix=self._testMethodName[:40])

    def phone(self, user=None, source=CALLER_ADDRESS):
        phone = Phone(self.deployment.port, source, user,
                      self.deployment.passwords.get(user) if user else None)
        self.addCleanup(phone.close)
        return phone

    def sipp_uas(self, name, address, port):
        trace = os.path.join(self.work, f"{name}-{address}-messages.log")
        errors = os.path.join(self.work, f"{name}-{address}-errors.log")
        args = [tool("sipp"), "-sf", scenario(name), "-i", address, "-p", str(port),
                "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error",
                "-trace_msg", "-message_file", trace, "-trace_err", "-error_file", errors]
        process = subprocess.Popen(args, cwd=self.work, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)

        def stop():
            if process.poll() is None:
                process.kill()
            process.wait()
        self.addCleanup(stop)
        process.trace, process.errors = trace, errors
        time.sleep(0.3)
        return process

    def wait(self, process):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PremiumNumbersTest(RoutingAttackBase):
    def test_no_form_of_a_premium_number_reaches_the_provider(self):
        provider = self.sipp_uas("callee_answer.xml", PROVIDER_ADDRESS, self.provider_port)
        phone = self.phone("1000")
        for number in PREMIUM_FORMS:
            response = phone.call(number)
            self.assertGreaterEqual(response.status, 400,
                                    f"{number}: {response.text}\n"
                                    f"{self.deployment.read_log()[-1500:]}")
        # The trunk works: an ordinary national call reaches the provider and is answered.
        response = phone.call("030123456")
        self.assertEqual(response.status, 200, response.text + self.deployment.read_log()[-1500:])
        bye = phone.ack_and_bye("030123456", response)
        self.assertEqual(bye.status, 200, bye.text)
        self.wait(provider)
        invites = [m for m in messages(provider.trace) if m.startswith("INVITE")]
        self.assertTrue(invites, read(provider.errors)[-1500:])
        for invite in invites:
            first = invite.split("\n", 1)[0]
            self.assertRegex(first, rf"^INVITE sip:(\+49|0)30123456@{PROVIDER_ADDRESS}:", first)
            self.assertNotRegex(first, r"900|137|881", first)

    def test_the_examples_own_test_file_passes(self):
        tests = os.path.join(self.deployment.dir, "dialplan-tests.toml")
        self.assertTrue(os.path.exists(tests), "init writes no dialplan-tests.toml")
        result = run("dialplan", "test", tests, "-c", self.deployment.config)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        cases = re.search(r"(\d+) cases, (\d+) passed, 0 failed", result.stdout)
        self.assertIsNotNone(cases, result.stdout)
        self.assertGreaterEqual(int(cases.group(1)), len(PREMIUM_FORMS))
        with open(tests) as f:
            text = f.read()
        for number in ("+49900", "0049900", "+490900", "0049137", "*31#0900", "0049 900",
                       "+49-900"):
            self.assertIn(f'number = "{number}', text)


class TrunkCallerIdTest(RoutingAttackBase):
    def register_callee(self, user):
        client = SipClient(self.deployment.port, source=CALLEE_ADDRESS)
        try:
            reply = client.register_with_auth(user, self.deployment.passwords[user], "MD5")
            self.assertEqual(reply.status, 200, reply.text)
            return client.local_port
        finally:
            client.close()

    def inbound(self, from_header):
        """A call from the provider's address to the DID of 1001; returns the INVITE the phone
        of 1001 received."""
        callee = self.sipp_uas("callee_answer.xml", CALLEE_ADDRESS, self.register_callee("1001"))
        provider = self.phone(source=PROVIDER_ADDRESS)
        response = provider.call("+493055501", from_header=from_header)
        self.assertEqual(response.status, 200, response.text + self.deployment.read_log()[-1500:])
        bye = provider.ack_and_bye("+493055501", response)
        self.assertEqual(bye.status, 200, bye.text)
        self.wait(callee)
        self.assertEqual(callee.returncode, 0, read(callee.errors)[-1500:])
        invites = [m for m in messages(callee.trace) if m.startswith("INVITE")]
        self.assertTrue(invites)
        return invites[0]

    def assert_no_format_characters(self, text):
        for char in ("\u202e", "\u202d", "\u200b", "\u200e", "\u200f", "\u2066", "\u2069",
                     "\ufeff", "\u00ad"):
            self.assertNotIn(char, text, f"U+{ord(char):04X} reached the phone")

    def test_a_caller_id_in_the_shape_of_an_extension_is_not_shown_as_internal(self):
        invite = self.inbound(f"\"Colle\u202eague\u200b\" <sip:1002@{PROVIDER_ADDRESS}>")
        shown = header(invite, "From").split(";tag=")[0]
        # What a call from extension 1002 itself shows: never this from a trunk.
        self.assertNotEqual(shown, f"\"Colleague\" <sip:1002@{DOMAIN}>")
        user = re.search(r"<sip:([^@>]*)@", shown).group(1)
        self.assertNotRegex(user, r"^[1-9][0-9]{2,3}$", shown)
        self.assert_no_format_characters(head(invite))
        self.assertIn("<urn:alert:source:external>", header(invite, "Alert-Info") or "", invite)

    def test_a_trunks_display_name_is_labelled_and_stripped_of_format_characters(self):
        invite = self.inbound(
            f"\"Col\u202ele\u2066ague\u200b\u00ad\ufeff\" <sip:+4930111222@{PROVIDER_ADDRESS}>")
        shown = header(invite, "From").split(";tag=")[0]
        self.assert_no_format_characters(head(invite))
        match = re.fullmatch(r"\"([^\"]*)\" <sip:\+4930111222@" + re.escape(DOMAIN) + ">", shown)
        self.assertIsNotNone(match, shown)
        # The name is there, but not as an internal account would show it.
        self.assertIn("Colleague", match.group(1))
        self.assertNotEqual(match.group(1), "Colleague")
        self.assertIn("<urn:alert:source:external>", header(invite, "Alert-Info") or "", invite)

    def test_an_internal_call_is_marked_internal(self):
        callee = self.sipp_uas("callee_answer.xml", CALLEE_ADDRESS, self.register_callee("1001"))
        phone = self.phone("1002")
        response = phone.call("1001")
        self.assertEqual(response.status, 200, response.text)
        phone.ack_and_bye("1001", response)
        self.wait(callee)
        invite = [m for m in messages(callee.trace) if m.startswith("INVITE")][0]
        self.assertEqual(header(invite, "From").split(";tag=")[0],
                         f"\"Colleague\" <sip:1002@{DOMAIN}>")
        self.assertIn("<urn:alert:source:internal>", header(invite, "Alert-Info") or "", invite)


# The example as it was before issue 12: premium numbers barred in national form only, and no
# country code, so 0049 900... and +49 900... walk around the bar.
OLD_STYLE = """
[[trunk]]
name = "provider"
host = "sip.provider.invalid"
sources = []

[[dialplan.rule]]
name = "premium"
match = '0(900|137|180|190)[0-9]*'
action = "reject"

[[dialplan.rule]]
name = "international"
match = '00([1-9][0-9]{6,14})'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]
"""


class PremiumBarAuditTest(unittest.TestCase):
    def setUp(self):
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def audit_finding(self, check):
        result = subprocess.run([HARDLINE, "audit", "-c", self.deployment.config, "--json"],
                                capture_output=True, text=True, timeout=60)
        self.assertIn(result.returncode, (0, 1), result.stderr)
        report = json.loads(result.stdout)
        found = [c for c in report["checks"] if c["id"] == "RT-4" and c["check"] == check]
        self.assertEqual(len(found), 1, [c["check"] for c in report["checks"]
                                         if c["id"] == "RT-4"])
        return found[0]

    def test_audit_and_check_warn_about_a_bar_in_national_form_only(self):
        # The example `init` writes bars every form: the audit passes it.
        self.assertEqual(self.audit_finding("premium numbers in every form")["status"], "pass")
        with open(os.path.join(self.deployment.dir, "dialplan.toml"), "w") as f:
            f.write(OLD_STYLE)
        item = self.audit_finding("premium numbers in every form")
        self.assertEqual(item["status"], "warn", item)
        self.assertIn("'international'", item["evidence"])
        self.assertIn("'premium'", item["evidence"])
        self.assertIn("country_code", item["fix"])
        check = run("dialplan", "check", "-c", self.deployment.config)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertRegex(check.stdout, r"dialplan\.toml:\d+: warning: rule 'international' "
                                       r"sends numbers to trunk 'provider' that rule 'premium'")


if __name__ == "__main__":
    unittest.main()
