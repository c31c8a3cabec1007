"""Privilege drop, sandbox and file checks (docs/sandbox.md), with the real binary started as
root: `init --system` makes the layout; `serve` ends up as the service user in a chroot with no
capabilities, no_new_privs and a seccomp filter, still answers phones and sees changes made from
outside; unsafe files and a missing account stop it with the fix; started as another user it
serves unsandboxed and says so. Needs root (CI runs tests as root); skipped otherwise.

Every test creates its own system account with a unique name and removes it at the end, and
every server listens on free ports only: its admin API too (the default, 127.0.0.1:8088, is the
demo's; this module holds it while it runs, so that a test that used it would fail here)."""
import os
import pwd
import grp
import http.client
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import unittest

from harness import (DOMAIN, HARDLINE, SipClient, accounts_left_behind, edit_config,
                     free_port, remove_account, run, tracked_mkdtemp)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ADMIN = ("127.0.0.1", 8088)
_held = []


def setUpModule():
    """Holds the admin API's default port, as a running demo would (if something holds it
    already, so much the better)."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(DEFAULT_ADMIN)
        holder.listen(1)
        _held.append(holder)
    except OSError:
        holder.close()


def tearDownModule():
    for holder in _held:
        holder.close()
    left = accounts_left_behind()
    assert not left, f"accounts left behind with a home in a temporary directory: {left}"


def free_admin_port(config):
    """Points the config's admin API at a free port of its own."""
    edit_config(config, {"admin": {"listen": f'"127.0.0.1:{free_port()}"'}})


