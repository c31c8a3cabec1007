"""The registrar against real SIP peers: SIPp, sipsak and baresip (Debian packages sip-tester,
sipsak and baresip-core), each driving the real binary on 127.0.0.1.

Every peer here reads only the first WWW-Authenticate of a 401 and knows only MD5: offered
SHA-256 first (RFC 8760), SIPp 3.6.1 stops the whole run ("createAuthHeader: authentication
must use MD5 or AKAv1-MD5"), sipsak 0.9.8.1 exits with "unsupported authentication algorithm",
and baresip 1.0.0 logs "Register: Function not implemented" and never retries, even when an MD5
challenge comes first: libre gives up on any challenge it cannot do. So, as an operator with
such phones does (and as the demo does), their accounts are added with `--digest md5`, on the
default config (issue 13, item 1; docs/configuration.md "Digest algorithms per account").
DigestPolicyTest shows the other policies: an "any" account pinned to SHA-256 by its first
SHA-256 answer and never downgraded after, and unknown names challenged like accounts.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import (DOMAIN, HARDLINE, Deployment, Response, SipClient, add_users, free_port,
                     kill_baresip, parse_params, run, start_baresip, stop_baresip, tool)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "sipp")
REGISTER_SCENARIO = os.path.join(DATA, "register.xml")


def bindings(database):
    """The live bindings in the server's database, as (aor, contact, source) rows."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return db.execute("SELECT aor, contact, source FROM bindings WHERE expires_at > ? "
                          "ORDER BY aor, id", (int(time.time()),)).fetchall()


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def wait_for(predicate, timeout=5.0):
    """Polls predicate() until it returns something true or the time is up; returns its last
    value. The server writes bindings at the end of each turn of its event loop."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


class PeerTest(unittest.TestCase):
    """A deployment per test class; helpers to run the peers with timeouts and cleanups."""
    # SIPp 3.6.1 and sipsak 0.9.8 (Debian 12) read only the first challenge and give up when
    # it is SHA-256, so these deployments offer MD5 first.
    # SIPp plays up to 1,000 phones from the one address 127.0.0.1: the guard's per-source
    # limits (sized for an office of ~100 phones) are raised as for a big office behind one NAT.
    settings = {"guard": {"packet_rate": "5000", "packet_burst": "10000",
                          "register_rate": "2500", "register_burst": "5000"}}

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(settings=cls.settings)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.deployment.stop()
        finally:
            cls.deployment.close()

    def workdir(self):
        return tempfile.mkdtemp(dir=self.deployment.tmp, prefix=self._testMethodName[:40] + "-")

    def bindings_of(self, aor):
        return [row for row in bindings(self.deployment.database) if row[0] == aor]


class SippResult:
    def __init__(self, process, workdir, stat, errors):
        self.returncode = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.errors = read(errors)
        self.successful = self.failed = None
        if os.path.exists(stat):
            rows = [line.split(";") for line in read(stat).splitlines() if line]
            if len(rows) >= 2:
                header, last = rows[0], rows[-1]
                self.successful = int(last[header.index("SuccessfulCall(C)")])
                self.failed = int(last[header.index("FailedCall(C)")])
        self.workdir = workdir

    def __str__(self):
        return (f"sipp exit {self.returncode}, {self.successful} successful, {self.failed} failed;"
                f" errors:\n{self.errors[-3000:]}\nstderr:\n{self.stderr[-2000:]}")


class SippTest(PeerTest):
    # Default settings. All 2,000 REGISTERs come from 127.0.0.1 within seconds: answered
    # transactions, kept 32 s over UDP for retransmissions (Timer J), must not count against
    # transactions.max_per_source (500), or registrations after the 250th would get 503.

    def sipp(self, port, users, transport="u1", rate=200, timeout=40, trace=False):
        """Runs the REGISTER scenario once per line of users [(extension, password)] against
        127.0.0.1:port; SIPp quits after `timeout` seconds at the latest, as a failure."""
        work = self.workdir()
        csv = os.path.join(work, "users.csv")
        with open(csv, "w") as f:
            f.write("SEQUENTIAL\n")
            f.writelines(f"{user};{password}\n" for user, password in users)
        stat, errors = os.path.join(work, "stat.csv"), os.path.join(work, "errors.log")
        local_port = free_port()
        args = [tool("sipp"), f"127.0.0.1:{port}", "-sf", REGISTER_SCENARIO, "-inf", csv,
                # The [authentication] keyword takes its credentials from -au/-ap, and these may
                # name fields of the injection file (SIPp has no nested [keywords]).
                "-au", "[field0]", "-ap", "[field1]",
                # The digest uri must be the Request-URI; SIPp's default is remote_ip:port.
                "-auth_uri", DOMAIN,
                # An aborted registration is not followed by a BYE.
                "-default_behaviors", "all,-bye",
                "-m", str(len(users)), "-r", str(rate), "-rp", "1000",
                "-i", "127.0.0.1", "-p", str(local_port), "-t", transport, "-nostdin",
                "-timeout", f"{timeout}s", "-timeout_error", "-recv_timeout", "5000",
                "-trace_stat", "-stf", stat, "-trace_err", "-error_file", errors]
        if trace:
            args += ["-trace_msg", "-message_file", os.path.join(work, "messages.log")]
        process = subprocess.run(args, cwd=work, capture_output=True, text=True,
                                 timeout=timeout + 20)
        result = SippResult(process, work, stat, errors)
        result.local_port = local_port
        return result

    def registered(self, prefix):
        return [row for row in bindings(self.deployment.database) if row[0].startswith(prefix)]

    def users(self, prefix, count):
        extensions = [f"{prefix}{i:04d}" for i in range(count)]
        add_users(self.deployment, extensions, "--digest", "md5")
        return [(e, self.deployment.passwords[e]) for e in extensions]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployment.start()

    def test_sipp_registers_1000_users_with_md5(self):
        started = time.monotonic()
        users = self.users("u", 1000)
        created = time.monotonic() - started
        result = self.sipp(self.deployment.port, users)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual((result.successful, result.failed), (1000, 0), result)
        wait_for(lambda: len(self.registered("u")) >= 1000)
        rows = self.registered("u")
        self.assertEqual(sorted(r[0] for r in rows), [u for u, _ in users])
        for aor, contact, source in rows:
            self.assertEqual(contact, f"sip:{aor}@127.0.0.1:{result.local_port};transport=UDP")
            self.assertTrue(source.startswith("udp:127.0.0.1:"), source)
        print(f"\n  1000 accounts in {created:.1f} s, registered in "
              f"{time.monotonic() - started - created:.1f} s", end=" ")

    def test_sipp_registers_over_tcp(self):
        users = self.users("t", 20)
        result = self.sipp(self.deployment.port, users, transport="t1", rate=50)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual((result.successful, result.failed), (20, 0), result)
        wait_for(lambda: len(self.registered("t")) >= 20)
        rows = self.registered("t")
        self.assertEqual(sorted(r[0] for r in rows), [u for u, _ in users])
        for aor, contact, source in rows:
            self.assertEqual(contact, f"sip:{aor}@127.0.0.1:{result.local_port};transport=TCP")
            self.assertTrue(source.startswith("tcp:127.0.0.1:"), source)


def response_shape(text):
    """What a response gives away besides its random values: status, reason, header names in
    order, the length of each challenge and of the To tag."""
    response = Response(text.decode() if isinstance(text, bytes) else text)
    to_tag = re.search(r";tag=([^;>\s]*)", response.get("To") or "")
    return (response.status, response.reason, response.names(),
            [len(v) for v in response.all("WWW-Authenticate")],
            len(to_tag.group(1)) if to_tag else None)


# How Debian's installer writes /etc/hosts: the host's own name on 127.0.1.1, not 127.0.0.1.
DEBIAN_HOSTS = "127.0.0.1\tlocalhost\n127.0.1.1\thardline-debian-host\n::1\tlocalhost\n"


def as_on_a_debian_host(command, workdir):
    """As root, the command in a UTS and mount namespace of its own whose host name resolves as
    on a stock Debian host (DEBIAN_HOSTS), so that no test passes only because this machine's
    name resolves to 127.0.0.1; otherwise the command as it is."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return command
    hosts = os.path.join(workdir, "hosts")
    with open(hosts, "w") as f:
        f.write(DEBIAN_HOSTS)
    return ["unshare", "--uts", "--mount", "sh", "-c",
            'mount --bind "$0" /etc/hosts && hostname hardline-debian-host && exec "$@"', hosts,
            *command]


