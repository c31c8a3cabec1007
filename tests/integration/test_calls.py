"""Calls through the B2BUA with real peers: a SIPp UAS registered as 1001 from 127.0.0.2 and a
SIPp UAC calling it as 1000 from 127.0.0.3, through Hardline on 127.0.0.1. Distinct loopback
addresses make every address visible: the callee must never see the caller's (and the other
way round) anywhere in the SIP headers, nor its Via, Contact, Call-ID, tags or internal
headers. (The SDP still carries the peers' media addresses: rewriting it is the media relay's
job, in rewrite_sdp_for_leg.)

SIPp 3.6.1 answers only an MD5 challenge that comes first, so the deployment offers
["MD5", "SHA-256"], as test_peers.py explains.
"""
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest

from concurrent.futures import ThreadPoolExecutor

from harness import DOMAIN, Deployment, SipClient, add_users, free_port, tool
from test_peers import DATA

CALLER_ADDRESS = "127.0.0.3"
CALLEE_ADDRESS = "127.0.0.2"


def scenario(name):
    return os.path.join(DATA, name)


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def messages(trace, direction="received"):
    """The SIP messages of a SIPp -trace_msg file that SIPp sent or received, in order."""
    out = []
    for block in re.split(r"-{20,} [^\n]*\n", read(trace)):
        match = re.match(rf"\s*(?:UDP|TCP) message {direction} (?:\[\d+\] bytes :|\(\d+ bytes\):)"
                         r"\n\n(.*)", block, re.S)
        if match:
            out.append(match.group(1).strip("\n").replace("\r\n", "\n"))
    return out


def head(message):
    """The start line and headers of a message, without the body."""
    return message.split("\n\n", 1)[0]


def header(message, name):
    values = re.findall(rf"(?im)^{re.escape(name)}\s*:\s*(.*)$", head(message))
    return values[0].strip() if values else None


def read_stream_message(client, timeout=10):
    """One request or response from a SipClient's TCP connection, as text with LF line ends."""
    client.sock.settimeout(timeout)
    while True:
        end = client.buffer.find(b"\r\n\r\n")
        if end >= 0:
            length = int(re.search(rb"(?im)^content-length:\s*(\d+)", client.buffer[:end]).group(1))
            total = end + 4 + length
            if len(client.buffer) >= total:
                message, client.buffer = client.buffer[:total], client.buffer[total:]
                return message.decode().replace("\r\n", "\n")
        chunk = client.sock.recv(65535)
        if not chunk:
            raise ConnectionError("connection closed")
        client.buffer += chunk


def first(found, start):
    for message in found:
        if message.startswith(start):
            return message
    raise AssertionError(f"no message starting with {start!r} in {found!r}")


