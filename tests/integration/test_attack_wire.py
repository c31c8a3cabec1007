#!/usr/bin/env python3
"""Issue 12, items 13 and 14: what the outside review found on the wire.

- RFC 5118 §4.10's IPv6 reference with three colons (`[2001:db8:::192.0.2.1]`) got no answer at
  all; it must be tolerated (answered like its two-colon form).
- `hardline sip check` said `invalid 400` for messages the server drops silently. It must say
  exactly what the server does: every message of the RFC 4475 corpus (../shared/test-data, when
  present) and of tests/data/sip/ goes through `sip check -c CONFIG` and, over UDP, to a server
  running that config; the answer's status (or no answer for "dropped") must be the same.
- A Request-URI with an unknown scheme (RFC 4475 unkscm, novelsc) got 403; RFC 4475 §3.3.2-3
  expects 416.
- OPTIONS enabled in sip.methods got 501 while Allow listed OPTIONS; it must get 200 with Allow,
  Accept and Supported, nothing about the software, and the same answer for every user.

Each message of the comparison is sent from an address of its own (127.8x.y.z, port 5060: a
Via without rport sends the answer to port 5060 of the source, or to the Via's port), so that no
source reaches a guard limit. Many corpus files share a branch (RFC 4475 reuses z9hG4bKkdjuw):
to the server a second INVITE with the branch of the first is its retransmission, so messages
that could match one another's transaction go to a freshly started server, round by round.
"""
import csv
import os
import re
import secrets
import selectors
import socket
import subprocess
import time
import unittest
from pathlib import Path

from harness import DOMAIN, HARDLINE, Deployment, Response, SipClient

SHARED = Path(os.environ.get("HARDLINE_SHARED_TEST_DATA", "../shared/test-data"))
OWN = Path(os.environ.get("HARDLINE_TEST_DATA", "tests/data"))
RFC4475 = SHARED / "rfc4475"

# What `sip check` prints after the file name and the parser's verdict.
ACTION = re.compile(r": (?:ok request \S+|ok response \d+|invalid): (answer (\d{3}) |dropped \()")
TOP_VIA_PORT = re.compile(
    rb"^(?:via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[A-Za-z]+[ \t]+"
    rb"(?:\[[^\]\r\n]*\]|[^\s;:,\[]+)(?:[ \t]*:[ \t]*(\d+))?", re.I | re.M)


def sip_check(config, *files):
    result = subprocess.run([HARDLINE, "sip", "check", "-c", config, *map(str, files)],
                            capture_output=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr.decode(errors="replace")
    lines = result.stdout.decode(errors="replace").splitlines()
    assert len(lines) == len(files), result.stdout
    verdicts = {}
    for path, line in zip(files, lines):
        assert line.startswith(f"{path}: "), line
        match = ACTION.search(line, len(str(path)))
        assert match, line
        verdicts[str(path)] = (int(match.group(2)) if match.group(2) else None, line)
    return verdicts


TRANSACTION = re.compile(rb"branch\s*=\s*([^;,\s]+)", re.I)
CALL_ID = re.compile(rb"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", re.I | re.M)


def transaction_key(data):
    """What could make the server take one message for another's retransmission (RFC 3261
    §17.2.3, or §17.2.3's RFC 2543 fallback without a branch): branch or Call-ID, and method."""
    branch = TRANSACTION.search(data) or CALL_ID.search(data)
    return (branch.group(1) if branch else None, data.split(b" ", 1)[0])


def rounds(files):
    """The files in rounds in which no two share a transaction key."""
    out = []
    for path in files:
        key = transaction_key(path.read_bytes())
        for keys, members in out:
            if key not in keys:
                keys.add(key)
                members.append(path)
                break
        else:
            out.append(({key}, [path]))
    return [members for _, members in out]


def corpus():
    files = sorted((OWN / "sip").glob("*.sip"))
    if (RFC4475 / "messages.tsv").exists():
        with open(RFC4475 / "messages.tsv", newline="") as f:
            files += [RFC4475 / row["filename"] for row in csv.DictReader(f, delimiter="\t")]
    else:
        print(f"SKIPPED: {RFC4475} not found: only tests/data/sip is compared")
    return files


def first_final_answers(port, messages, base, wait=2.0):
    """Sends each message (bytes) to 127.0.0.1:port from its own address and returns, per
    message, the status of the first final response received (None for none within `wait`)."""
    selector = selectors.DefaultSelector()
    sockets = []
    for i, data in enumerate(messages):
        address = f"127.{base}.{i // 200}.{i % 200 + 1}"
        ports = {5060}
        match = TOP_VIA_PORT.search(data)
        if match and match.group(1) and 0 < int(match.group(1)) < 65536:
            ports.add(int(match.group(1)))
        owned = []
        for p in sorted(ports):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, p))
            s.setblocking(False)
            selector.register(s, selectors.EVENT_READ, i)
            owned.append(s)
        sockets.append(owned)
    answers = [None] * len(messages)
    try:
        for i, data in enumerate(messages):
            sockets[i][0].sendto(data, ("127.0.0.1", port))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                data, _ = key.fileobj.recvfrom(65535)
                status = int(data.split(b" ", 2)[1])
                if status >= 200 and answers[key.data] is None:
                    answers[key.data] = status
    finally:
        for owned in sockets:
            for s in owned:
                selector.unregister(s)
                s.close()
    return answers


