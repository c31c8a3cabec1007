"""Drives the real `hardline` binary the way an operator and a phone would.

A Deployment is a fresh `hardline init` in a temporary directory, listening on free loopback
ports; `start()` runs `hardline serve` and waits until it listens, `stop()` sends SIGTERM and
checks that it stopped cleanly. Run as root (as on CI), `serve` confines itself and switches to
the config's system.user: every deployment then names SERVICE_USER, a system account (no home,
no login) shared by the test processes that run side by side; the last of them to exit removes
it again, if the harness created it (see ensure_service_account). Under the sanitizer build
(HARDLINE_SANITIZED=1, set by ctest) deployments turn system.chroot off, because LeakSanitizer's
check at exit needs /proc, which the jail hides (docs/sandbox.md); test_privilege.py keeps it. SipClient speaks raw SIP over UDP or TCP and computes digest
answers (RFC 7616) with hashlib, independently of the server's code.
"""
import atexit
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor

HARDLINE = os.environ.get("HARDLINE_BIN", "build/hardline")
DOMAIN = "hardline.test"
# guard.protected for tests that play an outside scanner or flood from a loopback address
# (127.0.0.x, the only addresses a test has): by default all of loopback is never banned for
# floods or scanner signatures; this keeps only the server's own 127.0.0.1 and ::1 so.
OUTSIDE_ON_LOOPBACK = '["127.0.0.1", "::1"]'


SERVICE_USER = os.environ.get("HARDLINE_TEST_USER", "hardline-test")
_ACCOUNT_HOLDS = set()


def _locked_account_state(name):
    """Opens and locks /run/hardline-test-account.NAME, the account's record: whether the
    harness created the account, and the test processes using it. Returns (fd, state). The file
    is removed with the account; a process that locked it just before finds it unlinked and
    opens it again."""
    path = f"/run/hardline-test-account.{name}"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    text = os.pread(fd, 1 << 16, 0).decode()
    state = json.loads(text) if text.strip() else {}
    return fd, path, state


def _write_account_state(fd, state):
    data = json.dumps(state).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def ensure_service_account(name=SERVICE_USER):
    """As root: the system user and group `name` (no login, no home), created when missing.
    Test processes running side by side share it: each one using it is noted in its record
    (under a lock, so that two never race to create or remove it), and the last to exit removes
    the account, but only one the harness created: an account that existed before is never
    touched. A process killed before its exit is pruned from the record by the next one."""
    if os.geteuid() != 0:
        return None
    fd, _, state = _locked_account_state(name)
    try:
        try:
            pwd.getpwnam(name)
        except KeyError:
            for command in (["groupadd", "--system", name],
                            ["useradd", "--system", "--gid", name, "--no-create-home",
                             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                             name]):
                result = subprocess.run(command, capture_output=True, text=True)
                if result.returncode not in (0, 9):  # 9: exists already
                    raise AssertionError(f"{' '.join(command)}: {result.stderr}")
            state["created"] = True
        state.setdefault("created", False)
        holders = [pid for pid in state.get("holders", []) if _alive(pid)]
        if os.getpid() not in holders:
            holders.append(os.getpid())
        state["holders"] = holders
        _write_account_state(fd, state)
        if name not in _ACCOUNT_HOLDS:
            _ACCOUNT_HOLDS.add(name)
            atexit.register(release_service_account, name)
        return pwd.getpwnam(name)
    finally:
        os.close(fd)


def release_service_account(name=SERVICE_USER):
    """This process no longer uses the account; the last user removes it (see above). An
    account still in use by a process (a server that outlived its test) is left, and removed
    by a later last user."""
    fd, path, state = _locked_account_state(name)
    try:
        holders = [pid for pid in state.get("holders", []) if pid != os.getpid() and _alive(pid)]
        state["holders"] = holders
        if holders:
            _write_account_state(fd, state)
            return
        if state.get("created"):
            removed = subprocess.run(["userdel", name], capture_output=True)
            if removed.returncode not in (0, 6):  # 6: no such user
                _write_account_state(fd, state)
                return
            subprocess.run(["groupdel", name], capture_output=True)  # gone with the user, mostly
        os.unlink(path)
    finally:
        os.close(fd)
        _ACCOUNT_HOLDS.discard(name)


