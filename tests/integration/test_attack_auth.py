"""Issue 12's attacks on digest authentication and the lockout, through the real binary: each
was measured against an earlier build by an outside review and must never work again.

- Finding 1 (critical): `stale=true` was a password oracle no ban or lockout saw. Over an
  expired nonce the right password got `401 stale=true` and a wrong one a plain 401, uncounted;
  a made-up nonce of a retired key generation worked the same from any address.
- Finding 7: 27 wrong passwords from 3 addresses locked any account for the user's new devices,
  with no way to let one in; a trusted source guessed without any limit.
- Finding 12: the nonce began with the issue time, so uptime and restarts were public.

Every attempt comes from its own loopback address (127.0.0.x), since loopback is not trusted.
"""
import base64
import os
import re
import secrets
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import DOMAIN, OUTSIDE_ON_LOOPBACK, Deployment, SipClient, run  # noqa: E402

NONCE_LIFETIME = 30  # the smallest the config allows: the stale tests wait this long once
# Under AddressSanitizer the server answers more slowly: waits for "no answer" grow with it.
SLOW = 3 if os.environ.get("HARDLINE_SANITIZED") == "1" else 1
INSTANCE = '"<urn:uuid:3c5b0c3e-8a3b-4a9e-9a51-6b1d2f0c7e11>"'


def params(challenge_value):
    _, _, rest = challenge_value.partition(" ")
    found = {k.lower(): v for k, v in re.findall(r'(\w+)="?([^",]*)"?', rest)}
    found["stale"] = "stale=true" in challenge_value
    return found


def shape(response):
    """What an attacker can tell from an answer: its status, header names and stale flags."""
    if response is None:
        return None
    challenges = response.all("WWW-Authenticate") + response.all("Proxy-Authenticate")
    return (response.status, tuple(sorted(response.names())),
            tuple(params(c)["stale"] for c in challenges))


class Phone:
    """One attempt from one loopback address: REGISTER (401 and Authorization) or INVITE (407
    and Proxy-Authorization)."""

    def __init__(self, deployment, source):
        self.client = SipClient(deployment.port, source=source)
        self.source = source

    def close(self):
        self.client.close()

    def challenge(self, method="REGISTER", user="300"):
        response = self.request(method, user, None)
        assert response is not None, f"no challenge from {self.source}"
        header = "WWW-Authenticate" if method == "REGISTER" else "Proxy-Authenticate"
        for value in response.all(header):
            found = params(value)
            if found.get("algorithm", "MD5").upper() == "SHA-256":
                return found
        raise AssertionError(f"no SHA-256 challenge: {response.text}")

    def request(self, method, user, authorization, instance=None, timeout=2):
        c = self.client
        c.cseq += 1
        branch = "z9hG4bK" + secrets.token_hex(8)
        uri = f"sip:{DOMAIN}" if method == "REGISTER" else f"sip:1001@{DOMAIN}"
        to = f"<sip:{user}@{DOMAIN}>" if method == "REGISTER" else f"<sip:1001@{DOMAIN}>"
        contact = f"<sip:{user}@{c.via_host}:{c.local_port}>"
        if instance:
            contact += f";+sip.instance={instance}"
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {c.via_host}:{c.local_port};branch={branch};rport",
                 "Max-Forwards: 70", f"From: <sip:{user}@{DOMAIN}>;tag={secrets.token_hex(4)}",
                 f"To: {to}", f"Call-ID: {secrets.token_hex(8)}@attack", f"CSeq: {c.cseq} {method}",
                 f"Contact: {contact}"]
        if authorization:
            name = "Authorization" if method == "REGISTER" else "Proxy-Authorization"
            lines.append(f"{name}: {authorization}")
        lines.append("Content-Length: 0")
        c.send("\r\n".join(lines) + "\r\n\r\n")
        try:
            return c.receive(timeout)
        except (socket.timeout, TimeoutError):
            return None

    def attempt(self, method, user, password, challenge, instance=None, nc=1, timeout=2):
        uri = f"sip:{DOMAIN}" if method == "REGISTER" else f"sip:1001@{DOMAIN}"
        auth = SipClient.authorization(challenge, user, password, method=method, uri=uri, nc=nc)
        return self.request(method, user, auth, instance, timeout)