class SipCheckTellsWhatTheServerDoes(unittest.TestCase):
    """`sip check -c CONFIG` against a server running CONFIG, message by message."""

    def compare(self, settings, base):
        deployment = Deployment(settings=settings)
        self.addCleanup(deployment.close)
        files = corpus()
        self.assertGreaterEqual(len(files), 25)
        predicted = sip_check(deployment.config, *files)
        for number, members in enumerate(rounds(files)):
            deployment.start()
            answers = first_final_answers(deployment.port, [f.read_bytes() for f in members],
                                          base + number)
            deployment.stop()
            for path, answer in zip(members, answers):
                status, line = predicted[str(path)]
                with self.subTest(file=str(path)):
                    self.assertEqual(answer, status, f"sip check said: {line}")

    def test_default_deployment(self):
        self.compare(None, 100)

    def test_deployment_with_options_for_the_corpus_domains(self):
        # The corpus's Request-URIs name example.com and example.net: as this server's names,
        # the messages reach the method handlers, OPTIONS included.
        self.compare({"sip": {"domain": '"example.com"', "aliases": '["example.net"]',
                              "methods": '["REGISTER", "INVITE", "ACK", "BYE", "CANCEL", '
                                         '"OPTIONS", "MESSAGE"]'}}, 150)


def request(method, uri, client, extra=(), to=None):
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/UDP 127.0.0.1:{client.local_port};branch=z9hG4bK{secrets.token_hex(6)}"
             ";rport",
             "Max-Forwards: 70",
             f"From: <sip:caller@{DOMAIN}>;tag={secrets.token_hex(4)}",
             f"To: {to or '<' + uri + '>'}",
             f"Call-ID: {secrets.token_hex(8)}@wire",
             f"CSeq: 1 {method}", *extra, "Content-Length: 0", "", ""]
    return "\r\n".join(lines)


class WireTest(unittest.TestCase):
    settings = None

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(settings=cls.settings)
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        cls.deployment.stop()
        cls.deployment.close()

    def send(self, text):
        client = SipClient(self.deployment.port)
        self.addCleanup(client.close)
        client.send(text(client) if callable(text) else text)
        return client

    def answer(self, text):
        client = self.send(text)
        return client.receive(2)