# Temporary directories a test module made for deployments whose service account it names, so
# that it can check at the end that no account it made is left behind with a home in one.
_TRACKED_DIRS = []


def tracked_mkdtemp(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    _TRACKED_DIRS.append(os.path.realpath(path))
    return path


def accounts_left_behind():
    """Accounts whose home is inside a directory from tracked_mkdtemp: made for a test (e.g. by
    `init --system --root DIR`) and not removed."""
    return [f"{entry.pw_name} (home {entry.pw_dir})" for entry in pwd.getpwall()
            if any(entry.pw_dir == d or entry.pw_dir.startswith(d + "/")
                   for d in _TRACKED_DIRS)]


def remove_account(name):
    """Removes the system user and group `name` (as root), whichever exist."""
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    tcp.bind(("127.0.0.1", port))
                    return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def run(*args, input=None, env=None, check=False):
    result = subprocess.run([HARDLINE, *args], input=input, capture_output=True, text=True,
                            env=env, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"hardline {' '.join(args)} failed: {result.stderr}")
    return result


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed: run scripts/bootstrap test")
    return path


# An IPv4 address, or an IPv6 address of at least three groups (timestamps like 07:40:41 have
# only digits and two colons and are not matched).
ADDRESS = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b|\b[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){3,7}\b|::1\b")


def edit_config(config, settings):
    """Sets `key = value` lines inside their [table] of the config file, e.g.
    {"registrar": {"max_contacts": "2"}} (values as TOML text); owner and mode stay."""
    with open(config) as f:
        lines = f.read().split("\n")
    for table, values in settings.items():
        start = lines.index(f"[{table}]")
        for key, value in values.items():
            for i in range(start + 1, len(lines)):
                if lines[i].startswith("["):
                    lines.insert(i, f"{key} = {value}")
                    break
                if re.match(rf"#?\s*{re.escape(key)}\s*=", lines[i]):
                    lines[i] = f"{key} = {value}"
                    break
            else:
                lines.append(f"{key} = {value}")
    with open(config, "w") as f:
        f.write("\n".join(lines))


class Deployment:
    def __init__(self, extra_listen=(), settings=None):
        self.tmp = tempfile.mkdtemp(prefix="hardline-test-")
        self.dir = os.path.join(self.tmp, "deploy")
        self.port = free_port()
        self.config = os.path.join(self.dir, "hardline.toml")
        self.database = os.path.join(self.dir, "hardline.db")
        listen = [f"udp:127.0.0.1:{self.port}", f"tcp:127.0.0.1:{self.port}", *extra_listen]
        args = ["init", "--dir", self.dir, "--domain", DOMAIN]
        if ensure_service_account():
            args += ["--user", SERVICE_USER, "--group", SERVICE_USER]
        for spec in listen:
            args += ["--listen", spec]
        init = run(*args, check=True)
        # `hardline init` shows the admin API's bearer token once.
        match = re.search(r"^admin token: (\S+)$", init.stdout, re.M)
        self.admin_token = match.group(1) if match else None
        # Each deployment's admin API on a port of its own, so that tests run side by side.
        self.admin_port = free_port()
        self.edit({"admin": {"listen": f'"127.0.0.1:{self.admin_port}"'}})
        if os.geteuid() == 0 and os.environ.get("HARDLINE_SANITIZED") == "1":
            self.edit({"system": {"chroot": "false"}})
        if settings:
            self.edit(settings)
        self.process = None
        self.log_path = os.path.join(self.tmp, "serve.log")
        self.passwords = {}

    def edit(self, settings):
        """Sets `key = value` lines inside their [table] of the config, e.g.
        {"registrar": {"max_contacts": "2"}} (values as TOML text)."""
        edit_config(self.config, settings)

    def add_user(self, extension, *extra):
        result = run("user", "add", extension, "-c", self.config, *extra, check=True)
        match = re.search(rf"password of {re.escape(extension)}: (\S+)", result.stdout)
        assert match, result.stdout
        self.passwords[extension] = match.group(1)
        return match.group(1)

    def start(self, expect_listening=2, relative_config=False):
        """serve -c CONFIG; with relative_config, as `cd DIR && hardline serve -c hardline.toml`."""
        self.log = open(self.log_path, "a")
        offset = len(self.read_log()) if os.path.exists(self.log_path) else 0
        config, cwd = self.config, None
        if relative_config:
            config, cwd = os.path.basename(self.config), os.path.dirname(self.config)
        self.process = subprocess.Popen([os.path.abspath(HARDLINE), "serve", "-c", config],
                                        stdout=self.log, stderr=self.log, cwd=cwd)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}: {self.read_log()}")
            if self.read_log()[offset:].count("listening on") >= expect_listening:
                return
            time.sleep(0.02)
        raise AssertionError("serve did not start listening: " + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """SIGTERM; the server must be gone within two seconds with status 0."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("serve did not stop within 2 s of SIGTERM")
        elapsed = time.monotonic() - started
        self.process = None
        self.log.close()
        assert code == 0, f"serve exited {code}: {self.read_log()}"
        return elapsed

    def privacy_mode(self):
        with open(self.config, "rb") as f:
            return tomllib.load(f).get("privacy", {}).get("mode", "stats")

    def check_log_privacy(self):
        """Every scenario doubles as a privacy test (checklist LOG-1, LOG-2): no password ever
        reaches the log, and under privacy.mode = "stats" no address does either, except the
        server's own in its "listening on" lines."""
        if not os.path.exists(self.log_path):
            return
        text = self.read_log()
        for extension, password in self.passwords.items():
            assert password not in text, f"the password of {extension} is in the log"
        if self.privacy_mode() != "stats":
            return
        for line in text.splitlines():
            if "listening on" in line:
                continue
            assert not ADDRESS.search(line), f"an address in a log line under \"stats\": {line}"

    def close(self):
        self.check_log_privacy()
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_baresip(workdir, user, password, port, transport="udp", domain=DOMAIN):
    """Starts baresip (Debian's baresip-core) with a config directory of its own in `workdir`:
    SIP on a free port of 127.0.0.1, no audio or video, only the account module; the one account
    user@domain goes through the outbound proxy 127.0.0.1:port. It quits by itself after 10 s
    (-t) whatever happens; -s traces SIP. Returns the process (its output in process.log) and
    its listening port; kill_baresip() is the cleanup."""
    listen = free_port()
    with open(os.path.join(workdir, "config"), "w") as f:
        f.write(f"sip_listen\t127.0.0.1:{listen}\n"
                "module_path\t/usr/lib/baresip/modules\n"
                "module_tmp\taccount.so\n")
    with open(os.path.join(workdir, "accounts"), "w") as f:
        f.write(f'<sip:{user}@{domain};transport={transport}>;auth_pass={password};'
                f'outbound="sip:127.0.0.1:{port};transport={transport}";regint=600\n')
    log = open(os.path.join(workdir, "output.log"), "w+")
    process = subprocess.Popen([tool("baresip"), "-f", workdir, "-t", "10", "-s"],
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process, listen


def kill_baresip(process):
    if process.poll() is None:
        process.kill()
    process.wait()
    process.log.close()


def stop_baresip(process):
    """SIGTERM (baresip unregisters and quits); its output, colours removed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    process.log.seek(0)
    return re.sub(r"\x1b\[[0-9;]*m", "", process.log.read())


def add_users(deployment, extensions, *extra, workers=6):
    """Adds the extensions with `hardline user add ... EXTRA`, `workers` at a time (SQLite waits
    for its write lock; each process is short and mostly waits for the disk). Their generated
    passwords land in deployment.passwords."""
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(lambda extension: deployment.add_user(extension, *extra), extensions):
            pass


class Response:
    def __init__(self, text):
        self.text = text
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        self.status = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip(), value.strip()))

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def get(self, name):
        values = self.all(name)
        return values[0] if values else None

    def names(self):
        return [n for n, _ in self.headers]

    def challenge(self, algorithm):
        for value in self.all("WWW-Authenticate"):
            params = parse_params(value)
            if params.get("algorithm", "MD5").upper() == algorithm:
                return params
        return None


def parse_params(challenge):
    _, _, rest = challenge.partition(" ")
    return {k.lower(): v for k, v in re.findall(r'(\w+)="?([^",]*)"?', rest)}


def digest(algorithm, text):
    h = hashlib.sha256 if algorithm == "SHA-256" else hashlib.md5
    return h(text.encode()).hexdigest()


class SipClient:
    """One phone: a socket on 127.0.0.1 (UDP, or a TCP connection) speaking to the server."""

    def __init__(self, port, transport="udp", host="127.0.0.1", source=None):
        self.server = (host, port)
        self.transport = transport
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        source = source or ("::1" if family == socket.AF_INET6 else "127.0.0.1")
        self.via_host = f"[{source}]" if family == socket.AF_INET6 else source
        if transport == "udp":
            self.sock = socket.socket(family, socket.SOCK_DGRAM)
            self.sock.bind((source, 0))
        else:
            self.sock = socket.create_connection(self.server, timeout=5,
                                                 source_address=(source, 0))
        self.sock.settimeout(3)
        self.local_port = self.sock.getsockname()[1]
        self.call_id = secrets.token_hex(8) + "@test"
        self.cseq = 0
        self.buffer = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.transport == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def receive(self, timeout=3):
        self.sock.settimeout(timeout)
        if self.transport == "udp":
            data, _ = self.sock.recvfrom(65535)
            return Response(data.decode())
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                head = self.buffer[:head_end].decode()
                length = int(re.search(r"(?im)^content-length:\s*(\d+)", head).group(1))
                total = head_end + 4 + length
                if len(self.buffer) >= total:
                    message, self.buffer = self.buffer[:total], self.buffer[total:]
                    return Response(message.decode())
            chunk = self.sock.recv(65535)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk

    def nothing_received(self, timeout=0.5):
        try:
            self.receive(timeout)
            return False
        except (socket.timeout, TimeoutError):
            return True

    def register(self, user, domain=DOMAIN, contact=None, expires=None, extra=(),
                 authorization=None, to_user=None, contact_params="", request_uri=None,
                 timeout=3):
        self.cseq += 1
        branch = "z9hG4bK" + secrets.token_hex(8)
        proto = self.transport.upper()
        contact = contact or (f"<sip:{user}@{self.via_host}:{self.local_port};"
                              f"transport={self.transport}>")
        lines = [
            f"REGISTER {request_uri or 'sip:' + domain} SIP/2.0",
            f"Via: SIP/2.0/{proto} {self.via_host}:{self.local_port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{user}@{domain}>;tag={secrets.token_hex(4)}",
            f"To: <sip:{to_user or user}@{domain}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
        ]
        if contact != "none":
            lines.append(f"Contact: {contact}{contact_params}")
        if expires is not None:
            lines.append(f"Expires: {expires}")
        if authorization:
            lines.append(f"Authorization: {authorization}")
        lines += list(extra)
        lines.append("Content-Length: 0")
        message = "\r\n".join(lines) + "\r\n\r\n"
        self.last_request = message
        self.send(message)
        return self.receive(timeout)

    @staticmethod
    def authorization(challenge, user, password, method="REGISTER", uri=f"sip:{DOMAIN}",
                      nc=1, cnonce=None, realm=None):
        algorithm = challenge.get("algorithm", "MD5")
        realm = realm or challenge["realm"]
        cnonce = cnonce or secrets.token_hex(8)
        ha1 = digest(algorithm, f"{user}:{realm}:{password}")
        ha2 = digest(algorithm, f"{method}:{uri}")
        nc_text = f"{nc:08x}"
        response = digest(algorithm, f"{ha1}:{challenge['nonce']}:{nc_text}:{cnonce}:auth:{ha2}")
        value = (f'Digest username="{user}", realm="{realm}", nonce="{challenge["nonce"]}", '
                 f'uri="{uri}", response="{response}", algorithm={algorithm}, '
                 f'cnonce="{cnonce}", qop=auth, nc={nc_text}')
        if "opaque" in challenge:
            value += f', opaque="{challenge["opaque"]}"'
        return value

    def register_with_auth(self, user, password, algorithm="SHA-256", **kwargs):
        first = self.register(user, **kwargs)
        if first.status != 401:
            return first
        challenge = first.challenge(algorithm)
        # The digest's uri is the Request-URI: sip:DOMAIN, for whatever domain was asked.
        uri = f"sip:{kwargs.get('domain', DOMAIN)}"
        auth = self.authorization(challenge, user, password, uri=uri)
        return self.register(user, authorization=auth, **kwargs)