class SipsakTest(PeerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployment.start()

    def sipsak(self, port, user, password, transport="udp"):
        """sipsak in usrloc mode: one REGISTER of user (expires 600) to 127.0.0.1:port.

        sipsak resolves the host of -s itself, so the URIs name the server by its address,
        which the server accepts as its own; -u sets the digest username, which would
        otherwise be "user@". sipsak puts the address of the local host name in its Via and
        Contact (-n is its default), which on Debian is 127.0.1.1: -H names the address the
        phone really uses, and the test runs as on such a host."""
        args = [tool("sipsak"), "-U", "-s", f"sip:{user}@127.0.0.1", "-r", str(port),
                "-u", user, "-a", password, "-x", "600", "-i", "-vvv", "-E", transport,
                "-H", "127.0.0.1"]
        return subprocess.run(as_on_a_debian_host(args, self.deployment.tmp),
                              capture_output=True, text=True, timeout=30)

    def test_sipsak_registers_with_md5(self):
        for transport in ("udp", "tcp"):
            with self.subTest(transport=transport):
                user = "3002" if transport == "udp" else "3003"
                password = self.deployment.add_user(user, "--digest", "md5")
                result = self.sipsak(self.deployment.port, user, password, transport)
                output = result.stdout + result.stderr
                self.assertEqual(result.returncode, 0, output)
                self.assertIn("SIP/2.0 200 OK", output)
                self.assertIn("algorithm=MD5", output)
                # sipsak sends "Contact: sip:USER@127.0.0.1:PORT;transport=TCP" without angle
                # brackets, so ";transport=TCP" is a header parameter, not part of the URI
                # (RFC 3261 20.10): the server keeps the bare URI.
                contact = re.search(r"(?m)^Contact: (sip:[^;\s]+)", output).group(1)
                self.assertRegex(contact, rf"^sip:{user}@127\.0\.0\.1:\d+$")
                rows = wait_for(lambda: self.bindings_of(user))
                self.assertEqual([(aor, c) for aor, c, _ in rows], [(user, contact)])
                self.assertTrue(rows[0][2].startswith(transport + ":127.0.0.1:"), rows)

    def test_sipsak_wrong_password_and_unknown_user_fail_alike(self):
        password = self.deployment.add_user("3004", "--digest", "md5")
        wrong = password[::-1] if password[::-1] != password else password + "x"
        for user, attempt in (("3004", wrong), ("3999", password)):
            result = self.sipsak(self.deployment.port, user, attempt)
            output = result.stdout + result.stderr
            self.assertEqual(result.returncode, 2, output)
            self.assertIn("authorization failed", output)
            self.assertEqual(output.count("Authorization: Digest"), 2, output)  # sent and shown
            self.assertEqual(self.bindings_of(user), [])
        # What the server answered: a challenge, then a fresh challenge, alike for both
        # (checked through a raw socket, MD5 answers, both challenges in view).
        client = SipClient(self.deployment.port)
        self.addCleanup(client.close)
        raw = []
        for user, attempt in (("3004", wrong), ("3999", password)):
            first = client.register(user)
            auth = SipClient.authorization(first.challenge("MD5"), user, attempt)
            second = client.register(user, authorization=auth)
            raw.append([response_shape(r.text) for r in (first, second)])
        self.assertEqual(raw[0][1][0], 401)
        # One challenge, MD5, for the "md5" account and for the unknown name alike (every
        # account here is "md5", so the camouflage of an unknown name is too).
        self.assertEqual(len(raw[0][1][3]), 1)
        self.assertEqual(raw[0], raw[1])


class BaresipTest(PeerTest):
    # baresip 1.0 (libre 1.1) refuses the whole 401 when any challenge is not MD5: its accounts
    # are "md5", on the default config.
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployment.start()

    def baresip(self, user, password, port, transport="udp"):
        process, listen = start_baresip(self.workdir(), user, password, port, transport)
        self.addCleanup(kill_baresip, process)
        return process, listen

    def stop_baresip(self, process):
        return stop_baresip(process)

    def test_baresip_registers_with_md5(self):
        for transport in ("udp", "tcp"):
            with self.subTest(transport=transport):
                user = "4002" if transport == "udp" else "4003"
                password = self.deployment.add_user(user, "--digest", "md5")
                process, listen = self.baresip(user, password, self.deployment.port, transport)
                rows = wait_for(lambda: self.bindings_of(user))
                output = self.stop_baresip(process)
                self.assertEqual(process.returncode, 0, output[-3000:])
                proto = transport.upper()
                self.assertIn(f"{user}@{DOMAIN}: {{0/{proto}/v4}} 200 OK () [1 binding]",
                              output, output[-3000:])
                self.assertEqual(len(rows), 1, output[-3000:])
                aor, contact, source = rows[0]
                self.assertRegex(contact, rf"^<?sip:{user}-0x[0-9a-f]+@127\.0\.0\.1:{listen}")
                self.assertTrue(source.startswith(transport + ":127.0.0.1:"), source)
                # On SIGTERM baresip unregisters (Expires: 0), authenticated again.
                self.assertEqual(wait_for(lambda: not self.bindings_of(user)), True)

class DigestPolicyTest(PeerTest):
    """Issue 13, item 1, on the default config (auth.algorithms = ["SHA-256", "MD5"]): what each
    account's digest policy offers and accepts, the pin of an "any" account by its first SHA-256
    answer, the downgrade that must fail after it, and what the audit says."""
    # The pin's log line names the account in "debug" only.
    settings = {"privacy": {"mode": '"debug"', "retention_days": "1"}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployment.start()

    def algorithms(self, response):
        return [parse_params(v).get("algorithm") for v in response.all("WWW-Authenticate")]

    def account_row(self, extension):
        with sqlite3.connect(f"file:{self.deployment.database}?mode=ro", uri=True) as db:
            return db.execute("SELECT digest, ha1_md5 FROM accounts WHERE extension = ?",
                              (extension,)).fetchone()

    def test_an_any_account_is_pinned_by_sha256_and_never_downgraded(self):
        d = self.deployment
        password = d.add_user("5001")
        client = SipClient(d.port)
        self.addCleanup(client.close)
        first = client.register("5001")
        self.assertEqual(self.algorithms(first), ["SHA-256", "MD5"])
        self.assertEqual(self.account_row("5001")[0], "any")
        # A phone that can do MD5 only is served while nothing has answered with SHA-256.
        md5 = client.register("5001", authorization=SipClient.authorization(
            first.challenge("MD5"), "5001", password))
        self.assertEqual(md5.status, 200)
        self.assertEqual(self.account_row("5001")[0], "any")
        # The first SHA-256 answer pins the account, and its MD5 hash is deleted.
        self.assertEqual(client.register_with_auth("5001", password, "SHA-256").status, 200)
        self.assertEqual(wait_for(lambda: self.account_row("5001")), ("sha-256", ""))
        self.assertRegex(d.read_log(), r"account '5001' answered with SHA-256 from "
                                       r"127\.0\.0\.1:\d+: it is pinned to SHA-256")
        # From now on: SHA-256 only, and the right password in MD5 (an attacker who replays
        # or forges an MD5 challenge, a phone told to use MD5) fails as a wrong one does.
        second = client.register("5001")
        self.assertEqual(self.algorithms(second), ["SHA-256"])
        downgrade = dict(second.challenge("SHA-256"), algorithm="MD5")
        refused = client.register("5001", authorization=SipClient.authorization(
            downgrade, "5001", password))
        self.assertEqual(refused.status, 401)
        self.assertEqual(self.algorithms(refused), ["SHA-256"])
        self.assertEqual(client.register_with_auth("5001", password, "SHA-256").status, 200)
        listing = run("user", "list", "-c", d.config, check=True).stdout
        self.assertRegex(listing, r"(?m)^5001\s+sha-256\s*$")
        # MD5 again needs the password again: the hash is gone.
        back = run("user", "digest", "5001", "md5", "-c", d.config)
        self.assertEqual(back.returncode, 1)
        self.assertIn("hardline user passwd 5001 --digest md5", back.stderr)
        passwd = run("user", "passwd", "5001", "--digest", "md5", "-c", d.config, check=True)
        new_password = re.search(r"password of 5001: (\S+)", passwd.stdout).group(1)
        self.assertEqual(self.account_row("5001")[0], "md5")
        third = client.register("5001")
        self.assertEqual(self.algorithms(third), ["MD5"])
        self.assertEqual(client.register("5001", authorization=SipClient.authorization(
            third.challenge("MD5"), "5001", new_password)).status, 200)

    def test_each_policy_offers_and_accepts_its_own(self):
        d = self.deployment
        passwords = {ext: d.add_user(ext, "--digest", policy)
                     for ext, policy in (("5101", "sha-256"), ("5102", "md5"))}
        self.assertEqual(self.account_row("5101"), ("sha-256", ""))  # never stored
        self.assertEqual(len(self.account_row("5102")[1]), 32)
        client = SipClient(d.port)
        self.addCleanup(client.close)
        for ext, offered, refused in (("5101", "SHA-256", "MD5"), ("5102", "MD5", "SHA-256")):
            with self.subTest(ext=ext):
                challenge = client.register(ext)
                self.assertEqual(self.algorithms(challenge), [offered])
                wrong = dict(challenge.challenge(offered), algorithm=refused)
                self.assertEqual(client.register(ext, authorization=SipClient.authorization(
                    wrong, ext, passwords[ext])).status, 401)
                self.assertEqual(
                    client.register_with_auth(ext, passwords[ext], offered).status, 200)
        self.assertEqual(self.account_row("5102")[0], "md5")  # MD5 answers never pin
        bad = run("user", "add", "5103", "--digest", "sha1", "-c", d.config)
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("expected any, sha-256 or md5", bad.stderr)

    def test_the_audit_counts_the_accounts_that_accept_md5(self):
        d = self.deployment
        with sqlite3.connect(f"file:{d.database}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT digest, ha1_md5 != '' FROM accounts").fetchall()
        md5_only = sum(1 for digest, _ in rows if digest == "md5")
        unpinned = sum(1 for digest, md5 in rows if digest == "any" and md5)
        result = subprocess.run([HARDLINE, "audit", "-c", d.config, "--json"],
                                capture_output=True, text=True, timeout=60)
        report = json.loads(result.stdout)
        found = [c for c in report["checks"]
                 if c["id"] == "PW-1" and c["check"] == "digest algorithms"]
        self.assertEqual(len(found), 1, report)
        if md5_only + unpinned:
            self.assertEqual(found[0]["status"], "warn")
            self.assertIn(f"{md5_only + unpinned} of {len(rows)} accounts accept MD5 "
                          f"({md5_only} \"md5\", {unpinned} \"any\"", found[0]["evidence"])
        # Every account set to sha-256: the warning goes, though the config still allows MD5.
        listing = run("user", "list", "--json", "-c", d.config, check=True).stdout
        for line in listing.splitlines():
            run("user", "digest", json.loads(line)["extension"], "sha-256", "-c", d.config,
                check=True)
        result = subprocess.run([HARDLINE, "audit", "-c", d.config, "--json"],
                                capture_output=True, text=True, timeout=60)
        found = [c for c in json.loads(result.stdout)["checks"]
                 if c["id"] == "PW-1" and c["check"] == "digest algorithms"]
        self.assertEqual(found[0]["status"], "pass", found)
        self.assertIn("none of the", found[0]["evidence"])


class UnknownNamesTest(PeerTest):
    """An unknown extension is challenged like an account: with a policy drawn by a keyed hash
    of its name, with the odds of the accounts' policies, so a scan of challenges cannot tell
    names that exist from names that do not. The scan comes from a protected address, or the
    guard would ban it for scanning long before it had seen enough names."""
    settings = {"guard": {**PeerTest.settings["guard"], "protected": '["127.0.0.1/32"]'}}

    def test_challenges_of_unknown_names_have_the_accounts_mix(self):
        d = self.deployment
        for i in range(6):
            d.add_user(f"600{i}", "--digest", "md5" if i % 2 else "sha-256")
        d.start()
        client = SipClient(d.port)
        self.addCleanup(client.close)

        def shape(ext):
            return tuple(parse_params(v).get("algorithm")
                         for v in client.register(ext).all("WWW-Authenticate"))
        for i in range(6):
            self.assertEqual(shape(f"600{i}"), ("MD5",) if i % 2 else ("SHA-256",))
        drawn = [shape(f"7{i:03d}") for i in range(120)]
        # Half and half expected: each side at least 30 of 120 (more than 5 deviations away).
        self.assertGreaterEqual(drawn.count(("MD5",)), 30, drawn)
        self.assertGreaterEqual(drawn.count(("SHA-256",)), 30, drawn)
        self.assertEqual(drawn.count(("MD5",)) + drawn.count(("SHA-256",)), 120, drawn)
        # Stable: asking again gives the same answer, as it does for an account.
        self.assertEqual([shape(f"7{i:03d}") for i in range(20)], drawn[:20])


if __name__ == "__main__":
    unittest.main()
