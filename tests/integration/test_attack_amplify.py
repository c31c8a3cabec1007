"""Issue 12, items 6 and 11, through the real binary.

Item 6, reflection and amplification. Anyone can send a UDP datagram with a forged source
address, and whatever the server answers lands on that address. So every answer a request can
earn without authentication (a challenge, a refusal, an error) must be one datagram per request,
sent once (a phone whose 407 was lost sends its INVITE again), no bigger than 3x the request in
bytes, and must cost the server no state. AmplificationTest sends, once each and each from its
own loopback address, the smallest request we could build that earns each answer, and the same
request as a phone would write it, then counts everything that comes back over 5 s (a stateful
407 would have been sent 4 times by then: Timer G at 0.5, 1.5 and 3.5 s).

Item 11, requests inside a dialog. A BYE that names a call's Call-ID and tags must come from the
address and transport of the leg it belongs to: from anywhere else it is challenged (407) and
only the leg's own account may then speak for it (a phone that moved), and the call stays up.
Only the B2BUA's allow-list of headers crosses from one leg to the other: Subject and Priority
do not.
"""
import re
import secrets
import socket
import time
import unittest

from harness import DOMAIN, Deployment, SipClient, add_users, parse_params

WINDOW = 5.0  # seconds of listening after each request
MAX_RATIO = 3  # an answer to an unauthenticated request: at most 3x the request's bytes


def crlf(*lines, body=""):
    return "\r\n".join(lines) + "\r\n\r\n" + body