class Rfc5118ThreeColons(WireTest):
    """RFC 5118 §4.10: "an implementation must tolerate both of the above constructs"."""

    def test_three_colon_reference_is_answered_like_two(self):
        for host in ("[2001:db8:::192.0.2.1]", "[2001:db8::192.0.2.1]"):
            with self.subTest(host=host):
                # The RFC's shape: the host in the Request-URI and in To (so that no 400 could
                # be built from a To the parser refuses), an OPTIONS as in §4.10.
                response = self.answer(lambda c: request("OPTIONS", f"sip:user@{host}", c))
                self.assertEqual(response.status, 405, response.text)  # OPTIONS is off
                self.assertIn(f"To: <sip:user@{host}>;tag=", response.text)
                response = self.answer(lambda c: request("REGISTER", f"sip:{host}", c,
                                                         to=f"<sip:201@{host}>"))
                self.assertEqual(response.status, 403, response.text)  # not this server

    def test_three_colons_elsewhere_are_still_refused(self):
        # Only before an IPv4 tail: "[2001:db8:::1]" stays malformed (400, from a valid To).
        response = self.answer(lambda c: request("REGISTER", "sip:[2001:db8:::1]", c,
                                                 to=f"<sip:201@{DOMAIN}>"))
        self.assertEqual(response.status, 400, response.text)


class UnknownUriScheme(WireTest):
    """RFC 4475 §3.3.2 and §3.3.3: a Request-URI scheme the server does not serve is 416, before
    the domain check (which said 403)."""

    def test_unknown_schemes_get_416(self):
        for uri in ("nobodyKnowsThisScheme:totallyopaquecontent", "soap.beep://192.0.2.103:3002",
                    "tel:+4930123456"):
            with self.subTest(uri=uri):
                response = self.answer(lambda c: request("INVITE", uri, c,
                                                         to=f"<sip:201@{DOMAIN}>"))
                self.assertEqual(response.status, 416, response.text)
                self.assertEqual(response.reason, "Unsupported URI Scheme")

    def test_a_disabled_method_is_refused_first(self):
        # RFC 3261 §8.2.1 before §8.2.2.1: OPTIONS is off by default.
        response = self.answer(lambda c: request("OPTIONS", "nobody:x", c,
                                                 to=f"<sip:201@{DOMAIN}>"))
        self.assertEqual(response.status, 405, response.text)
        self.assertEqual(response.get("Allow"), "REGISTER, INVITE, ACK, BYE, CANCEL")


class OptionsEnabled(WireTest):
    """OPTIONS in sip.methods: 200 with what the server supports, the same for any user."""
    settings = {"sip": {"methods": '["REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"]'}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployment.add_user("201")

    def test_options_gets_200_with_capabilities_and_nothing_about_the_software(self):
        response = self.answer(lambda c: request("OPTIONS", f"sip:{DOMAIN}", c))
        self.assertEqual(response.status, 200, response.text)
        self.assertEqual(response.get("Allow"), "REGISTER, INVITE, ACK, BYE, CANCEL, OPTIONS")
        self.assertEqual(response.get("Accept"), "application/sdp")
        self.assertIsNotNone(response.get("Supported"))
        for name in ("Server", "User-Agent", "Warning", "Contact"):
            self.assertIsNone(response.get(name), response.text)

    def test_the_answer_says_nothing_about_accounts(self):
        def shape(user):
            response = self.answer(lambda c: request("OPTIONS", f"sip:{user}@{DOMAIN}", c))
            return response.status, [(n, v) for n, v in response.headers
                                     if n not in ("Via", "From", "To", "Call-ID")]
        self.assertEqual(shape("201"), shape("999"))

    def test_options_is_no_amplifier(self):
        client = SipClient(self.deployment.port)
        self.addCleanup(client.close)
        text = request("OPTIONS", f"sip:{DOMAIN}", client)
        client.send(text)
        response = client.receive(2)
        self.assertEqual(response.status, 200)
        self.assertLess(len(response.text), 2 * len(text), response.text)
        self.assertTrue(client.nothing_received(0.7), "one request, one answer")

    def test_the_policy_still_comes_first(self):
        self.assertEqual(self.answer(lambda c: request("OPTIONS", "nobody:x", c,
                                                       to=f"<sip:201@{DOMAIN}>")).status, 416)
        self.assertEqual(self.answer(lambda c: request("OPTIONS", "sip:elsewhere.example",
                                                       c)).status, 403)
        self.assertEqual(self.answer(lambda c: request("OPTIONS", f"sip:{DOMAIN}", c,
                                                       extra=["Require: foo"])).status, 420)


if __name__ == "__main__":
    unittest.main()
