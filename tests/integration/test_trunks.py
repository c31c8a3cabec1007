"""Trunks through the dialplan, with real peers: a SIPp UAS on 127.0.0.5 plays the provider
(it challenges Hardline's INVITE with a 401 digest: SIPp's verifyauth reads only
Authorization), accounts call from 127.0.0.3, the callee
registers from 127.0.0.2, and the provider's own calls come from 127.0.0.5 (recognised by that
address only). Two Hardline instances whose dialplans point at each other end a looping call
with 482/483 and stay healthy.
"""
import os
import re
import secrets
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (DOMAIN, Deployment, SipClient, add_users, digest, free_port, parse_params,
                     tool)
from test_calls import head, header, messages, read, scenario

CALLER_ADDRESS = "127.0.0.3"
CALLEE_ADDRESS = "127.0.0.2"
PROVIDER_ADDRESS = "127.0.0.5"
TRUNK_USER = "trunkuser"
TRUNK_PASSWORD = "trunk-secret-7"


def dialplan(provider_port):
    return f"""
[[trunk]]
name = "provider"
host = "{PROVIDER_ADDRESS}"
port = {provider_port}
transport = "udp"
username = "{TRUNK_USER}"
password = "{TRUNK_PASSWORD}"
sources = ["{PROVIDER_ADDRESS}/32"]
caller_id_mismatch = "anonymous"

[[dialplan.rule]]
name = "did"
match = '\\+4930555(0[0-9])'
action = "local"
to = "10$1"
callers = ["trunk:provider"]

[[dialplan.rule]]
name = "internal"
match = '[1-9][0-9]{{3}}'
action = "local"

[[dialplan.rule]]
name = "international"
match = '00([1-9][0-9]{{6,14}})'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]
max_concurrent = 1
max_per_hour = 100

[[dialplan.rule]]
name = "no-dialout"
match = '0[0-9]*'
action = "reject"
status = 403
"""


def write_dialplan(deployment, text):
    with open(os.path.join(deployment.dir, "dialplan.toml"), "w") as f:
        f.write(text)


def proxy_challenge(response):
    for value in response.all("Proxy-Authenticate"):
        params = parse_params(value)
        if params.get("algorithm", "MD5").upper() == "MD5":
            return params
    raise AssertionError("no MD5 challenge in " + response.text)


