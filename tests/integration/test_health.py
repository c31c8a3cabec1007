"""Failures that stay green (issue 13, item 12), on the real binary: a process out of file
descriptors (accept backs off instead of spinning, /health still answers and says why), a database
file deleted while serving (registrations refused, /health degraded, a restart that names a fix
that works), and a store that cannot write (the REGISTER answered 500 leaves nothing behind in
memory or, later, in the database; one log line and a repeat count).

How the store is made to fail: RLIMIT_FSIZE of the running server lowered to one byte with
prlimit(2), from a helper running as the server's user (set_soft_limit). Every write(2) SQLite makes to its -wal or database file then
fails with EFBIG (the server ignores SIGXFSZ), which is the code path of a full disk (a write
that fails, the transaction rolled back) without mounting a small file system; raising the limit
again is the disk freed. The server's stderr goes to a pipe here, not to a file, so that the
limit does not cost the log lines the test reads.
"""
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import unittest

from harness import HARDLINE, SERVICE_USER, Deployment, SipClient


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def http_get(deployment, path, token=None, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", deployment.admin_port, timeout=timeout)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def health(deployment):
    status, body = http_get(deployment, "/health")
    return status, json.loads(body)


def set_soft_limit(pid, which, soft):
    """Sets the soft resource limit `which` ("nofile", "fsize") of the running server to `soft`
    ("unlimited" or a number), its hard limit unchanged, and returns the soft limit it had, with
    prlimit(1). Run as the server's own user: prlimit(2) on another user's process needs
    CAP_SYS_RESOURCE, which a container's root may lack, and the server switched to the service
    account."""
    kwargs = {}
    if os.geteuid() == 0:
        kwargs = {"user": SERVICE_USER, "group": SERVICE_USER, "extra_groups": []}

    def prlimit(*args):
        return subprocess.run(["prlimit", "--pid", str(pid), *args], check=True,
                              capture_output=True, text=True, **kwargs).stdout.strip()

    old = prlimit(f"--{which}", "--raw", "--noheadings", "--output", "SOFT")
    prlimit(f"--{which}={soft}:")
    return "unlimited" if old in ("unlimited", "-1") else old


def cpu_seconds(pid):
    """User plus system CPU time of the process, from /proc/PID/stat (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def start_piped(deployment):
    """Deployment.start(), but with the server's stdout and stderr on a pipe that a thread
    copies into the deployment's log: a pipe is not limited by RLIMIT_FSIZE."""
    log = open(deployment.log_path, "a")
    process = subprocess.Popen([HARDLINE, "serve", "-c", deployment.config],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def copy():
        for line in process.stdout:
            log.write(line.decode(errors="replace"))
            log.flush()
        log.close()

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    deployment.process = process
    deployment.log = open(os.devnull, "w")  # what Deployment.stop() closes
    if not wait_for(lambda: "serving domain" in deployment.read_log(), timeout=15):
        raise AssertionError("serve did not start: " + deployment.read_log())
    return thread


class FileDescriptorsTest(unittest.TestCase):
    """The process out of descriptors: accept fails with EMFILE for the SIP listener and the
    admin API alike. It used to retry at once, 50-70% of a core, and /health stopped answering."""

    def setUp(self):
        self.deployment = Deployment()
        self.deployment.start()
        self.assertTrue(wait_for(lambda: "serving domain" in self.deployment.read_log(), 15))
        self.pid = self.deployment.process.pid
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close()
        self.deployment.close()

    def test_accept_backs_off_and_health_says_why(self):
        status, body = health(self.deployment)
        self.assertEqual((status, body), (200, {"status": "ok"}))
        # Room for two more descriptors, then none: a lower limit than the config asked for,
        # as a container or an unprivileged start would give it.
        soft = set_soft_limit(self.pid, "nofile", open_fds(self.pid) + 2)
        try:
            for _ in range(12):
                self.clients.append(socket.create_connection(("127.0.0.1", self.deployment.port)))
            self.assertTrue(wait_for(
                lambda: "cannot accept TCP connections" in self.deployment.read_log()),
                self.deployment.read_log())
            # Connections wait in the queue; the server waits too, instead of spinning.
            before = cpu_seconds(self.pid)
            time.sleep(3)
            used = cpu_seconds(self.pid) - before
            self.assertLess(used, 0.3, f"{used:.2f} s of CPU in 3 s while out of descriptors")

            # /health answers, through the descriptor the admin API keeps spare, and says why.
            status, body = health(self.deployment)
            self.assertEqual(status, 503, body)
            self.assertEqual(body["status"], "degraded")
            self.assertTrue(any("TCP connections cannot be accepted" in reason
                                for reason in body["reasons"]), body)
            # And again: the spare came back once that connection closed.
            status, body = health(self.deployment)
            self.assertEqual(status, 503, body)

            log = self.deployment.read_log()
            self.assertEqual(log.count("cannot accept TCP connections"), 1, log)
        finally:
            set_soft_limit(self.pid, "nofile", soft)
        for client in self.clients:
            client.close()
        self.clients = []
        # The queue drains; once accept has not failed for 3 s, /health is green again.
        self.assertTrue(wait_for(lambda: health(self.deployment)[0] == 200, timeout=10),
                        health(self.deployment))
        self.assertTrue(wait_for(lambda: "TCP accept recovered" in self.deployment.read_log(),
                                 timeout=5), self.deployment.read_log())
        status, metrics = http_get(self.deployment, "/metrics", self.deployment.admin_token)
        self.assertEqual(status, 200)
        failures = re.search(r"^hardline_tcp_accept_failures_total (\d+)", metrics, re.M)
        self.assertTrue(failures and int(failures.group(1)) >= 1, metrics)
        # 100 ms doubling to 1 s: a handful of tries in those seconds, not thousands.
        self.assertLess(int(failures.group(1)), 40, metrics)
        self.deployment.stop()


class DatabaseDeletedTest(unittest.TestCase):
    """The database file unlinked while serving: SQLite goes on writing into the unlinked inode,
    and every REGISTER got 200 for a binding the next start would not find."""

    def setUp(self):
        self.deployment = Deployment()
        self.deployment.add_user("201")
        self.deployment.add_user("202")
        self.deployment.start()
        self.assertTrue(wait_for(lambda: "serving domain" in self.deployment.read_log(), 15))

    def tearDown(self):
        self.deployment.close()

    def register(self, user):
        client = SipClient(self.deployment.port)
        try:
            return client.register_with_auth(user, self.deployment.passwords[user]).status
        finally:
            client.close()

    def test_deleted_database_is_degraded_and_refuses_registrations(self):
        self.assertEqual(self.register("201"), 200)
        os.unlink(self.deployment.database)
        # Checked once a second.
        self.assertTrue(wait_for(lambda: health(self.deployment)[0] == 503, timeout=5),
                        self.deployment.read_log())
        status, body = health(self.deployment)
        self.assertEqual(body["status"], "degraded")
        self.assertTrue(any("is gone" in reason and "hardline.db" in reason
                            for reason in body["reasons"]), body)
        for _ in range(3):
            self.assertEqual(self.register("202"), 500)
        log = self.deployment.read_log()
        self.assertEqual(log.count("registrations are refused (500) from now on"), 1, log)
        self.assertLessEqual(log.count("registrations refused (500): the database file"), 1, log)
        # Nothing refused is live in memory.
        status, metrics = http_get(self.deployment, "/metrics", self.deployment.admin_token)
        self.assertIn("hardline_registrations_active 1\n", metrics)
        self.deployment.stop()
        self.assertRegex(self.deployment.read_log(),
                         r"registrations refused \(500\): the database file [^\n]* is gone "
                         r"\(deleted or moved away\) \(repeated 2 times in \d+ s\)")

        # The restart refuses, and the way out it names is not `hardline init` in this
        # directory (which refuses a directory holding a deployment).
        started = subprocess.run([HARDLINE, "serve", "-c", self.deployment.config],
                                 capture_output=True, text=True, timeout=30)
        self.assertNotEqual(started.returncode, 0)
        output = started.stdout + started.stderr
        self.assertIn("database file does not exist", output)
        self.assertIn("restore it from a backup", output)
        self.assertIn("hardline init --dir NEW_DIR", output)
        init = subprocess.run([HARDLINE, "init", "--dir", self.deployment.dir, "--domain", "x.test"],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(init.returncode, 0, "init in this directory is no way out")


class StoreCannotWriteTest(unittest.TestCase):
    """Writes fail (a full disk): 15,930 registrations answered 500 stayed live in memory and
    were written later, each retry rewrote the whole backlog, one error line per write."""

    def setUp(self):
        self.deployment = Deployment()
        self.deployment.add_user("201")
        self.deployment.add_user("202")
        self.reader = start_piped(self.deployment)
        self.pid = self.deployment.process.pid

    def tearDown(self):
        self.deployment.close()

    def register(self, user):
        client = SipClient(self.deployment.port)
        try:
            return client.register_with_auth(user, self.deployment.passwords[user]).status
        finally:
            client.close()

    def registrations(self):
        status, body = http_get(self.deployment, "/api/registrations",
                                self.deployment.admin_token)
        self.assertEqual(status, 200, body)
        return sorted({entry["aor"] for entry in json.loads(body)["registrations"]})

    def test_refused_registration_leaves_nothing_behind(self):
        self.assertEqual(self.register("201"), 200)
        soft = set_soft_limit(self.pid, "fsize", 1)
        try:
            for _ in range(20):
                self.assertEqual(self.register("202"), 500)
            status, body = health(self.deployment)
            self.assertEqual(status, 503, body)
            self.assertTrue(any("the last write to the database failed" in reason
                                for reason in body["reasons"]), body)
            # Not live in memory: neither listed nor counted.
            self.assertEqual(self.registrations(), ["201"])
            status, metrics = http_get(self.deployment, "/metrics", self.deployment.admin_token)
            self.assertIn("hardline_registrations_active 1\n", metrics)
        finally:
            set_soft_limit(self.pid, "fsize", soft)
        # The disk has room again: the next write succeeds and clears /health, and writes only
        # itself, never the refused ones.
        self.assertEqual(self.register("201"), 200)
        self.assertEqual(health(self.deployment)[0], 200)
        self.assertEqual(self.registrations(), ["201"])
        log_before_stop = self.deployment.read_log()
        self.assertEqual(log_before_stop.count("could not write registrations to the store"), 1,
                         log_before_stop)
        self.deployment.stop()
        self.reader.join(timeout=5)
        log = self.deployment.read_log()
        self.assertRegex(log, r"could not write registrations to the store: [^\n]*"
                              r"\(repeated 19 times in \d+ s\)")
        with sqlite3.connect(self.deployment.database) as db:
            stored = sorted({row[0] for row in db.execute("SELECT aor FROM bindings")})
        self.assertEqual(stored, ["201"])


if __name__ == "__main__":
    unittest.main()