class Peer:
    """A UDP socket on one loopback address that sends raw requests and collects every datagram
    that comes back."""

    def __init__(self, server_port, address):
        self.server = ("127.0.0.1", server_port)
        self.address = address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.port = self.sock.getsockname()[1]
        self.received = []

    def close(self):
        self.sock.close()

    def send(self, text):
        self.sock.sendto(text.encode(), self.server)

    def drain(self):
        """Every datagram already waiting on the socket."""
        self.sock.setblocking(False)
        try:
            while True:
                data, _ = self.sock.recvfrom(65535)
                self.received.append(data.decode(errors="replace"))
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
        return self.received

    def receive(self, timeout=3.0, skip_provisional=True):
        """The next message (request or response) as text; 1xx responses skipped if asked."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"nothing received at {self.address}")
            self.sock.settimeout(left)
            data, _ = self.sock.recvfrom(65535)
            text = data.decode(errors="replace")
            if skip_provisional and re.match(r"SIP/2\.0 1\d\d ", text):
                continue
            return text

    def quiet(self, seconds):
        """True when nothing arrives within `seconds`."""
        self.sock.settimeout(seconds)
        try:
            data, _ = self.sock.recvfrom(65535)
        except (socket.timeout, TimeoutError):
            return True
        self.received.append(data.decode(errors="replace"))
        return False


def status_of(message):
    match = re.match(r"SIP/2\.0 (\d{3}) ", message)
    return int(match.group(1)) if match else None


def header(message, name):
    head = message.split("\r\n\r\n", 1)[0]
    values = re.findall(rf"(?im)^{re.escape(name)}\s*:\s*(.*)$", head)
    return values[0].strip() if values else None


def tag(value):
    match = re.search(r";tag=([^;>\s]+)", value or "")
    return match.group(1) if match else None


# The answers an unauthenticated request can earn. Each entry: a name, the status, and a
# builder of the request given (address, port, style): style "minimal" is the smallest request
# we could build that still earns the answer (compact header names, no branch, no optional
# header), "phone" the same request as a phone writes it.

def build(method, uri, address, port, style, to_tag=None, extra=(), call_id=None, cseq=1,
          body=""):
    call_id = call_id or secrets.token_hex(4)
    if style == "minimal":
        lines = [f"{method} {uri} SIP/2.0", f"v:SIP/2.0/UDP {address}:{port}",
                 "f:<sip:a@b>;tag=1", "t:<sip:a@b>" + (f";tag={to_tag}" if to_tag else ""),
                 f"i:{call_id}", f"CSeq:{cseq} {method}", *extra]
        if body:
            lines.append(f"l:{len(body)}")
        return crlf(*lines, body=body)
    branch = "z9hG4bK" + secrets.token_hex(8)
    to = f"<{uri}>" + (f";tag={to_tag}" if to_tag else "")
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/UDP {address}:{port};branch={branch};rport",
             "Max-Forwards: 70",
             f"From: \"Phone\" <sip:1000@{DOMAIN}>;tag={secrets.token_hex(4)}",
             f"To: {to}", f"Call-ID: {call_id}@{address}", f"CSeq: {cseq} {method}",
             f"Contact: <sip:1000@{address}:{port};transport=udp>",
             "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REFER, MESSAGE, SUBSCRIBE, INFO",
             "Supported: replaces, timer", "User-Agent: Deskphone 4.2", *extra,
             f"Content-Length: {len(body)}"]
    return crlf(*lines, body=body)


SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n")


def register(a, p, style):
    return build("REGISTER", f"sip:{DOMAIN}", a, p, style,
                 extra=[] if style == "minimal" else ["Expires: 3600"])


def invite(a, p, style):
    return build("INVITE", f"sip:1001@{DOMAIN}", a, p, style, body="" if style == "minimal" else SDP)


CASES = [
    ("REGISTER, no credentials", 401, register),
    ("INVITE, no credentials", 407, invite),
    ("SUBSCRIBE, no credentials", 407,
     lambda a, p, s: build("SUBSCRIBE", f"sip:1001@{DOMAIN}", a, p, s, extra=["o:presence"])),
    ("MESSAGE, no credentials", 407,
     lambda a, p, s: build("MESSAGE", f"sip:1001@{DOMAIN}", a, p, s,
                           extra=["c:text/plain"], body="hi" if s == "minimal" else "hello there")),
    ("INVITE for a foreign domain", 403,
     lambda a, p, s: build("INVITE", "sip:1001@elsewhere.example", a, p, s)),
    ("INVITE requiring an extension", 420,
     lambda a, p, s: build("INVITE", f"sip:1001@{DOMAIN}", a, p, s, extra=["Require: x"])),
    ("an unknown method", 501, lambda a, p, s: build("FOO", f"sip:1001@{DOMAIN}", a, p, s)),
    ("a method not enabled", 405, lambda a, p, s: build("PUBLISH", f"sip:1001@{DOMAIN}", a, p, s)),
    ("BYE without a To tag", 481, lambda a, p, s: build("BYE", f"sip:1001@{DOMAIN}", a, p, s)),
    ("BYE for no dialog", 481,
     lambda a, p, s: build("BYE", f"sip:1001@{DOMAIN}", a, p, s, to_tag="0123456789abcdef")),
    ("re-INVITE for no dialog", 481,
     lambda a, p, s: build("INVITE", f"sip:1001@{DOMAIN}", a, p, s, to_tag="0123456789abcdef")),
    ("CANCEL of no INVITE", 481, lambda a, p, s: build("CANCEL", f"sip:1001@{DOMAIN}", a, p, s)),
    ("a malformed request", 400,
     lambda a, p, s: build("INVITE", f"sip:1001@{DOMAIN}", a, p, s, extra=["Expires: soon"])),
]


class AmplificationTest(unittest.TestCase):
    settings = {"sip": {"methods": '["REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "SUBSCRIBE", '
                                   '"MESSAGE"]'}}

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(settings=cls.settings)
        add_users(cls.deployment, ["1000", "1001"])
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def test_every_unauthenticated_answer_is_one_datagram_at_most_three_times_the_request(self):
        peers, rows = [], []
        try:
            for i, (name, status, make) in enumerate(CASES):
                for j, style in enumerate(("minimal", "phone")):
                    peer = Peer(self.deployment.port, f"127.0.{1 + j}.{10 + i}")
                    peers.append(peer)
                    request = make(peer.address, peer.port, style)
                    peer.send(request)
                    rows.append((name, style, status, len(request), peer))
            time.sleep(WINDOW)
            for peer in peers:
                peer.drain()
        finally:
            for peer in peers:
                peer.close()
        report = ["answer / request  style    request  answers  bytes  ratio"]
        failures = []
        for name, style, status, size, peer in rows:
            answers = peer.received
            total = sum(len(a.encode()) for a in answers)
            report.append(f"{name:32} {style:8} {size:7} {len(answers):8} {total:6} "
                          f"{total / size:6.2f}  {[status_of(a) for a in answers]}")
            if len(answers) > 1:
                failures.append(f"{name} ({style}): {len(answers)} answers to one request")
            if total > MAX_RATIO * size:
                failures.append(f"{name} ({style}): {total} bytes for a request of {size}")
            if any(status_of(a) != status for a in answers):
                failures.append(f"{name} ({style}): {[status_of(a) for a in answers]}, "
                                f"not {status}")
            # A phone's request, of the size phones send, still gets its answer.
            if style == "phone" and len(answers) != 1:
                failures.append(f"{name} ({style}): no answer")
        print("\n" + "\n".join(report))
        self.assertEqual(failures, [], "\n".join(report))

    def test_the_407_is_sent_once_its_ack_absorbed_and_a_resent_invite_challenged_anew(self):
        caller = Peer(self.deployment.port, "127.0.3.1")
        self.addCleanup(caller.close)
        request = invite(caller.address, caller.port, "phone")
        caller.send(request)
        first = caller.receive()
        self.assertEqual(status_of(first), 407, first)
        # The phone did not hear it and sends the INVITE again (same branch): a new challenge,
        # with a new nonce.
        caller.send(request)
        second = caller.receive()
        self.assertEqual(status_of(second), 407, second)
        nonces = [parse_params(header(r, "Proxy-Authenticate"))["nonce"] for r in (first, second)]
        self.assertNotEqual(nonces[0], nonces[1])
        # The ACK of a stateless 407 matches nothing: absorbed without an answer.
        via = header(request, "Via")
        ack = crlf(f"ACK sip:1001@{DOMAIN} SIP/2.0", f"Via: {via}", "Max-Forwards: 70",
                   f"From: {header(request, 'From')}", f"To: {header(second, 'To')}",
                   f"Call-ID: {header(request, 'Call-ID')}", "CSeq: 1 ACK", "Content-Length: 0")
        caller.send(ack)
        self.assertTrue(caller.quiet(WINDOW), caller.received)
        # And the second challenge works: the INVITE with credentials reaches the B2BUA (480:
        # 1001 has no registered phone).
        challenge = parse_params(header(second, "Proxy-Authenticate"))
        auth = SipClient.authorization(challenge, "1000", self.deployment.passwords["1000"],
                                       method="INVITE", uri=f"sip:1001@{DOMAIN}")
        retry = request.replace("CSeq: 1 INVITE", "CSeq: 2 INVITE").replace(
            "Max-Forwards: 70", f"Max-Forwards: 70\r\nProxy-Authorization: {auth}")
        retry = re.sub(r"branch=z9hG4bK\w+", "branch=z9hG4bK" + secrets.token_hex(8), retry)
        caller.send(retry)
        self.assertEqual(status_of(caller.receive()), 480)


class InDialogTest(unittest.TestCase):
    """A call from 1000 (127.0.0.3) to 1001 (127.0.0.4), both played here, and strangers who
    know every identifier of it."""

    CALLER, CALLEE = "127.0.0.3", "127.0.0.4"

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment()
        add_users(cls.deployment, ["1000", "1001", "1002"])
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def peer(self, address):
        peer = Peer(self.deployment.port, address)
        self.addCleanup(peer.close)
        return peer

    def authorization(self, challenge_response, user, method, uri):
        challenge = parse_params(header(challenge_response, "Proxy-Authenticate"))
        return SipClient.authorization(challenge, user, self.deployment.passwords[user],
                                       method=method, uri=uri)

    def request(self, peer, method, uri, call_id, from_value, to_value, cseq, extra=(), body=""):
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {peer.address}:{peer.port};branch=z9hG4bK"
                 f"{secrets.token_hex(8)};rport",
                 "Max-Forwards: 70", f"From: {from_value}", f"To: {to_value}",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} {method}",
                 f"Contact: <sip:x@{peer.address}:{peer.port}>", *extra]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        return crlf(*lines, body=body)

    def answer(self, callee, request, to_tag, status=200, body=""):
        lines = [f"SIP/2.0 {status} OK"]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            value = header(request, name)
            if name == "To" and tag(value) is None:
                value += f";tag={to_tag}"
            lines.append(f"{name}: {value}")
        lines.append(f"Contact: <sip:1001@{callee.address}:{callee.port}>")
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        callee.send(crlf(*lines, body=body))

    def start_call(self):
        """An answered, ACKed call. Returns a dict of both legs' identifiers and the peers."""
        callee = self.peer(self.CALLEE)
        aor = f"<sip:1001@{DOMAIN}>"
        reg_call_id, reg_from = secrets.token_hex(8), f"{aor};tag={secrets.token_hex(4)}"
        contact = ["Expires: 600"]
        callee.send(self.request(callee, "REGISTER", f"sip:{DOMAIN}", reg_call_id, reg_from, aor,
                                 1, contact))
        challenge = callee.receive()
        self.assertEqual(status_of(challenge), 401, challenge)
        params = parse_params(header(challenge, "WWW-Authenticate"))
        auth = SipClient.authorization(params, "1001", self.deployment.passwords["1001"])
        callee.send(self.request(callee, "REGISTER", f"sip:{DOMAIN}", reg_call_id, reg_from, aor,
                                 2, [*contact, f"Authorization: {auth}"]))
        registered = callee.receive()
        self.assertEqual(status_of(registered), 200, registered)

        caller = self.peer(self.CALLER)
        call_id = secrets.token_hex(8) + "@caller"
        from_value = f"<sip:1000@{DOMAIN}>;tag=caller{secrets.token_hex(4)}"
        uri = f"sip:1001@{DOMAIN}"
        # What a caller may set and must not reach the callee: the allow-list (docs) has neither.
        extra = ["Subject: Your bank: call back at once", "Priority: emergency"]
        caller.send(self.request(caller, "INVITE", uri, call_id, from_value, f"<{uri}>", 1,
                                 extra, SDP))
        challenge = caller.receive()
        self.assertEqual(status_of(challenge), 407, challenge)
        auth = self.authorization(challenge, "1000", "INVITE", uri)
        caller.send(self.request(caller, "INVITE", uri, call_id, from_value, f"<{uri}>", 2,
                                 [f"Proxy-Authorization: {auth}", *extra], SDP))
        offer = callee.receive()
        self.assertTrue(offer.startswith("INVITE "), offer)
        self.answer(callee, offer, "callee1", body=SDP)
        ok = caller.receive()
        self.assertEqual(status_of(ok), 200, ok)
        caller_to = header(ok, "To")
        caller.send(self.request(caller, "ACK", uri, call_id, from_value, caller_to, 2))
        ack = callee.receive()
        self.assertTrue(ack.startswith("ACK "), ack)
        return {
            "caller": caller, "callee": callee, "uri": uri, "offer": offer,
            "caller_leg": (call_id, from_value, caller_to),
            "callee_leg": (header(offer, "Call-ID"), header(offer, "To") + ";tag=callee1",
                           header(offer, "From")),
        }

    def hang_up(self, call):
        call_id, from_value, to_value = call["caller_leg"]
        call["caller"].send(self.request(call["caller"], "BYE", call["uri"], call_id, from_value,
                                         to_value, 3))
        bye = call["callee"].receive()
        self.assertTrue(bye.startswith("BYE "), bye)
        self.answer(call["callee"], bye, "callee1")
        self.assertEqual(status_of(call["caller"].receive()), 200)

    def test_subject_and_priority_do_not_cross(self):
        call = self.start_call()
        self.assertIsNone(header(call["offer"], "Subject"), call["offer"])
        self.assertIsNone(header(call["offer"], "Priority"), call["offer"])
        self.assertIsNotNone(header(call["offer"], "Content-Type"))  # on the allow-list
        self.hang_up(call)

    def test_bye_from_another_address_is_refused_and_the_call_stays_up(self):
        call = self.start_call()
        stranger = self.peer("127.0.0.2")
        # The caller's leg, every identifier right, from another address.
        call_id, from_value, to_value = call["caller_leg"]
        stranger.send(self.request(stranger, "BYE", call["uri"], call_id, from_value, to_value, 3))
        refused = stranger.receive()
        self.assertEqual(status_of(refused), 407, refused)
        self.assertTrue(stranger.quiet(1.0), "more than one answer")
        # The callee's leg likewise.
        call_id, from_value, to_value = call["callee_leg"]
        stranger.send(self.request(stranger, "BYE", "sip:hardline@127.0.0.1", call_id, from_value,
                                   to_value, 1))
        self.assertEqual(status_of(stranger.receive()), 407)
        # A re-INVITE too (it would move the media).
        call_id, from_value, to_value = call["caller_leg"]
        stranger.send(self.request(stranger, "INVITE", call["uri"], call_id, from_value, to_value,
                                   4, body=SDP))
        self.assertEqual(status_of(stranger.receive()), 407)
        # The call is up: neither side heard of any of it, and the caller's own BYE ends it.
        self.assertTrue(call["callee"].quiet(1.0), call["callee"].received)
        self.assertTrue(call["caller"].quiet(0.2), call["caller"].received)
        self.hang_up(call)

    def test_a_phone_that_moved_authenticates_as_its_account(self):
        call = self.start_call()
        moved = self.peer("127.0.0.5")
        call_id, from_value, to_value = call["caller_leg"]
        bye = self.request(moved, "BYE", call["uri"], call_id, from_value, to_value, 3)
        moved.send(bye)
        challenge = moved.receive()
        self.assertEqual(status_of(challenge), 407, challenge)
        # Another account's credentials do not speak for this leg.
        auth = self.authorization(challenge, "1002", "BYE", call["uri"])
        moved.send(self.request(moved, "BYE", call["uri"], call_id, from_value, to_value, 4,
                                [f"Proxy-Authorization: {auth}"]))
        self.assertEqual(status_of(moved.receive()), 403)
        self.assertTrue(call["callee"].quiet(0.5), call["callee"].received)
        # The leg's own account does.
        moved.send(bye)
        challenge = moved.receive()
        auth = self.authorization(challenge, "1000", "BYE", call["uri"])
        moved.send(self.request(moved, "BYE", call["uri"], call_id, from_value, to_value, 5,
                                [f"Proxy-Authorization: {auth}"]))
        self.assertEqual(status_of(moved.receive()), 200)
        bye = call["callee"].receive()
        self.assertTrue(bye.startswith("BYE "), bye)
        self.answer(call["callee"], bye, "callee1")


if __name__ == "__main__":
    unittest.main()
