"""Issue 12, item 5: TCP connection slots held by an attacker (slowloris).

The attack as it was run: many connections, each sending a few bytes of a REGISTER that never
ends, from many IPv4 addresses, or from many addresses of one IPv6 /64. It held every slot, past
the idle timeout, and TCP phones could not register. Here the server gets a small table (32
connections, 4 per source) so that the flood is short: at most 48 connections, each test done
within about 20 s. What must hold:

- a phone whose address authenticated recently still connects and registers while strangers
  hold all the slots they may (some slots are kept for such sources);
- a connection that dribbles a message byte by byte is closed at the message deadline (10 s by
  default), counted from the message's first byte, not put off by each byte;
- the per-source limit counts the guard's source groups: one IPv6 /64 holds at most its share,
  however many of its addresses it uses.

The IPv6 test runs in a network namespace of its own, with 2001:db8::/32 routed to its loopback
device, so that the test can use any address of a /64 (IP_FREEBIND); the namespace is deleted
afterwards.
"""
import ctypes
import os
import select
import socket
import subprocess
import time
import unittest

from harness import DOMAIN, Deployment, SipClient, add_users, free_port

# A small table, so that a flood of 48 connections fills it.
SLOTS = {"transport": {"max_tcp_connections": "32", "max_tcp_connections_per_source": "4"}}
MESSAGE_DEADLINE = 10  # seconds: transport.tcp_message_timeout's default
IP_FREEBIND = 15  # <linux/in.h>; for IPv6 sockets too


def partial_register(source):
    """The head of a REGISTER that the attacker never finishes (no blank line, ever)."""
    host = f"[{source}]" if ":" in source else source
    return (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP {host}:5060;branch=z9hG4bKslow{os.getpid()}\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:slow@{DOMAIN}>;tag=slow\r\n"
            f"To: <sip:slow@{DOMAIN}>\r\n"
            f"Call-ID: slowloris@{host}\r\n"
            f"CSeq: 1 REGISTER\r\n"
            f"X-Padding: {'x' * 200}\r\n").encode()


def open_slow(server, source, freebind=False):
    """A connection from `source` that has sent the first byte of a message; None when the
    connection could not even be set up."""
    family = socket.AF_INET6 if ":" in source else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if freebind:
            sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        sock.bind((source, 0))
        sock.settimeout(3)
        sock.connect(server)
        sock.send(partial_register(source)[:1])
        return sock
    except OSError:
        sock.close()
        return None


def closed_by_server(sock):
    """True when the server closed the connection: a slowloris connection is never sent
    anything, so readable means end of stream or reset."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1) == b""
    except OSError:
        return True


def still_open(socks, settle=1.0):
    """The connections the server kept, once it had `settle` seconds to close the others."""
    time.sleep(settle)
    return [s for s in socks if s is not None and not closed_by_server(s)]


def register_over_tcp(port, source, user, password, host="127.0.0.1"):
    """A TCP phone's REGISTER with digest; its final status, or None when the server closed the
    connection or never answered."""
    try:
        phone = SipClient(port, transport="tcp", host=host, source=source)
    except OSError:
        return None
    try:
        return phone.register_with_auth(user, password).status
    except (OSError, ConnectionError):
        return None
    finally:
        phone.close()


class SlotAttackTest(unittest.TestCase):
    deployment_settings = SLOTS

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(settings=cls.deployment_settings)
        add_users(cls.deployment, ["700"])
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def server(self):
        return ("127.0.0.1", self.deployment.port)


class ReservedSlotsTest(SlotAttackTest):
    def test_recent_phone_registers_while_strangers_hold_the_table(self):
        password = self.deployment.passwords["700"]
        # The phone works before the attack, and so authenticated recently.
        self.assertEqual(register_over_tcp(self.deployment.port, "127.0.0.200", "700", password),
                         200)
        # 12 addresses x 4 connections: more than the whole table.
        flood = [open_slow(self.server(), f"127.0.5.{host}")
                 for host in range(1, 13) for _ in range(4)]
        try:
            held = still_open(flood)
            self.assertGreaterEqual(len(held), 16, "the flood did not fill the strangers' slots")
            # A stranger who never authenticated finds no room...
            newcomer = open_slow(self.server(), "127.0.0.201")
            self.assertTrue(newcomer is None or not still_open([newcomer]),
                            "a stranger got a slot kept for phones")
            if newcomer is not None:
                newcomer.close()
            # ...but the phone that authenticated recently does, and registers.
            self.assertEqual(
                register_over_tcp(self.deployment.port, "127.0.0.200", "700", password), 200)
        finally:
            for sock in flood:
                if sock is not None:
                    sock.close()


class MessageDeadlineTest(SlotAttackTest):
    # The default idle timeout (120 s): the deadline, not idleness, must close these.
    deployment_settings = {}

    def wait_closed(self, sock, within):
        """Seconds until the server closed `sock`, polled for at most `within` seconds."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            if closed_by_server(sock):
                return time.monotonic() - started
            time.sleep(0.1)
        return None

    def test_dribbling_connection_is_closed_at_the_message_deadline(self):
        password = self.deployment.passwords["700"]
        phone = SipClient(self.deployment.port, transport="tcp", source="127.0.0.210")
        slow = socket.create_connection(self.server(), timeout=3,
                                        source_address=("127.0.0.211", 0))
        try:
            self.assertEqual(phone.register_with_auth("700", password).status, 200)
            message = partial_register("127.0.0.211")
            started = time.monotonic()
            closed_after = None
            sent = 0
            # One byte every 0.5 s (never a whole message), for at most 16 s; the phone sends
            # a CRLF keep-alive (RFC 5626) every second meanwhile.
            while time.monotonic() - started < MESSAGE_DEADLINE + 6:
                if closed_by_server(slow):
                    closed_after = time.monotonic() - started
                    break
                try:
                    slow.send(message[sent:sent + 1])
                except OSError:
                    closed_after = time.monotonic() - started
                    break
                sent += 1
                if sent % 2 == 0:
                    phone.send(b"\r\n\r\n")
                time.sleep(0.5)
            self.assertIsNotNone(closed_after, f"still open after {sent} bytes over "
                                 f"{time.monotonic() - started:.1f} s")
            # Counted from the first byte: not before the deadline, and not put off by the
            # bytes that kept coming (the server sweeps once a second).
            self.assertGreater(closed_after, MESSAGE_DEADLINE - 1)
            self.assertLess(closed_after, MESSAGE_DEADLINE + 3)
            # The phone's connection, with its complete messages and keep-alives, is still open
            # and still used.
            self.assertEqual(phone.register_with_auth("700", password).status, 200)
        finally:
            slow.close()
            phone.close()

    def test_silent_connection_is_closed_at_the_message_deadline(self):
        # A connection that never sends a byte is held to the same deadline, counted from the
        # accept; the idle timeout (120 s) would keep it much longer.
        silent = socket.create_connection(self.server(), timeout=3,
                                          source_address=("127.0.0.212", 0))
        try:
            closed_after = self.wait_closed(silent, MESSAGE_DEADLINE + 4)
            self.assertIsNotNone(closed_after, "a silent connection outlived the deadline")
            self.assertGreater(closed_after, MESSAGE_DEADLINE - 1)
        finally:
            silent.close()


