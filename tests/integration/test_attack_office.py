#!/usr/bin/env python3
"""Issue 13, item 3: one phone with a mistyped password must not get its whole office banned.

The review: a phone with a wrong password answers every fresh 401; 10 failures banned the
office's shared address in about 2 seconds, the good phones behind it went silent, the bad phone
showed nothing and the log did not say which address. A phone keeps its Call-ID across its
REGISTERs and counts CSeq up (RFC 3261 §10.2); a guessing tool starts each guess afresh or, like
svcrack, sends CSeq 2 every time. So a device (account, source, Call-ID) that fails over and over
with a rising CSeq counts once against its source's ban, and gets the account throttled from that
source instead (403, unverified, whatever the Call-ID), while a source that fails with new
Call-IDs or for several accounts is banned as before (svcrack:
test_guard.py::ScannerTest.test_svcrack_is_banned_and_never_finds_the_password).
"""

import os
import re
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import OUTSIDE_ON_LOOPBACK, Deployment, SipClient  # noqa: E402

SLOW = 3 if os.environ.get("HARDLINE_SANITIZED") == "1" else 1
OFFICE = "127.0.6.1"  # one NAT address, several phones behind it


def metric(deployment, name):
    request = urllib.request.Request(f"http://127.0.0.1:{deployment.admin_port}/metrics",
                                     headers={"Authorization": f"Bearer {deployment.admin_token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        found = re.search(rf"^{name} (\d+)", response.read().decode(), re.M)
    return int(found.group(1)) if found else None


class BrokenPhone:
    """A phone that answers every challenge with the password it was given: one Call-ID, CSeq
    counting up, as baresip and desk phones do."""

    def __init__(self, deployment, source, user, password):
        self.client = SipClient(deployment.port, source=source)
        self.user = user
        self.password = password

    def close(self):
        self.client.close()

    def loop(self, rounds, timeout=2):
        """Registers `rounds` times, each with credentials for the last challenge; the statuses
        (None: no answer)."""
        statuses = []
        try:
            answer = self.client.register(self.user, timeout=timeout)
        except (TimeoutError, OSError):
            return [None]
        for _ in range(rounds):
            if answer.status != 401:
                # Throttled (403): a real phone would stop; this one asks again from scratch.
                try:
                    answer = self.client.register(self.user, timeout=timeout)
                except (TimeoutError, OSError):
                    statuses.append(None)
                    continue
                if answer.status != 401:
                    statuses.append(answer.status)
                    continue
            auth = SipClient.authorization(answer.challenge("SHA-256"), self.user, self.password)
            try:
                answer = self.client.register(self.user, authorization=auth, timeout=timeout)
            except (TimeoutError, OSError):
                statuses.append(None)
                break
            statuses.append(answer.status)
        return statuses


class OfficeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(settings={"privacy": {"mode": '"security"'},
                                              "guard": {"protected": OUTSIDE_ON_LOOPBACK}})
        for user in ("300", "301", "302"):
            cls.deployment.add_user(user)
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        cls.deployment.stop()
        cls.deployment.check_log_privacy()
        cls.deployment.close()

    def register(self, source, user, password=None):
        phone = SipClient(self.deployment.port, source=source)
        try:
            return phone.register_with_auth(user, password or self.deployment.passwords[user],
                                            timeout=2 * SLOW).status
        except (TimeoutError, OSError):
            return None
        finally:
            phone.close()

    def test_a_phone_with_a_wrong_password_is_throttled_and_its_office_keeps_working(self):
        d = self.deployment
        self.assertEqual(self.register(OFFICE, "301"), 200)
        # A colleague's phone sharing account 300, registered before the broken one starts.
        colleague = SipClient(d.port, source=OFFICE)
        self.assertEqual(colleague.register_with_auth("300", d.passwords["300"]).status, 200)
        broken = BrokenPhone(d, OFFICE, "300", "mistyped")
        try:
            statuses = broken.loop(30)
            # Three wrong passwords are answered as such, then the device is throttled: 403,
            # its credentials not even verified. It is never banned (no silence).
            self.assertEqual(statuses[:3], [401, 401, 401], statuses)
            self.assertEqual(set(statuses[3:]), {403}, statuses)
            # Throttled means unverified: the right password gets the same 403 (no oracle).
            broken.password = d.passwords["300"]
            self.assertEqual(broken.loop(1), [403])
            # So does a guesser starting afresh with a new Call-ID: the account is throttled
            # from this address, not the Call-ID.
            fresh = BrokenPhone(d, OFFICE, "300", d.passwords["300"])
            try:
                self.assertEqual(fresh.loop(1), [403])
            finally:
                fresh.close()
            # The colleague's phone, known by its Call-ID, keeps registering.
            self.assertEqual(colleague.register_with_auth("300", d.passwords["300"]).status, 200)
        finally:
            broken.close()
            colleague.close()
        # The good phones behind the same address keep registering.
        self.assertEqual(self.register(OFFICE, "301"), 200)
        self.assertEqual(self.register(OFFICE, "302"), 200)
        log = d.read_log()
        self.assertRegex(log, r"security event: account '300' throttled from 127\.0\.6\.1:\d+ "
                              r"until .*3 wrong passwords from one device")
        self.assertNotRegex(log, r"ban added 127\.0\.6\.1")
        self.assertEqual(metric(d, "hardline_auth_throttled_devices_total"), 1)
        self.assertGreaterEqual(metric(d, "hardline_auth_throttled_total"), 28)

    def test_the_fixed_phone_gets_in_once_the_throttle_ends(self):
        source = "127.0.6.5"
        phone = BrokenPhone(self.deployment, source, "302", "mistyped")
        try:
            self.assertEqual(phone.loop(4), [401, 401, 401, 403])
            phone.password = self.deployment.passwords["302"]  # the user fixes it
            time.sleep(10.5)  # the first throttle lasts 10 s
            self.assertEqual(phone.loop(1), [200])
        finally:
            phone.close()

    def test_a_guesser_with_new_call_ids_is_banned_at_the_tenth_failure(self):
        source = "127.0.6.9"
        statuses = []
        for i in range(12):
            phone = BrokenPhone(self.deployment, source, "300", f"guess{i}")  # a new Call-ID each
            try:
                statuses += phone.loop(1, timeout=0.7 * SLOW)
            finally:
                phone.close()
        self.assertEqual(statuses[:10], [401] * 10, statuses)
        self.assertEqual(statuses[10:], [None, None], statuses)
        self.assertRegex(self.deployment.read_log(), r"ban added 127\.0\.6\.9/32 ")

    def test_several_accounts_from_one_source_are_banned_even_with_one_call_id(self):
        source = "127.0.6.13"
        client = SipClient(self.deployment.port, source=source)
        statuses = []
        try:
            for i in range(12):  # one Call-ID, twelve account names: a scanner, not a phone
                user = f"4{i:02d}"
                try:
                    first = client.register(user, timeout=0.7 * SLOW)
                    auth = SipClient.authorization(first.challenge("SHA-256"), user, "guess")
                    statuses.append(client.register(user, authorization=auth,
                                                    timeout=0.7 * SLOW).status)
                except (TimeoutError, OSError):
                    statuses.append(None)
        finally:
            client.close()
        self.assertEqual(statuses[:10], [401] * 10, statuses)
        self.assertEqual(statuses[10:], [None, None], statuses)


if __name__ == "__main__":
    unittest.main()
