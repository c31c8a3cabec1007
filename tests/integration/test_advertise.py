"""Issue 13, item 2: what the server names itself in the Via and Contact of what it sends.

Listening on 0.0.0.0 used to put the SIP domain there, which phones on a LAN cannot resolve:
the caller never sent the ACK of an answered call, and 32 s later both legs got a BYE. Now a
wildcard listener names the address each phone's messages arrive at, and sends from it; a
configured sip.advertise overrides that (NAT, DNS).

Each phone here talks to the server through another loopback address than 127.0.0.1 (the
callee to 127.0.0.7, the caller to 127.0.0.8), so that the address it arrived at differs from
the kernel's default source and from the domain: each must see its own in every Via and
Contact, datagrams from it, and the ACK and BYE sent to the Contact must arrive.
"""
import re
import secrets
import socket
import time
import unittest

from harness import DOMAIN, Deployment, SipClient, add_users, parse_params
from test_attack_amplify import SDP, crlf, header, status_of, tag

CALLER, CALLEE = "127.0.0.3", "127.0.0.4"
CALLER_SERVER, CALLEE_SERVER = "127.0.0.8", "127.0.0.7"


class Phone:
    """A UDP socket on one loopback address that talks to the server at `server`, and keeps the
    address each datagram came from."""

    def __init__(self, address, server, port):
        self.address = address
        self.server = (server, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.port = self.sock.getsockname()[1]
        self.senders = []

    def close(self):
        self.sock.close()

    def send(self, text):
        self.sock.sendto(text.encode(), self.server)

    def receive(self, timeout=3.0):
        """The next request or final response, 1xx skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"nothing received at {self.address}")
            self.sock.settimeout(left)
            data, sender = self.sock.recvfrom(65535)
            self.senders.append(sender[0])
            text = data.decode(errors="replace")
            if not re.match(r"SIP/2\.0 1\d\d ", text):
                return text

    def quiet(self, seconds):
        self.sock.settimeout(seconds)
        try:
            self.sock.recvfrom(65535)
        except (socket.timeout, TimeoutError):
            return True
        return False

    def request(self, method, uri, call_id, from_value, to_value, cseq, extra=(), body=""):
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.address}:{self.port};branch=z9hG4bK"
                 f"{secrets.token_hex(8)};rport",
                 "Max-Forwards: 70", f"From: {from_value}", f"To: {to_value}",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} {method}",
                 f"Contact: <sip:x@{self.address}:{self.port}>", *extra]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        self.send(crlf(*lines, body=body))

    def answer(self, request, to_tag, body=""):
        lines = ["SIP/2.0 200 OK"]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            value = header(request, name)
            if name == "To" and tag(value) is None:
                value += f";tag={to_tag}"
            lines.append(f"{name}: {value}")
        lines.append(f"Contact: <sip:1001@{self.address}:{self.port}>")
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        self.send(crlf(*lines, body=body))


def contact_uri(message):
    match = re.search(r"<([^>]+)>", header(message, "Contact") or "")
    assert match, message
    return match.group(1)


class CallThroughListener:
    """A call from 1000 to 1001 through a deployment listening on udp:0.0.0.0; the test cases
    below say what the server must name itself toward each phone, and send from."""

    advertise = None  # TOML text for sip.advertise, or None

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment()
        port = cls.deployment.port
        settings = {"listen": f'["udp:0.0.0.0:{port}"]'}
        if cls.advertise:
            settings["advertise"] = cls.advertise.format(port=port)
        cls.deployment.edit({"sip": settings})
        add_users(cls.deployment, ["1000", "1001"])
        cls.deployment.start(expect_listening=1)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def phone(self, address, server):
        phone = Phone(address, server, self.deployment.port)
        self.addCleanup(phone.close)
        return phone

    def expected_host(self, server):
        """What Via and Contact must name toward a phone that talks to `server`."""
        raise NotImplementedError

    def expected_source(self, server):
        """The address the server's datagrams to that phone must come from."""
        raise NotImplementedError

    def register(self, phone, user):
        aor = f"<sip:{user}@{DOMAIN}>"
        call_id, from_value = secrets.token_hex(8), f"{aor};tag={secrets.token_hex(4)}"
        phone.request("REGISTER", f"sip:{DOMAIN}", call_id, from_value, aor, 1, ["Expires: 600"])
        challenge = phone.receive()
        self.assertEqual(status_of(challenge), 401, challenge)
        auth = SipClient.authorization(parse_params(header(challenge, "WWW-Authenticate")), user,
                                       self.deployment.passwords[user])
        phone.request("REGISTER", f"sip:{DOMAIN}", call_id, from_value, aor, 2,
                      ["Expires: 600", f"Authorization: {auth}"])
        registered = phone.receive()
        self.assertEqual(status_of(registered), 200, registered)

    def assert_names(self, message, host, what):
        """Our Contact (a BYE has none) and in a request our Via name `host` and our port."""
        if not message.startswith("BYE "):
            self.assertTrue(
                contact_uri(message).startswith(f"sip:{host}:{self.deployment.port};"),
                f"{what}: {message}")
            self.assertNotIn(DOMAIN, header(message, "Contact"))
        if not message.startswith("SIP/2.0 "):
            via = header(message, "Via")
            self.assertRegex(via, rf"^SIP/2\.0/UDP {re.escape(host)}:{self.deployment.port};",
                             f"{what}: {message}")
            self.assertNotIn(DOMAIN, via)

    def test_an_answered_call_is_acknowledged_and_hangs_up(self):
        callee = self.phone(CALLEE, CALLEE_SERVER)
        caller = self.phone(CALLER, CALLER_SERVER)
        self.register(callee, "1001")

        uri = f"sip:1001@{DOMAIN}"
        call_id = secrets.token_hex(8) + "@caller"
        from_value = f"<sip:1000@{DOMAIN}>;tag={secrets.token_hex(4)}"
        caller.request("INVITE", uri, call_id, from_value, f"<{uri}>", 1, body=SDP)
        challenge = caller.receive()
        self.assertEqual(status_of(challenge), 407, challenge)
        auth = SipClient.authorization(parse_params(header(challenge, "Proxy-Authenticate")),
                                       "1000", self.deployment.passwords["1000"],
                                       method="INVITE", uri=uri)
        caller.request("INVITE", uri, call_id, from_value, f"<{uri}>", 2,
                       [f"Proxy-Authorization: {auth}"], body=SDP)

        # The callee's leg names the address the callee registered to, and comes from it.
        offer = callee.receive()
        self.assertTrue(offer.startswith("INVITE "), offer)
        self.assert_names(offer, self.expected_host(CALLEE_SERVER), "INVITE to the callee")
        self.assertEqual(callee.senders[-1], self.expected_source(CALLEE_SERVER))
        callee.answer(offer, "callee1", body=SDP)

        # The caller's 200 names the address the caller sent its INVITE to.
        ok = caller.receive()
        self.assertEqual(status_of(ok), 200, ok)
        self.assert_names(ok, self.expected_host(CALLER_SERVER), "200 to the caller")
        self.assertEqual(caller.senders[-1], self.expected_source(CALLER_SERVER))

        # The ACK goes to the Contact the caller was given (RFC 3261 §13.2.2.4), and reaches the
        # callee: the call is not torn down 32 s later for want of it.
        to_value = header(ok, "To")
        target = contact_uri(ok)
        caller.request("ACK", target, call_id, from_value, to_value, 2)
        ack = callee.receive()
        self.assertTrue(ack.startswith("ACK "), ack)
        self.assertTrue(callee.quiet(1.0), "the callee got more than the ACK")
        self.assertTrue(caller.quiet(0.2), "the caller got more than the 200")

        # And the caller's BYE, to the same Contact, ends the call on both legs.
        caller.request("BYE", target, call_id, from_value, to_value, 3)
        bye = callee.receive()
        self.assertTrue(bye.startswith("BYE "), bye)
        self.assert_names(bye, self.expected_host(CALLEE_SERVER), "BYE to the callee")
        callee.answer(bye, "callee1")
        self.assertEqual(status_of(caller.receive()), 200)


class WildcardListenerTest(CallThroughListener, unittest.TestCase):
    """udp:0.0.0.0 without advertise: each phone is given the address it talks to."""

    def expected_host(self, server):
        return server

    def expected_source(self, server):
        return server

    def test_start_up_says_how_the_wildcard_is_named(self):
        log = self.deployment.read_log()
        self.assertIn("has no sip.advertise: Via and Contact name the address each phone's "
                      "messages arrive at", log)


class AdvertisedNameTest(CallThroughListener, unittest.TestCase):
    """The same listener with sip.advertise naming it "localhost" (one name /etc/hosts resolves
    without DNS): that name is in every Via and Contact, whichever address a phone used."""

    advertise = '{{ "udp:0.0.0.0:{port}" = "localhost" }}'

    def expected_host(self, server):
        return "localhost"

    def expected_source(self, server):
        # Datagrams still leave from the address the phone talks to.
        return server

    def test_start_up_has_no_warning_about_it(self):
        log = self.deployment.read_log()
        self.assertNotIn("sip.advertise", log)


if __name__ == "__main__":
    unittest.main()