def attempt_from(deployment, source, method, user, password, challenge, instance=None,
                 timeout=2):
    """The answer, or None when there was none within `timeout` (a banned source)."""
    phone = Phone(deployment, source)
    try:
        return phone.attempt(method, user, password, challenge, instance, timeout=timeout)
    finally:
        phone.close()


def fresh_challenge(deployment, source, method="REGISTER"):
    phone = Phone(deployment, source)
    try:
        return phone.challenge(method)
    finally:
        phone.close()


class AttackTest(unittest.TestCase):
    settings = {}

    @classmethod
    def setUpClass(cls):
        # The attackers play outsiders from 127.0.x.y: only the server's own address is protected.
        settings = {"privacy": {"mode": '"security"'},
                    "auth": {"nonce_lifetime": str(NONCE_LIFETIME)},
                    "guard": {"protected": OUTSIDE_ON_LOOPBACK}}
        for table, values in cls.settings.items():
            settings.setdefault(table, {}).update(values)
        cls.deployment = Deployment(settings=settings)
        cls.deployment.add_user("300")
        cls.deployment.add_user("1001")
        cls.deployment.start()
        cls.password = cls.deployment.passwords["300"]

    @classmethod
    def tearDownClass(cls):
        cls.deployment.stop()
        cls.deployment.check_log_privacy()
        cls.deployment.close()

    def security_events(self):
        return re.findall(r"security event.*", self.deployment.read_log())


class StaleNonceOracleTest(AttackTest):
    """Finding 1 over an expired nonce, through REGISTER and INVITE."""
    # 6 failures lock the account, 8 ban the source: one address ends in both.
    settings = {"guard": {"source_auth_failures": "8", "account_auth_failures": "6"}}

    def test_an_expired_nonce_answers_every_password_alike_and_guesses_end_in_a_ban_and_a_lockout(
            self):
        d = self.deployment
        cases = [("REGISTER", "127.0.1.1", "127.0.1.2"), ("INVITE", "127.0.1.3", "127.0.1.4")]
        nonces = {}
        for method, prober, guesser in cases:
            for source in (prober, guesser):
                nonces[source] = fresh_challenge(d, source, method)
        time.sleep(NONCE_LIFETIME + 1.5)  # every nonce above is now expired

        for method, prober, guesser in cases:
            with self.subTest(method=method):
                # The oracle: the right and a wrong password over the same expired nonce.
                right = attempt_from(d, prober, method, "300", self.password, nonces[prober])
                wrong = attempt_from(d, prober, method, "300", "wrong-guess", nonces[prober])
                self.assertIsNotNone(right)
                self.assertEqual(right.status, 401 if method == "REGISTER" else 407)
                self.assertEqual(shape(right), shape(wrong))
                self.assertTrue(all(shape(right)[2]), "stale=true for an expired nonce of ours")

        # One address keeps guessing over its expired nonce (the review: 300 guesses at 40/s,
        # then the right one, 0 bans, 0 lockouts). Now every answer is alike, and the guesses
        # are counted: the account locks at 6, the source is banned at 8.
        answers = []
        for _ in range(12):
            answers.append(shape(attempt_from(d, "127.0.1.2", "REGISTER", "300", "guess-" +
                                              secrets.token_hex(3), nonces["127.0.1.2"],
                                              timeout=0.7 * SLOW)))
        last = attempt_from(d, "127.0.1.2", "REGISTER", "300", self.password, nonces["127.0.1.2"])
        self.assertIsNone(last, "the right password after the guesses must find the source banned")
        answered = [a for a in answers if a is not None]
        self.assertEqual(len(answered), 8, answers)  # the 8th failure bans, then silence
        self.assertEqual(len(set(answered)), 1, answered)
        events = self.security_events()
        self.assertTrue(any("account '300' is locked" in e for e in events), events)
        self.assertTrue(any("127.0.1.2" in e and "ban" in e for e in events), events)