class CallTest(unittest.TestCase):
    settings = {"auth": {"algorithms": '["MD5", "SHA-256"]'},
                "calls": {"ring_timeout": "5"}}

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(settings=cls.settings)
        add_users(cls.deployment, ["1001", "1003"])
        cls.deployment.add_user("1000", "--name", "Alice Example")
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def setUp(self):
        self.work = tempfile.mkdtemp(dir=self.deployment.tmp, prefix=self._testMethodName[:40])
        # Each test registers the callee anew: earlier tests' contacts are gone.
        self.unregister("1001")

    def unregister(self, user):
        client = SipClient(self.deployment.port, source=CALLEE_ADDRESS)
        try:
            reply = client.register_with_auth(user, self.deployment.passwords[user], "MD5",
                                              contact="*", expires=0)
            self.assertEqual(reply.status, 200, reply.text)
        finally:
            client.close()

    def register_callee(self, user="1001"):
        """Registers `user` from a port of 127.0.0.2 and frees the port for the SIPp UAS: the
        server sends the INVITE to the address the REGISTER came from."""
        client = SipClient(self.deployment.port, source=CALLEE_ADDRESS)
        try:
            reply = client.register_with_auth(user, self.deployment.passwords[user], "MD5")
            self.assertEqual(reply.status, 200, reply.text)
            return client.local_port
        finally:
            client.close()

    def start_callee(self, name, port):
        trace = os.path.join(self.work, "callee-messages.log")
        errors = os.path.join(self.work, "callee-errors.log")
        args = [tool("sipp"), "-sf", scenario(name), "-i", CALLEE_ADDRESS, "-p", str(port),
                "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error",
                "-trace_msg", "-message_file", trace, "-trace_err", "-error_file", errors]
        process = subprocess.Popen(args, cwd=self.work, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)

        def kill():
            if process.poll() is None:
                process.kill()
            process.wait()
        self.addCleanup(kill)
        process.trace, process.errors = trace, errors
        time.sleep(0.3)  # until SIPp listens
        return process

    def call(self, name, dialled="1001", caller="1000", caller_from=None, timeout=30):
        """Runs the caller's scenario once; returns (process, trace)."""
        trace = os.path.join(self.work, "caller-messages.log")
        errors = os.path.join(self.work, "caller-errors.log")
        caller_from = caller_from or f"<sip:{caller}@{DOMAIN}>"
        args = [tool("sipp"), f"127.0.0.1:{self.deployment.port}", "-sf", scenario(name),
                "-s", dialled, "-i", CALLER_ADDRESS, "-p", str(free_port()), "-m", "1",
                "-au", caller, "-ap", self.deployment.passwords[caller],
                "-auth_uri", f"{dialled}@{DOMAIN}",
                "-key", "caller", caller, "-key", "caller_from", caller_from,
                "-nostdin", "-timeout", f"{timeout}s", "-timeout_error",
                "-trace_msg", "-message_file", trace, "-trace_err", "-error_file", errors]
        process = subprocess.run(args, cwd=self.work, capture_output=True, text=True,
                                 timeout=timeout + 20)
        process.trace, process.errors = trace, errors
        return process

    def finish(self, callee, caller):
        try:
            callee.wait(timeout=15)
        except subprocess.TimeoutExpired:
            callee.kill()
            callee.wait()
        self.assertEqual(caller.returncode, 0, self.describe(caller, callee))
        self.assertEqual(callee.returncode, 0, self.describe(caller, callee))

    def describe(self, caller, callee):
        return (f"caller exit {caller.returncode}: {read(caller.errors)[-2000:]}\n"
                f"caller saw: {messages(caller.trace)}\n"
                f"callee exit {callee.returncode}: {read(callee.errors)[-2000:]}\n"
                f"callee saw: {messages(callee.trace)}\nserver: {self.deployment.read_log()[-2000:]}")

    def assert_hidden(self, message, addresses, *texts):
        """Nothing of the other side in the message's start line and headers."""
        top = head(message)
        for text in (*addresses, *texts):
            self.assertNotIn(text, top, f"{text!r} leaked into:\n{top}")

    # Answer and BYE from each side; topology hiding both ways.

    def test_answer_and_caller_hangs_up(self):
        callee = self.start_callee("callee_answer.xml", self.register_callee())
        caller = self.call("call_uac_bye.xml")
        self.finish(callee, caller)
        sent_by_caller = messages(caller.trace, "sent")
        caller_invite = [m for m in sent_by_caller if m.startswith("INVITE")][-1]
        invite = first(messages(callee.trace), "INVITE")
        # A new dialog: Call-ID, tags, CSeq, Via, Contact all Hardline's own.
        self.assertNotEqual(header(invite, "Call-ID"), header(caller_invite, "Call-ID"))
        self.assert_hidden(invite, [CALLER_ADDRESS], header(caller_invite, "Call-ID"),
                           "SIPpTag00", "X-Secret-Internal", "P-Asserted-Identity",
                           "Remote-Party-ID", "caller-phone", "Proxy-Authorization")
        self.assertEqual(len(re.findall(r"(?im)^Via:", head(invite))), 1)
        self.assertIn("127.0.0.1", header(invite, "Via"))
        self.assertRegex(header(invite, "Contact"), r"^<sip:127\.0\.0\.1:\d+;transport=udp>$")
        self.assertEqual(header(invite, "Max-Forwards"), "69")
        self.assertTrue(invite.startswith(f"INVITE sip:1001@{CALLEE_ADDRESS}:"), invite)
        # The body passes through unchanged for now (rewrite_sdp_for_leg).
        self.assertEqual(invite.split("\n\n", 1)[1].strip(),
                         caller_invite.split("\n\n", 1)[1].strip())
        # The caller's view of the answer: nothing of the callee.
        ok = first(messages(caller.trace), "SIP/2.0 200")
        self.assert_hidden(ok, [CALLEE_ADDRESS], "SIPpTag01", "X-Callee-Internal",
                           "callee-phone", header(invite, "Call-ID"))
        self.assertRegex(header(ok, "Contact"), r"^<sip:127\.0\.0\.1:\d+;transport=udp>$")
        self.assertIn(CALLER_ADDRESS, header(ok, "Via"))  # its own Via, stamped
        # The caller's BYE became Hardline's BYE on the callee's leg, and was answered.
        bye = first(messages(callee.trace), "BYE")
        self.assert_hidden(bye, [CALLER_ADDRESS], header(caller_invite, "Call-ID"))
        self.assertEqual(header(bye, "Call-ID"), header(invite, "Call-ID"))
        ack = first(messages(callee.trace), "ACK")
        self.assertEqual(header(ack, "Call-ID"), header(invite, "Call-ID"))

    def test_answer_and_callee_hangs_up(self):
        callee = self.start_callee("callee_answer_bye.xml", self.register_callee())
        caller = self.call("call_uac_wait_bye.xml")
        self.finish(callee, caller)
        bye = first(messages(caller.trace), "BYE")
        self.assert_hidden(bye, [CALLEE_ADDRESS], "SIPpTag01")
        self.assertTrue(bye.startswith(f"BYE sip:1000@{CALLER_ADDRESS}:"), bye)
        # The callee's BYE was answered by Hardline.
        self.assertTrue(first(messages(callee.trace), "SIP/2.0 200"))

    def test_callee_over_tcp_and_its_connection_lost(self):
        """A phone registered over TCP is reached on the connection it registered on; when that
        connection closes during the call, the caller gets a BYE."""
        phone = SipClient(self.deployment.port, transport="tcp", source=CALLEE_ADDRESS)
        self.addCleanup(phone.close)
        reply = phone.register_with_auth("1001", self.deployment.passwords["1001"], "MD5")
        self.assertEqual(reply.status, 200, reply.text)
        with ThreadPoolExecutor(1) as pool:
            caller = pool.submit(self.call, "call_uac_wait_bye.xml")
            invite = read_stream_message(phone)
            self.assertTrue(invite.startswith("INVITE sip:1001@"), invite)
            self.assertIn("SIP/2.0/TCP", header(invite, "Via"))
            self.assertRegex(header(invite, "Contact"), r"^<sip:127\.0\.0\.1:\d+;transport=tcp>$")
            lines = [line for line in head(invite).split("\n")[1:]
                     if re.match(r"(?i)(via|from|to|call-id|cseq):", line)]
            lines = [line + ";tag=tcpphone" if line.lower().startswith("to:") else line
                     for line in lines]
            ok = ("SIP/2.0 200 OK\r\n" + "\r\n".join(lines) +
                  f"\r\nContact: <sip:1001@{CALLEE_ADDRESS}:{phone.local_port};transport=tcp>"
                  "\r\nContent-Length: 0\r\n\r\n")
            phone.send(ok)
            ack = read_stream_message(phone)
            self.assertTrue(ack.startswith("ACK "), ack)
            phone.sock.shutdown(socket.SHUT_RDWR)
            phone.close()
            result = caller.result(timeout=40)
        self.assertEqual(result.returncode, 0, read(result.errors)[-2000:])
        self.assertTrue(first(messages(result.trace), "BYE"))

    # Identity (RT-6).

    def test_spoofed_from_reaches_the_callee_as_the_account(self):
        callee = self.start_callee("callee_answer.xml", self.register_callee())
        caller = self.call("call_uac_bye.xml", caller_from='"The Bank" <sip:+18005550100@bank.example>')
        self.finish(callee, caller)
        invite = first(messages(callee.trace), "INVITE")
        self.assertRegex(header(invite, "From"),
                         rf'^"Alice Example" <sip:1000@{re.escape(DOMAIN)}>;tag=[0-9a-f]{{16}}$')
        self.assert_hidden(invite, [], "Bank", "18005550100", "bank.example")

    def test_account_without_display_name_shows_only_its_number(self):
        callee = self.start_callee("callee_answer.xml", self.register_callee())
        caller = self.call("call_uac_bye.xml", caller="1003",
                           caller_from='"CEO" <sip:1000@hardline.test>')
        self.finish(callee, caller)
        invite = first(messages(callee.trace), "INVITE")
        self.assertRegex(header(invite, "From"),
                         rf'^<sip:1003@{re.escape(DOMAIN)}>;tag=[0-9a-f]{{16}}$')

    # Before an answer.

    def test_cancel_before_answer(self):
        callee = self.start_callee("callee_ring_cancelled.xml", self.register_callee())
        caller = self.call("call_uac_cancel.xml")
        self.finish(callee, caller)
        cancel = first(messages(callee.trace), "CANCEL")
        self.assertEqual(header(cancel, "Call-ID"), header(first(messages(callee.trace), "INVITE"),
                                                           "Call-ID"))

    def test_busy_callee(self):
        callee = self.start_callee("callee_busy.xml", self.register_callee())
        caller = self.call("call_uac_fail.xml")
        self.finish(callee, caller)
        self.assertTrue(first(messages(caller.trace), "SIP/2.0 486 Busy Here"))

    def test_no_answer_ends_at_the_ring_timeout(self):
        callee = self.start_callee("callee_ring_cancelled.xml", self.register_callee())
        started = time.monotonic()
        caller = self.call("call_uac_fail.xml")
        elapsed = time.monotonic() - started
        self.finish(callee, caller)
        self.assertTrue(first(messages(caller.trace), "SIP/2.0 480"))
        self.assertGreaterEqual(elapsed, 4.5)  # ring_timeout = 5
        self.assertLess(elapsed, 15)

    def test_unknown_number_gets_404_and_unregistered_account_480(self):
        for dialled, status in (("1999", "404"), ("1003", "480")):
            with self.subTest(dialled=dialled):
                caller = self.call("call_uac_fail.xml", dialled=dialled)
                self.assertEqual(caller.returncode, 0, read(caller.errors)[-2000:])
                self.assertTrue(first(messages(caller.trace), f"SIP/2.0 {status}"))

    # Authentication.

    def test_unauthenticated_invite_gets_407(self):
        client = SipClient(self.deployment.port, source=CALLER_ADDRESS)
        try:
            branch = "z9hG4bKnoauth1"
            lines = [f"INVITE sip:1001@{DOMAIN} SIP/2.0",
                     f"Via: SIP/2.0/UDP {CALLER_ADDRESS}:{client.local_port};branch={branch};rport",
                     "Max-Forwards: 70", f"From: <sip:1000@{DOMAIN}>;tag=a1",
                     f"To: <sip:1001@{DOMAIN}>", "Call-ID: noauth@test", "CSeq: 1 INVITE",
                     f"Contact: <sip:1000@{CALLER_ADDRESS}:{client.local_port}>",
                     "Content-Length: 0"]
            client.send("\r\n".join(lines) + "\r\n\r\n")
            reply = client.receive()
            self.assertEqual(reply.status, 407)
            challenges = reply.all("Proxy-Authenticate")
            self.assertEqual([re.search(r"algorithm=([\w-]+)", c).group(1) for c in challenges],
                             ["MD5", "SHA-256"])
            self.assertEqual(reply.all("WWW-Authenticate"), [])
            # The 407 is ACKed like any failure; no call was started.
            to = reply.get("To")
            ack = [f"ACK sip:1001@{DOMAIN} SIP/2.0", lines[1], "Max-Forwards: 70", lines[3],
                   f"To: {to}", "Call-ID: noauth@test", "CSeq: 1 ACK", "Content-Length: 0"]
            client.send("\r\n".join(ack) + "\r\n\r\n")
            self.assertTrue(client.nothing_received(0.7))
        finally:
            client.close()