class Phone:
    """A raw UDP phone sending INVITEs (with digest answers) and reading the answers."""

    def __init__(self, port, source, user=None, password=None):
        self.client = SipClient(port, source=source)
        self.user, self.password = user, password
        self.source = source

    def close(self):
        self.client.close()

    def invite_message(self, number, cseq, branch, call_id, from_tag, from_header, auth=None):
        c = self.client
        lines = [
            f"INVITE sip:{number}@{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {c.via_host}:{c.local_port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: {from_header};tag={from_tag}",
            f"To: <sip:{number}@{DOMAIN}>",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} INVITE",
            f"Contact: <sip:phone@{c.via_host}:{c.local_port}>",
        ]
        if auth:
            lines.append(f"Proxy-Authorization: {auth}")
        lines.append("Content-Length: 0")
        return "\r\n".join(lines) + "\r\n\r\n"

    def ack_for(self, invite, response):
        to = re.search(r"(?im)^To:\s*(.*)$", response.text).group(1).strip()
        lines = [line for line in invite.split("\r\n") if line]
        out = [lines[0].replace("INVITE", "ACK", 1)]
        for line in lines[1:]:
            if line.startswith("To:"):
                out.append(f"To: {to}")
            elif line.startswith("CSeq:"):
                out.append(line.replace("INVITE", "ACK"))
            elif line.startswith(("Via:", "From:", "Call-ID:", "Max-Forwards:")):
                out.append(line)
        out.append("Content-Length: 0")
        return "\r\n".join(out) + "\r\n\r\n"

    def call(self, number, from_header=None, timeout=10):
        """Sends an INVITE, answers a 407 with the phone's credentials; returns the final
        response."""
        self.call_id = secrets.token_hex(8) + "@phone"
        self.from_tag = secrets.token_hex(4)
        from_header = from_header or f"<sip:{self.user or 'anonymous'}@{DOMAIN}>"
        self.from_header = from_header
        cseq, auth = 1, None
        while True:
            self.branch = "z9hG4bK" + secrets.token_hex(8)
            invite = self.invite_message(number, cseq, self.branch, self.call_id, self.from_tag,
                                         from_header, auth)
            self.invite, self.cseq = invite, cseq
            self.client.send(invite)
            deadline = time.monotonic() + timeout
            while True:
                response = self.client.receive(max(0.1, deadline - time.monotonic()))
                if response.status == 100:
                    continue
                if response.status < 200:
                    continue
                break
            if response.status == 407 and self.password and auth is None:
                self.client.send(self.ack_for(invite, response))
                challenge = proxy_challenge(response)
                auth = SipClient.authorization(challenge, self.user, self.password, "INVITE",
                                               f"sip:{number}@{DOMAIN}")
                cseq += 1
                continue
            if response.status >= 300:
                self.client.send(self.ack_for(invite, response))
            return response

    def ringing(self, number, timeout=10):
        """An authenticated INVITE left ringing: returns once the 100 Trying arrived."""
        self.call_id = secrets.token_hex(8) + "@phone"
        self.from_tag = secrets.token_hex(4)
        from_header = f"<sip:{self.user}@{DOMAIN}>"
        cseq, auth = 1, None
        while True:
            self.branch = "z9hG4bK" + secrets.token_hex(8)
            invite = self.invite_message(number, cseq, self.branch, self.call_id, self.from_tag,
                                         from_header, auth)
            self.invite, self.cseq = invite, cseq
            self.client.send(invite)
            response = self.client.receive(timeout)
            if response.status == 407 and auth is None:
                self.client.send(self.ack_for(invite, response))
                auth = SipClient.authorization(proxy_challenge(response), self.user,
                                               self.password, "INVITE", f"sip:{number}@{DOMAIN}")
                cseq += 1
                continue
            return response

    def cancel(self, number):
        c = self.client
        lines = [
            f"CANCEL sip:{number}@{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {c.via_host}:{c.local_port};branch={self.branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@{DOMAIN}>;tag={self.from_tag}",
            f"To: <sip:{number}@{DOMAIN}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} CANCEL",
            "Content-Length: 0",
        ]
        self.client.send("\r\n".join(lines) + "\r\n\r\n")

    def ack_and_bye(self, number, response):
        """ACK for a 2xx and BYE, as a new transaction each; returns the BYE's answer."""
        to = re.search(r"(?im)^To:\s*(.*)$", response.text).group(1).strip()
        c = self.client

        def request(method, cseq):
            return "\r\n".join([
                f"{method} sip:{number}@{DOMAIN} SIP/2.0",
                f"Via: SIP/2.0/UDP {c.via_host}:{c.local_port};branch=z9hG4bK"
                f"{secrets.token_hex(8)};rport",
                "Max-Forwards: 70",
                f"From: {self.from_header};tag={self.from_tag}",
                f"To: {to}",
                f"Call-ID: {self.call_id}",
                f"CSeq: {cseq} {method}",
                "Content-Length: 0",
            ]) + "\r\n\r\n"
        c.send(request("ACK", self.cseq))
        c.send(request("BYE", self.cseq + 1))
        while True:
            answer = c.receive(5)
            if "BYE" in (answer.get("CSeq") or ""):
                return answer