class MadeUpNonceTest(AttackTest):
    """Finding 1 with nonces the attacker makes up (the review: a generation-1 nonce worked from
    any address after 20 minutes; 3,901 guesses from 20 addresses found the password)."""
    settings = {"guard": {"source_auth_failures": "5", "account_auth_failures": "30",
                          "protected": '["127.0.0.1", "::1", "127.0.5.0/24"]'}}

    MADE_UP = [
        "AAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # the old layout, generation 1
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",      # the new length
        base64.urlsafe_b64encode(secrets.token_bytes(33)).decode(),
    ]

    def test_a_made_up_nonce_never_tells_the_right_password_and_guessers_are_banned(self):
        d = self.deployment
        realm = fresh_challenge(d, "127.0.2.200")["realm"]
        for m, method in enumerate(("REGISTER", "INVITE")):
            for n, nonce in enumerate(self.MADE_UP):
                with self.subTest(method=method, nonce=nonce):
                    challenge = {"realm": realm, "nonce": nonce, "algorithm": "SHA-256"}
                    source = f"127.0.2.{10 * m + n + 1}"  # 2 failures each: below the ban
                    right = attempt_from(d, source, method, "300", self.password, challenge)
                    wrong = attempt_from(d, source, method, "300", "guess", challenge)
                    self.assertIsNotNone(right)
                    self.assertEqual(shape(right), shape(wrong))
                    self.assertFalse(any(shape(right)[2]), "a made-up nonce is never stale")

        # 20 addresses guessing with made-up nonces: each is banned at its 5th failure, and the
        # account (30 failures from anywhere) is locked.
        guesses = 0
        for i in range(20):
            source = f"127.0.3.{i + 1}"
            for _ in range(6):
                challenge = {"realm": realm, "nonce": self.MADE_UP[0], "algorithm": "SHA-256"}
                if attempt_from(d, source, "REGISTER", "300", "guess", challenge,
                                timeout=0.5 * SLOW) is not None:
                    guesses += 1
        self.assertEqual(guesses, 20 * 5)

        # A made-up nonce "from" a protected network (a trunk, loopback) is what a forged source
        # address can cause: it never bans the network, and still counts against the account.
        source = "127.0.5.1"
        for _ in range(7):
            challenge = {"realm": realm, "nonce": self.MADE_UP[1], "algorithm": "SHA-256"}
            self.assertIsNotNone(attempt_from(d, source, "REGISTER", "300", "guess", challenge,
                                              timeout=0.5 * SLOW), "a protected source is banned")
        events = self.security_events()
        self.assertFalse(any("127.0.5.1" in e and " ban" in e for e in events), events)
        self.assertGreaterEqual(len([e for e in events if "127.0.3." in e and " ban" in e]), 20)
        self.assertTrue(any("account '300' is locked" in e for e in events), events)
        forged = re.search(r"^hardline_sip_forged_nonces_total (\d+)", metrics(d), re.M)
        self.assertTrue(forged and int(forged.group(1)) >= 100, forged)