# The namespace's routes: the server on an address of its own, the attacker in one /64, a phone
# in another.
SERVER6 = "2001:db8:ffff::1"
ATTACK_NET = "2001:db8:64::"
PHONE6 = "2001:db8:65::7"
CLONE_NEWNET = 0x40000000


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def ip(*args):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)


class SourceGroupTest(unittest.TestCase):
    """Per-source limits count IPv6 /64s (the guard's source_prefix_v6), not addresses."""

    @classmethod
    def setUpClass(cls):
        cls.netns = f"hltcp-{os.getpid()}"
        created = ip("netns", "add", cls.netns)
        if created.returncode != 0:
            raise unittest.SkipTest(f"SKIPPED: ip netns add failed: {created.stderr.strip()}")
        cls.home = None
        cls.deployment = None
        try:
            for args in (("link", "set", "lo", "up"),
                         ("-6", "addr", "add", f"{SERVER6}/128", "dev", "lo", "nodad"),
                         ("-6", "route", "add", "local", "2001:db8::/32", "dev", "lo")):
                result = ip("-n", cls.netns, *args)
                if result.returncode != 0:
                    raise AssertionError(f"ip {' '.join(args)}: {result.stderr}")
            # This thread (and the server it starts) moves into the namespace until tearDown.
            cls.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            target = os.open(f"/run/netns/{cls.netns}", os.O_RDONLY)
            try:
                setns(target)
            finally:
                os.close(target)
            cls.port6 = free_port()
            cls.deployment = Deployment(settings=SLOTS,
                                        extra_listen=[f"tcp:[{SERVER6}]:{cls.port6}"])
            cls.deployment.start(expect_listening=3)
        except BaseException:
            cls.leave()
            raise

    @classmethod
    def leave(cls):
        try:
            if cls.deployment is not None:
                try:
                    cls.deployment.stop()
                finally:
                    cls.deployment.close()
        finally:
            if cls.home is not None:
                setns(cls.home)
                os.close(cls.home)
                cls.home = None
            ip("netns", "delete", cls.netns)

    @classmethod
    def tearDownClass(cls):
        cls.leave()

    def test_one_slash64_holds_at_most_its_share(self):
        server = (SERVER6, self.port6)
        flood = [open_slow(server, f"{ATTACK_NET}{i:x}:1", freebind=True) for i in range(1, 21)]
        try:
            self.assertGreaterEqual(sum(s is not None for s in flood), 20)
            held = still_open(flood)
            self.assertLessEqual(len(held), 4, f"one /64 holds {len(held)} connections")
            # Another /64 is not held back by it: its phone is answered (401, a challenge).
            phone = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                phone.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
                phone.bind((PHONE6, 0))
                phone.settimeout(3)
                phone.connect(server)
                phone.sendall(partial_register(PHONE6) + b"Content-Length: 0\r\n\r\n")
                self.assertTrue(phone.recv(65535).startswith(b"SIP/2.0 401 "))
            finally:
                phone.close()
        finally:
            for sock in flood:
                if sock is not None:
                    sock.close()


if __name__ == "__main__":
    unittest.main()