class Listener:
    """A UDP socket on the provider's address that only listens: what reaches the trunk."""

    def __init__(self, address, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))

    def received(self, wait=1.0):
        out = []
        self.sock.settimeout(wait)
        try:
            while True:
                data, _ = self.sock.recvfrom(65535)
                out.append(data.decode(errors="replace"))
                self.sock.settimeout(0.2)
        except (socket.timeout, TimeoutError):
            return out

    def answer(self, request, status, reason):
        """A final response to a received request, sent back where it came from."""
        lines = request.split("\r\n")
        keep = [line for line in lines[1:] if line.startswith(("Via:", "From:", "Call-ID:",
                                                               "CSeq:"))]
        to = next(line for line in lines if line.startswith("To:"))
        via = re.search(r"SIP/2.0/UDP ([0-9.]+):(\d+)", request)
        response = "\r\n".join([f"SIP/2.0 {status} {reason}", *keep, to + ";tag=busy1",
                                 "Content-Length: 0"]) + "\r\n\r\n"
        self.sock.sendto(response.encode(), (via.group(1), int(via.group(2))))

    def close(self):
        self.sock.close()


class TrunkTest(unittest.TestCase):
    settings = {"auth": {"algorithms": '["MD5", "SHA-256"]'},
                "calls": {"ring_timeout": "5"}}

    @classmethod
    def setUpClass(cls):
        cls.provider_port = free_port()
        cls.deployment = Deployment(settings=cls.settings)
        write_dialplan(cls.deployment, dialplan(cls.provider_port))
        add_users(cls.deployment, ["1001", "1002"])
        cls.deployment.add_user("1000", "--name", "Alice Example", "--group", "dialout")
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def setUp(self):
        self.work = tempfile.mkdtemp(dir=self.deployment.tmp, prefix=self._testMethodName[:40])

    def phone(self, user=None, source=CALLER_ADDRESS):
        phone = Phone(self.deployment.port, source, user,
                      self.deployment.passwords.get(user) if user else None)
        self.addCleanup(phone.close)
        return phone

    def listener(self):
        listener = Listener(PROVIDER_ADDRESS, self.provider_port)
        self.addCleanup(listener.close)
        return listener

    def sipp_uas(self, name, address, port):
        trace = os.path.join(self.work, f"{name}-messages.log")
        errors = os.path.join(self.work, f"{name}-errors.log")
        args = [tool("sipp"), "-sf", scenario(name), "-i", address, "-p", str(port),
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
        time.sleep(0.3)
        return process

    def wait(self, process):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def test_call_through_trunk_answers_the_providers_challenge(self):
        provider = self.sipp_uas("provider_challenge.xml", PROVIDER_ADDRESS, self.provider_port)
        trace = os.path.join(self.work, "caller-messages.log")
        errors = os.path.join(self.work, "caller-errors.log")
        dialled = "0049301234567"
        args = [tool("sipp"), f"127.0.0.1:{self.deployment.port}",
                "-sf", scenario("call_uac_bye.xml"), "-s", dialled, "-i", CALLER_ADDRESS,
                "-p", str(free_port()), "-m", "1", "-au", "1000",
                "-ap", self.deployment.passwords["1000"], "-auth_uri", f"{dialled}@{DOMAIN}",
                "-key", "caller", "1000", "-key", "caller_from", f"<sip:1000@{DOMAIN}>",
                "-nostdin", "-timeout", "30s", "-timeout_error",
                "-trace_msg", "-message_file", trace, "-trace_err", "-error_file", errors]
        caller = subprocess.run(args, cwd=self.work, capture_output=True, text=True, timeout=50)
        self.wait(provider)
        seen = messages(provider.trace)
        why = (f"caller: {read(errors)[-1500:]}\nprovider: {read(provider.errors)[-1500:]}\n"
               f"provider saw: {seen}\nserver: {self.deployment.read_log()[-1500:]}")
        self.assertEqual(caller.returncode, 0, why)
        self.assertEqual(provider.returncode, 0, why)
        invites = [m for m in seen if m.startswith("INVITE")]
        self.assertEqual(len(invites), 2, why)
        # The rewritten number, toward the trunk's address.
        for invite in invites:
            self.assertTrue(invite.startswith(
                f"INVITE sip:+49301234567@{PROVIDER_ADDRESS}:{self.provider_port} SIP/2.0"),
                invite)
        # The digest answer is right for the trunk's credentials (SIPp checked it too).
        auth = header(invites[1], "Authorization")
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', auth))
        self.assertEqual(params["username"], TRUNK_USER)
        ha1 = digest("MD5", f"{TRUNK_USER}:provider.test:{TRUNK_PASSWORD}")
        ha2 = digest("MD5", f"INVITE:{params['uri']}")
        expected = digest("MD5", f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:"
                                 f"auth:{ha2}")
        self.assertEqual(params["response"], expected)
        # Hardline's own Via, Contact and Call-ID; nothing of the phone's.
        sent = [m for m in messages(trace, "sent") if m.startswith("INVITE")]
        for invite in invites:
            top = head(invite)
            for leaked in (CALLER_ADDRESS, header(sent[-1], "Call-ID"), "SIPpTag00",
                           "caller-phone", "X-Secret-Internal", "P-Asserted-Identity",
                           "Remote-Party-ID", "X-Hardline-Hops", "Proxy-Authorization"):
                self.assertNotIn(leaked, top, top)
            self.assertIn("127.0.0.1", header(invite, "Via"))
            self.assertRegex(header(invite, "Contact"), r"^<sip:127\.0\.0\.1:\d+;transport=udp>$")
            self.assertIn("<sip:1000@", header(invite, "From"))
        self.assertEqual(len(re.findall(r"(?im)^Via:", head(invites[0]))), 1)

    def test_unauthenticated_caller_is_challenged_and_the_trunk_sees_nothing(self):
        listener = self.listener()
        phone = self.phone()
        response = phone.call("0049301234567")
        self.assertEqual(response.status, 407, response.text)
        self.assertEqual(listener.received(), [])

    def test_caller_outside_the_group_is_refused_and_the_trunk_sees_nothing(self):
        listener = self.listener()
        phone = self.phone("1001")
        response = phone.call("0049301234567")
        self.assertEqual(response.status, 403, response.text)
        self.assertEqual(listener.received(), [])

    def register_callee(self, user):
        client = SipClient(self.deployment.port, source=CALLEE_ADDRESS)
        try:
            reply = client.register_with_auth(user, self.deployment.passwords[user], "MD5")
            self.assertEqual(reply.status, 200, reply.text)
            return client.local_port
        finally:
            client.close()

    def inbound(self, from_header):
        callee = self.sipp_uas("callee_answer.xml", CALLEE_ADDRESS, self.register_callee("1001"))
        phone = self.phone(source=PROVIDER_ADDRESS)
        response = phone.call("+493055501", from_header=from_header)
        self.assertEqual(response.status, 200, response.text + self.deployment.read_log()[-1500:])
        bye = phone.ack_and_bye("+493055501", response)
        self.assertEqual(bye.status, 200, bye.text)
        self.wait(callee)
        self.assertEqual(callee.returncode, 0, read(callee.errors)[-1500:])
        return messages(callee.trace)

    def test_inbound_call_from_the_trunk_reaches_the_did_account(self):
        seen = self.inbound(f"\"Bob\" <sip:+4930111222@{PROVIDER_ADDRESS}>")
        invite = [m for m in seen if m.startswith("INVITE")][0]
        self.assertTrue(invite.startswith("INVITE sip:1001@"), invite)
        # Labelled with the trunk's name, so that "Bob" from outside never looks like the account
        # Bob (issue 12); marked as a call from outside (RFC 7462).
        self.assertEqual(header(invite, "From").split(";tag=")[0],
                         f"\"provider: Bob\" <sip:+4930111222@{DOMAIN}>")
        self.assertEqual(header(invite, "Alert-Info"), "<urn:alert:source:external>")
        self.assertNotIn(PROVIDER_ADDRESS, head(invite))

    def test_inbound_invalid_caller_id_becomes_anonymous(self):
        seen = self.inbound(f"\"x\" <sip:evil'or%201=1@{PROVIDER_ADDRESS}>")
        invite = [m for m in seen if m.startswith("INVITE")][0]
        self.assertEqual(header(invite, "From").split(";tag=")[0],
                         "\"Anonymous\" <sip:anonymous@anonymous.invalid>")
        self.assertNotIn("evil", head(invite))

    def test_inbound_headers_never_make_a_trunk(self):
        """The same INVITE from an address outside the trunk's sources is challenged."""
        phone = self.phone(source=CALLER_ADDRESS)
        response = phone.call("+493055501", from_header=f"<sip:+4930111222@{PROVIDER_ADDRESS}>")
        self.assertEqual(response.status, 407, response.text)

    def test_brake_refuses_the_second_simultaneous_call(self):
        listener = self.listener()
        first = self.phone("1000")
        response = first.ringing("0049301234567")
        self.assertEqual(response.status, 100, response.text)
        reached = listener.received(2.0)
        self.assertTrue(reached, "the first call never reached the trunk")
        second = self.phone("1000")
        refused = second.call("0049301234568")
        self.assertEqual(refused.status, 403, refused.text)
        # The provider ends the first call (486); its caller hears it, and the brake is free.
        listener.answer(reached[0], 486, "Busy Here")
        busy = first.client.receive(5)
        while busy.status < 200:
            busy = first.client.receive(5)
        self.assertEqual(busy.status, 486, busy.text)
        first.client.send(first.ack_for(first.invite, busy))
        log = self.deployment.read_log()
        self.assertIn("security event: toll-fraud brake max_concurrent tripped on dialplan rule "
                      "'international'", log)
        # Nothing of the second call reached the trunk (only the first's retransmissions).
        for message in listener.received(0.5):
            self.assertNotIn("+49301234568", message)


def loop_dialplan(peer_port):
    return f"""
[sources]
lab = ["127.0.0.0/8"]

[[trunk]]
name = "peer"
host = "127.0.0.1"
port = {peer_port}
transport = "udp"
sources = ["127.0.0.1/32"]
trusted = true

[[dialplan.rule]]
name = "loop"
match = '9[0-9]{{3}}'
action = "trunk"
trunk = "peer"
callers = ["account", "trunk:peer"]
sources = ["lab"]
max_concurrent = 20
max_per_hour = 1000
"""


class LoopTest(unittest.TestCase):
    settings = {"auth": {"algorithms": '["MD5", "SHA-256"]'},
                "calls": {"ring_timeout": "10"}}

    def setUp(self):
        self.a = Deployment(settings=self.settings)
        self.addCleanup(self.a.close)
        self.b = Deployment(settings=self.settings)
        self.addCleanup(self.b.close)
        write_dialplan(self.a, loop_dialplan(self.b.port))
        write_dialplan(self.b, loop_dialplan(self.a.port))
        self.a.add_user("1000")
        self.a.start()
        self.addCleanup(self.a.stop)
        self.b.start()
        self.addCleanup(self.b.stop)

    def test_a_loop_between_two_servers_ends_and_both_stay_healthy(self):
        phone = Phone(self.a.port, CALLER_ADDRESS, "1000", self.a.passwords["1000"])
        self.addCleanup(phone.close)
        response = phone.call("9999", timeout=15)
        self.assertIn(response.status, (482, 483),
                      response.text + self.a.read_log()[-1500:] + self.b.read_log()[-1500:])
        time.sleep(0.5)
        # Both still answer.
        for deployment in (self.a, self.b):
            client = SipClient(deployment.port, source=CALLER_ADDRESS)
            try:
                reply = client.register("1000")
                self.assertIn(reply.status, (401, 403), reply.text)
            finally:
                client.close()
        self.a.stop()
        self.b.stop()
        # Each server sent a bounded number of INVITEs: the hop count stops it within max_hops.
        for deployment in (self.a, self.b):
            started = re.search(r"calls: (\d+) started", deployment.read_log())
            self.assertIsNotNone(started, deployment.read_log()[-1500:])
            self.assertLessEqual(int(started.group(1)), 5)
            self.assertGreaterEqual(int(started.group(1)), 1)


if __name__ == "__main__":
    unittest.main()