def status_fields(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class Account:
    """A system user and group of the same unique name, removed by remove()."""

    def __init__(self):
        self.name = "hlt" + secrets.token_hex(5)

    def create(self):
        subprocess.run(["groupadd", "--system", self.name], check=True)
        subprocess.run(["useradd", "--system", "--gid", self.name, "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", self.name],
                       check=True)
        return self

    def remove(self):
        remove_account(self.name)

    @property
    def uid(self):
        return pwd.getpwnam(self.name).pw_uid

    @property
    def gid(self):
        return grp.getgrnam(self.name).gr_gid


class Server:
    """`hardline serve -c CONFIG`, optionally behind a command prefix (setpriv ...)."""

    def __init__(self, config, log_path, prefix=()):
        self.log_path = log_path
        self.log = open(log_path, "a")
        self.process = subprocess.Popen([*prefix, HARDLINE, "serve", "-c", config],
                                        stdout=self.log, stderr=self.log)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_serving(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}: {self.text()}")
            if "serving domain" in self.text():
                return self
            time.sleep(0.02)
        raise AssertionError("serve did not start: " + self.text())

    def wait_exit(self, timeout=15):
        code = self.process.wait(timeout=timeout)
        self.log.close()
        return code

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.wait_exit(5)
        return code


def register(port, user, password):
    client = SipClient(port)
    try:
        return client.register_with_auth(user, password).status
    finally:
        client.close()


def add_user(config, extension):
    result = run("user", "add", extension, "-c", config, check=True)
    return re.search(rf"password of {extension}: (\S+)", result.stdout).group(1)


@unittest.skipUnless(os.geteuid() == 0, "needs root: serve confines itself only when root")
class SystemDeploymentTest(unittest.TestCase):
    """`init --system --root TMP`: the account and the layout, then serve from it as root."""

    def setUp(self):
        self.tmp = tracked_mkdtemp("hardline-priv-")
        self.account = Account()
        self.port = free_port()
        self.addCleanup(self.cleanup)
        result = self.init()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.init_output = result.stdout
        self.config = os.path.join(self.tmp, "etc/hardline/hardline.toml")
        free_admin_port(self.config)
        self.data = os.path.join(self.tmp, "var/lib/hardline")
        self.database = os.path.join(self.data, "hardline.db")
        self.server = None

    def init(self):
        return run("init", "--system", "--root", self.tmp, "--user", self.account.name,
                   "--group", self.account.name, "--domain", DOMAIN,
                   "--listen", f"udp:127.0.0.1:{self.port}",
                   "--listen", f"tcp:127.0.0.1:{self.port}")

    def cleanup(self):
        if self.server is not None and self.server.process.poll() is None:
            self.server.process.kill()
            self.server.process.wait()
        self.account.remove()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.server = Server(self.config, os.path.join(self.tmp, "serve.log"))
        return self.server

    def assert_owner_mode(self, path, user, group, mode):
        st = os.stat(path)
        self.assertEqual((pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
                          stat.S_IMODE(st.st_mode)), (user, group, mode), path)

    def test_layout_owners_modes_and_idempotence(self):
        name = self.account.name
        entry = pwd.getpwnam(name)
        self.assertEqual(entry.pw_shell, "/usr/sbin/nologin")
        self.assertEqual(entry.pw_gid, self.account.gid)
        self.assertEqual(entry.pw_dir, self.data)
        self.assertLess(entry.pw_uid, 1000, "a system account")
        self.assert_owner_mode(os.path.join(self.tmp, "etc/hardline"), "root", name, 0o750)
        self.assert_owner_mode(self.config, "root", name, 0o640)
        self.assert_owner_mode(self.data, name, name, 0o700)
        self.assert_owner_mode(self.database, name, name, 0o600)
        with open(self.config) as f:
            text = f.read()
        self.assertIn(f'database = "{self.database}"', text)
        # The access log where the packaged logrotate rotates it (issue 13, item 13).
        logs = os.path.join(self.tmp, "var/log/hardline")
        self.assertIn(f'access_log = "{logs}/admin-access.log"', text)
        self.assert_owner_mode(logs, name, name, 0o750)
        self.assertIn(f'user = "{name}"', text)
        self.assertIn('token_file = "admin-token.hash"', text)  # stays beside the config
        self.assertIn(f"created user {name}", self.init_output)
        # Again: the account is reused, the config and database kept, modes put back.
        os.chmod(self.data, 0o755)
        with open(self.config, "a") as f:
            f.write("# operator's note\n")
        again = self.init()
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn(f"reused user {name}", again.stdout)
        self.assertIn(f"kept {self.config}", again.stdout)
        self.assertIn(f"kept {self.database}", again.stdout)
        self.assert_owner_mode(self.data, name, name, 0o700)
        with open(self.config) as f:
            self.assertTrue(f.read().endswith("# operator's note\n"))

    def test_serve_drops_everything_and_still_works(self):
        password = add_user(self.config, "100")
        server = self.start().wait_serving()
        pid = server.process.pid
        fields = status_fields(pid)
        uid, gid = str(self.account.uid), str(self.account.gid)
        self.assertEqual(fields["Uid"].split(), [uid] * 4)  # real, effective, saved, fs
        self.assertEqual(fields["Gid"].split(), [gid] * 4)
        self.assertEqual(fields["Groups"].strip(), "")
        for capabilities in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            self.assertEqual(int(fields[capabilities], 16), 0, capabilities)
        self.assertEqual(fields["NoNewPrivs"], "1")
        self.assertEqual(fields["Seccomp"], "2")
        self.assertEqual(os.readlink(f"/proc/{pid}/root"), self.data)
        with open(f"/proc/{pid}/limits") as f:
            limits = f.read()
        self.assertRegex(limits, r"Max core file size\s+0\s+0")
        self.assertRegex(limits, r"Max processes\s+64\s+64")
        self.assertIn("sandboxed: running as", server.text())

        # A phone registers and its binding reaches the database (through the WAL).
        self.assertEqual(register(self.port, "100", password), 200)
        held = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        self.assertIn(self.database + "-wal", held)

        def bound(aor_user):
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as db:
                rows = db.execute("SELECT aor FROM bindings").fetchall()
            return any(aor_user in row[0] for row in rows)

        self.assertTrue(wait_for(lambda: bound("100")))

        # Changes made from outside, after the chroot, reach the server: a new account...
        password_101 = add_user(self.config, "101")
        self.assertEqual(register(self.port, "101", password_101), 200)
        self.assertTrue(wait_for(lambda: bound("101")))
        # ... and a ban.
        banned = SipClient(self.port, source="127.0.0.61")
        try:
            self.assertEqual(banned.register("100").status, 401)
            self.assertEqual(run("ban", "add", "127.0.0.61", "-c", self.config).returncode, 0)

            def silenced():
                try:
                    banned.register("100", timeout=0.3)
                    return False
                except TimeoutError:
                    return True

            self.assertTrue(wait_for(silenced, timeout=5))
        finally:
            banned.close()
        self.assertEqual(server.stop(), 0, server.text())

    def test_world_readable_database_stops_start_up_with_the_fix(self):
        os.chmod(self.database, 0o644)
        server = self.start()
        self.assertEqual(server.wait_exit(), 2, server.text())
        text = server.text()
        self.assertIn(self.database, text)
        self.assertIn(f"mode 0644, owner {self.account.name}:{self.account.name}", text)
        self.assertIn(f"chmod 600 {self.database}", text)
        self.assertNotIn("listening on", text)  # nothing was bound

    def test_database_of_another_owner_stops_start_up(self):
        os.chown(self.database, 0, 0)
        server = self.start()
        self.assertEqual(server.wait_exit(), 2, server.text())
        self.assertIn(f"chown {self.account.name}:{self.account.name} {self.database}",
                      server.text())

    def test_config_writable_by_the_service_user_stops_start_up(self):
        os.chown(self.config, self.account.uid, self.account.gid)
        server = self.start()
        self.assertEqual(server.wait_exit(), 2, server.text())
        self.assertIn(f"chown root:{self.account.name} {self.config}", server.text())
        os.chown(self.config, 0, self.account.gid)
        os.chmod(self.config, 0o660)
        server = self.start()
        self.assertEqual(server.wait_exit(), 2, server.text())
        self.assertIn("mode 0660, owner root:", server.text())
        self.assertIn(f"chmod 640 {self.config}", server.text())

    def test_secret_readable_by_others_stops_start_up(self):
        token = os.path.join(self.tmp, "etc/hardline/admin-token.hash")
        with open(token, "w") as f:
            f.write("$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g\n")
        os.chmod(token, 0o644)
        server = self.start()
        self.assertEqual(server.wait_exit(), 2, server.text())
        self.assertIn(f"chmod 640 {token}", server.text())
        self.assertNotIn("argon2id", server.text())  # the secret itself is never shown

    def test_root_start_and_token_rotation_leave_files_the_unit_user_can_read(self):
        # Issue 13, item 13: a root-started serve created the access log root:root 0600 and
        # `hardline admin token` rewrote the hash root:root 0600, so the recommended unit
        # (User=hardline) could no longer start.
        name = self.account.name
        access_log = os.path.join(self.tmp, "var/log/hardline/admin-access.log")
        token_file = os.path.join(self.tmp, "etc/hardline/admin-token.hash")
        server = self.start().wait_serving()
        self.assertEqual(server.stop(), 0, server.text())
        self.assert_owner_mode(access_log, name, name, 0o600)
        rotated = run("admin", "token", "-c", self.config)
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        token = re.search(r"admin token: (\S+)", rotated.stdout).group(1)
        self.assert_owner_mode(token_file, "root", name, 0o640)
        # Now as the unit starts it: the service user, not root.
        os.chmod(self.tmp, 0o755)
        prefix = ["setpriv", f"--reuid={self.account.uid}", f"--regid={self.account.gid}",
                  "--clear-groups"]
        self.server = Server(self.config, os.path.join(self.tmp, "serve-user.log"),
                             prefix=prefix).wait_serving()
        with open(self.config) as f:
            port = int(re.search(r'listen = "127\.0\.0\.1:(\d+)"', f.read()).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/api/status", headers={"Authorization": f"Bearer {token}"})
            self.assertEqual(conn.getresponse().status, 200)
        finally:
            conn.close()
        self.assertEqual(self.server.stop(), 0, self.server.text())

    def test_missing_service_account_stops_start_up_with_the_fix(self):
        with open(self.config) as f:
            text = f.read()
        with open(self.config, "w") as f:
            f.write(text.replace(f'user = "{self.account.name}"', 'user = "hl-nobody-here"'))
        server = self.start()
        self.assertEqual(server.wait_exit(), 2, server.text())
        self.assertIn('system.user "hl-nobody-here" does not exist', server.text())
        self.assertIn("hardline init --system", server.text())
        self.assertIn("useradd --system", server.text())


@unittest.skipUnless(os.geteuid() == 0, "needs root: init hands files over only as root")
class InitDirAsRootTest(unittest.TestCase):
    """Plain `init --dir` run as root names the service account and hands it the database."""

    def setUp(self):
        self.tmp = tracked_mkdtemp("hardline-initdir-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_existing_account_gets_the_database(self):
        account = Account().create()
        self.addCleanup(account.remove)
        directory = os.path.join(self.tmp, "d")
        result = run("init", "--dir", directory, "--user", account.name, "--group", account.name)
        self.assertEqual(result.returncode, 0, result.stderr)
        database = os.stat(os.path.join(directory, "hardline.db"))
        self.assertEqual((database.st_uid, database.st_gid, stat.S_IMODE(database.st_mode)),
                         (account.uid, account.gid, 0o600))
        config = os.stat(os.path.join(directory, "hardline.toml"))
        self.assertEqual((config.st_uid, config.st_gid, stat.S_IMODE(config.st_mode)),
                         (0, account.gid, 0o640))
        self.assertEqual(os.stat(directory).st_gid, account.gid)

    def test_missing_account_is_noted_and_root_refused(self):
        directory = os.path.join(self.tmp, "d")
        result = run("init", "--dir", directory, "--user", "hl-nobody-here", "--group",
                     "hl-nobody-here")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("hl-nobody-here:hl-nobody-here does not exist yet", result.stderr)
        self.assertIn("hardline init --system", result.stderr)
        refused = run("init", "--dir", os.path.join(self.tmp, "e"), "--user", "root")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("would keep the server running as root", refused.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "e")))


@unittest.skipUnless(os.geteuid() == 0, "needs root to create the account it runs as")
class UnprivilegedTest(unittest.TestCase):
    """Started as an ordinary user (setpriv), serve serves as that user and says it is not
    sandboxed."""

    def setUp(self):
        self.account = Account().create()
        self.tmp = tracked_mkdtemp("hardline-unpriv-")
        os.chown(self.tmp, self.account.uid, self.account.gid)
        self.addCleanup(self.cleanup)
        self.prefix = ["setpriv", f"--reuid={self.account.uid}", f"--regid={self.account.gid}",
                       "--clear-groups"]
        self.port = free_port()
        self.dir = os.path.join(self.tmp, "deploy")
        self.config = os.path.join(self.dir, "hardline.toml")
        self.server = None

    def cleanup(self):
        if self.server is not None and self.server.process.poll() is None:
            self.server.process.kill()
            self.server.process.wait()
        self.account.remove()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def as_user(self, *args):
        return subprocess.run([*self.prefix, HARDLINE, *args], capture_output=True, text=True,
                              timeout=60)

    def test_serves_as_that_user_and_says_it_is_not_sandboxed(self):
        created = self.as_user("init", "--dir", self.dir, "--domain", DOMAIN,
                               "--listen", f"udp:127.0.0.1:{self.port}")
        self.assertEqual(created.returncode, 0, created.stderr)
        free_admin_port(self.config)
        added = self.as_user("user", "add", "300", "-c", self.config)
        self.assertEqual(added.returncode, 0, added.stderr)
        password = re.search(r"password of 300: (\S+)", added.stdout).group(1)
        self.server = Server(self.config, os.path.join(self.tmp, "serve.log"),
                             prefix=self.prefix).wait_serving()
        fields = status_fields(self.server.process.pid)
        self.assertEqual(fields["Uid"].split(), [str(self.account.uid)] * 4)
        self.assertEqual(fields["Seccomp"], "0")
        self.assertEqual(register(self.port, "300", password), 200)
        text = self.server.text()
        self.assertEqual(text.count("not sandboxed"), 1, text)
        self.assertIn("not as root", text)
        self.assertEqual(self.server.stop(), 0, self.server.text())

    def test_secret_file_checks_still_apply(self):
        created = self.as_user("init", "--dir", self.dir, "--domain", DOMAIN,
                               "--listen", f"udp:127.0.0.1:{self.port}")
        self.assertEqual(created.returncode, 0, created.stderr)
        free_admin_port(self.config)
        database = os.path.join(self.dir, "hardline.db")
        os.chmod(database, 0o604)
        self.server = Server(self.config, os.path.join(self.tmp, "serve.log"),
                             prefix=self.prefix)
        self.assertEqual(self.server.wait_exit(), 2, self.server.text())
        self.assertIn(f"chmod 600 {database}", self.server.text())


@unittest.skipUnless(os.geteuid() == 0, "needs root to create accounts")
class SharedServiceAccountTest(unittest.TestCase):
    """The harness's shared service account (hardline-test), which test processes running side by
    side use: created by the first that needs it, kept while any of them runs, removed by the
    last one, and never removed when it existed before the tests. Here under a unique name, with
    real test processes."""

    def user(self, name):
        """A process that takes the account as a test module does, and exits when told."""
        code = ("import sys, harness; harness.ensure_service_account(sys.argv[1]); "
                "print('ready', flush=True); sys.stdin.read()")
        process = subprocess.Popen([sys.executable, "-c", code, name], cwd=HERE,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(process.stdout.close)
        self.addCleanup(process.kill)
        self.assertEqual(process.stdout.readline().strip(), "ready")
        return process

    def done(self, process):
        process.stdin.close()
        self.assertEqual(process.wait(timeout=30), 0)

    def exists(self, name):
        try:
            pwd.getpwnam(name)
            return True
        except KeyError:
            return False

    def test_the_last_user_removes_it(self):
        name = "hlt" + secrets.token_hex(5)
        self.addCleanup(remove_account, name)
        first = self.user(name)
        entry = pwd.getpwnam(name)
        self.assertEqual((entry.pw_dir, entry.pw_shell), ("/nonexistent", "/usr/sbin/nologin"))
        second = self.user(name)
        self.done(first)
        self.assertTrue(self.exists(name), "removed while a test process still used it")
        self.done(second)
        self.assertFalse(self.exists(name), "left behind by the last test process")
        self.assertFalse(os.path.exists(f"/run/hardline-test-account.{name}"))

    def test_a_killed_user_does_not_keep_it_forever(self):
        name = "hlt" + secrets.token_hex(5)
        self.addCleanup(remove_account, name)
        killed = self.user(name)
        second = self.user(name)
        killed.kill()
        killed.wait()
        self.done(second)
        self.assertFalse(self.exists(name))

    def test_an_account_that_existed_before_is_kept(self):
        account = Account().create()
        self.addCleanup(account.remove)
        self.done(self.user(account.name))
        self.assertTrue(self.exists(account.name))


if __name__ == "__main__":
    unittest.main()