def metrics(deployment):
    import urllib.request
    request = urllib.request.Request(f"http://127.0.0.1:{deployment.admin_port}/metrics",
                                     headers={"Authorization": f"Bearer {deployment.admin_token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


class LockoutTest(AttackTest):
    """Finding 7: lockout as a denial of service, and trusted networks guessing without limit."""
    settings = {"guard": {"trusted": '["127.0.4.70/32"]'}}

    def register(self, source, password, instance=None, user="300"):
        phone = Phone(self.deployment, source)
        try:
            return phone.attempt("REGISTER", user, password, phone.challenge(user=user),
                                 instance)
        finally:
            phone.close()

    def status(self, *args, **kwargs):
        response = self.register(*args, **kwargs)
        return response.status if response is not None else None

    def test_known_devices_keep_working_and_the_operator_lets_a_new_one_in(self):
        # The user's phone registers (with its RFC 5626 instance) before the attack.
        self.assertEqual(self.status("127.0.4.10", self.password, INSTANCE), 200)
        # 27 wrong passwords from 3 addresses (9 each: none is banned) lock the account.
        for i in range(27):
            self.assertEqual(self.status(f"127.0.4.{21 + i % 3}", "guess"), 401)
        events = self.security_events()
        locked = [e for e in events if "account '300' is locked" in e]
        self.assertTrue(locked, events)
        self.assertIn("from 3 sources", locked[0])
        # A new device with the right password is refused, as if the password were wrong.
        self.assertEqual(self.status("127.0.4.30", self.password), 401)
        # The phone keeps working from its address, and from a new one (it roamed) by instance.
        self.assertEqual(self.status("127.0.4.10", self.password, INSTANCE), 200)
        self.assertEqual(self.status("127.0.4.11", self.password, INSTANCE), 200)
        # The operator lets the user's new device in; the attackers stay locked out.
        result = run("user", "unlock", "300", "--from", "127.0.4.30", "--duration", "10m",
                     "-c", self.deployment.config)
        self.assertEqual(result.returncode, 0, result.stderr)
        time.sleep(1.5 * SLOW)  # serve reads the database's changes once a second
        self.assertEqual(self.status("127.0.4.30", self.password), 200)
        self.assertEqual(self.status("127.0.4.22", self.password), 401)
        self.assertEqual(self.status("127.0.4.31", self.password), 401)
        # Lifting the lockout outright.
        result = run("user", "unlock", "300", "-c", self.deployment.config)
        self.assertEqual(result.returncode, 0, result.stderr)
        time.sleep(1.5 * SLOW)
        self.assertEqual(self.status("127.0.4.31", self.password), 200)
        self.assertTrue(any("account '300' unlocked" in e for e in self.security_events()))

    def test_unlock_refuses_what_makes_no_sense(self):
        for args, code in ((["999"], 1), (["300", "--from", "0.0.0.0/0"], 1),
                           (["300", "--from", "not-an-address"], 2),
                           (["300", "--from", "127.0.0.1", "--duration", "2d"], 1)):
            with self.subTest(args=args):
                result = run("user", "unlock", *args, "-c", self.deployment.config)
                self.assertEqual(result.returncode, code, result.stdout + result.stderr)
                self.assertTrue(result.stderr.strip())

    def test_a_trusted_source_is_never_banned_but_never_guesses_without_limit(self):
        # The review: 300 guesses from a guard.trusted source, then the right password: 200.
        for _ in range(25):
            self.assertEqual(self.status("127.0.4.70", "guess", user="1001"), 401)
        self.assertEqual(self.status("127.0.4.70", self.deployment.passwords["1001"],
                                     user="1001"), 401)
        # Not banned: it is still answered.
        self.assertIsNotNone(self.register("127.0.4.70", "guess", user="1001"))


class NonceSecrecyTest(AttackTest):
    """Finding 12: nonces reveal nothing but randomness (no issue time, no uptime)."""

    def test_no_character_of_a_nonce_is_fixed(self):
        nonces = [fresh_challenge(self.deployment, "127.0.5.1")["nonce"] for _ in range(40)]
        self.deployment.stop()
        self.deployment.start()
        nonces += [fresh_challenge(self.deployment, "127.0.5.1")["nonce"] for _ in range(40)]
        self.assertEqual({len(n) for n in nonces}, {44})
        for position in range(44):
            seen = {n[position] for n in nonces}
            # 80 draws of 64 symbols give about 46 distinct ones; a time field gives 1 to 3.
            self.assertGreater(len(seen), 20, f"position {position}: {sorted(seen)}")


if __name__ == "__main__":
    unittest.main()
