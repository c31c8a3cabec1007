#!/usr/bin/env python3
"""The README's promise: `make run` (scripts/demo) gives a server a softphone registers to, with
the passwords and the admin token in var/demo/credentials.txt (issue 13, smaller items: the
admin token was neither kept nor named, init printed its summary twice, and the demo's first log
line warned about the example trunk's placeholder host). Run here in a directory of its own, on
free ports, as the harness's service account when the test runs as root (so that the demo
creates no system account)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HARDLINE, SERVICE_USER, SipClient, ensure_service_account,  # noqa: E402
                     free_port, kill_baresip, parse_params, release_service_account,
                     start_baresip, stop_baresip, tracked_mkdtemp)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class DemoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tracked_mkdtemp("hardline-demo-")
        if not os.environ.get("KEEP"):
            self.addCleanup(shutil.rmtree, self.tmp, True)
        self.prefix = []
        if os.geteuid() == 0:
            ensure_service_account()
            self.addCleanup(release_service_account)
            import pwd
            entry = pwd.getpwnam(SERVICE_USER)
            os.chown(self.tmp, entry.pw_uid, entry.pw_gid)
            self.prefix = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
                           "--clear-groups"]
        self.dir = os.path.join(self.tmp, "demo")
        self.port = free_port()
        self.admin_port = free_port()
        self.output = os.path.join(self.tmp, "demo.out")

    def start(self):
        env = dict(os.environ, HARDLINE_BIN=os.path.abspath(HARDLINE), DEMO_DIR=self.dir,
                   DEMO_PORT=str(self.port), DEMO_ADMIN_PORT=str(self.admin_port))
        with open(self.output, "w") as out:
            process = subprocess.Popen([*self.prefix, os.path.join(ROOT, "scripts/demo")],
                                       stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.addCleanup(self.stop, process)
        deadline = time.monotonic() + 30
        while "serving domain" not in self.text():
            self.assertIsNone(process.poll(), self.text())
            self.assertLess(time.monotonic(), deadline, self.text())
            time.sleep(0.1)
        return process

    def stop(self, process):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def text(self):
        with open(self.output) as f:
            return f.read()

    def test_a_phone_registers_with_the_printed_password_and_the_token_is_kept(self):
        self.start()
        with open(os.path.join(self.dir, "credentials.txt")) as f:
            credentials = f.read()
        self.assertEqual(os.stat(os.path.join(self.dir, "credentials.txt")).st_mode & 0o777,
                         0o600)
        password = re.search(r"^password of 1000: (\S+)$", credentials, re.M).group(1)
        token = re.search(r"^admin token: (\S+)$", credentials, re.M).group(1)
        text = self.text()
        # init's summary once, and the banner names where the token is.
        self.assertEqual(text.count("next: hardline user add"), 1, text)
        self.assertIn("with the admin token in", text)
        self.assertIn(f"127.0.0.1:{self.admin_port}", text)
        # The placeholder trunk is an info line, not a warning.
        self.assertRegex(text, r" info trunk 'provider' still has a placeholder host")
        self.assertNotRegex(text, r" warn(ing)? .*trunk 'provider'")

        with open(os.path.join(self.dir, "hardline.toml")) as f:
            domain = re.search(r'^domain = "([^"]+)"', f.read(), re.M).group(1)
        phone = SipClient(self.port)
        try:
            # MD5 alone is offered, so that every softphone registers (issue 13, item 1).
            challenge = phone.register("1000", domain=domain)
            self.assertEqual([parse_params(v).get("algorithm")
                              for v in challenge.all("WWW-Authenticate")], ["MD5"])
            self.assertEqual(
                phone.register_with_auth("1000", password, "MD5", domain=domain).status, 200)
        finally:
            phone.close()
        # Debian's own softphone, which gives up at any SHA-256 challenge, registers as 1001.
        with open(os.path.join(self.dir, "credentials.txt")) as f:
            password_1001 = re.search(r"password of 1001: (\S+)", f.read()).group(1)
        baresip, _ = start_baresip(tempfile.mkdtemp(dir=self.tmp), "1001", password_1001,
                                   self.port, domain=domain)
        self.addCleanup(kill_baresip, baresip)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and "200 OK" not in open(baresip.log.name).read():
            time.sleep(0.1)
        output = stop_baresip(baresip)
        self.assertIn(f"1001@{domain}: {{0/UDP/v4}} 200 OK () [1 binding]", output,
                      output[-3000:])
        request = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}/api/status",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            self.assertEqual(response.status, 200)


if __name__ == "__main__":
    unittest.main()