class DialogCreatingRequestsTest(unittest.TestCase):
    """SUBSCRIBE and MESSAGE, once enabled, are challenged like INVITE: 407, with answers of the
    same shape for an account that exists and one that does not."""
    settings = {"sip": {"methods": '["REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "SUBSCRIBE", '
                                   '"MESSAGE"]'}}

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(settings=cls.settings)
        add_users(cls.deployment, ["1000"])
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def request(self, client, method, user, branch, authorization=None):
        lines = [f"{method} sip:1001@{DOMAIN} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{client.local_port};branch={branch};rport",
                 "Max-Forwards: 70", f"From: <sip:{user}@{DOMAIN}>;tag=t{branch[-6:]}",
                 f"To: <sip:1001@{DOMAIN}>", f"Call-ID: {branch}@test", f"CSeq: 1 {method}",
                 f"Contact: <sip:{user}@127.0.0.1:{client.local_port}>"]
        if method == "SUBSCRIBE":
            lines.append("Event: presence")
        if authorization:
            lines.append(f"Proxy-Authorization: {authorization}")
        lines.append("Content-Length: 0")
        client.send("\r\n".join(lines) + "\r\n\r\n")
        return client.receive()

    def test_challenged_alike_for_existing_and_missing_accounts(self):
        client = SipClient(self.deployment.port, source="127.0.0.70")
        self.addCleanup(client.close)
        for method in ("SUBSCRIBE", "MESSAGE"):
            with self.subTest(method=method):
                shapes = []
                for user in ("1000", "1999"):
                    reply = self.request(client, method, user, f"z9hG4bK{method}{user}")
                    self.assertEqual(reply.status, 407)
                    shapes.append((reply.status, reply.names(),
                                   [len(v) for v in reply.all("Proxy-Authenticate")]))
                self.assertEqual(shapes[0], shapes[1])
                # With the right credentials: authenticated, and then not served yet.
                challenge = {k.lower(): v for k, v in re.findall(
                    r'(\w+)="?([^",]*)"?', reply.all("Proxy-Authenticate")[0].partition(" ")[2])}
                auth = SipClient.authorization(challenge, "1000", self.deployment.passwords["1000"],
                                               method=method, uri=f"sip:1001@{DOMAIN}")
                reply = self.request(client, method, "1000", f"z9hG4bK{method}auth", auth)
                self.assertEqual(reply.status, 501, reply.text)


if __name__ == "__main__":
    unittest.main()
