#!/usr/bin/env python3
"""Authenticated REGISTER load: Hardline and Kamailio side by side, in one run.

SIPp (register_auth.xml) sends REGISTER, gets 401, answers the MD5 digest challenge, gets 200,
at increasing rates; the rates are run alternately against Hardline and against Kamailio
(started here on another loopback port with kamailio.cfg: auth_db and usrloc on SQLite), with
the same users and passwords. For each server and rate it prints whether the step passed
(every registration answered 200, no failure of any kind), the server's CPU per registration
(one registration = challenge + answer = 2 REGISTERs) and per 10,000 REGISTERs, SIPp's own CPU
(to tell when SIPp, not the server, is the limit), and memory. Before the rates, each server
registers every user once and then once more: the memory added by the first pass minus that
added by the second (which only refreshes) is what the bindings take.

Python 3 standard library only. See README.md beside this file.
"""
import argparse
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "register_auth.xml")
KAMAILIO_CFG = os.path.join(HERE, "kamailio.cfg")
DOMAIN = "bench.test"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# A step must complete at REACHED x its rate or better: a server whose answers fall behind (its
# queue grows, SIPp retransmits) is not carrying that rate even if every call ends in 200.
REACHED = 0.9
# SIPp at this share of a core or more is the limit, not the server.
SIPP_SATURATED = 0.85
DEFAULT_RATES = "500,1000,2000,3000,4000,5000,6000,8000,10000,12000,15000,20000"
KAMAILIO_MODULE_DIRS = ["/usr/lib/x86_64-linux-gnu/kamailio/modules",
                        "/usr/lib/kamailio/modules", "/usr/local/lib64/kamailio/modules"]
KAMAILIO_SCHEMA_DIRS = ["/usr/share/kamailio/db_sqlite", "/usr/local/share/kamailio/db_sqlite"]


class BenchError(Exception):
    pass


def log(*parts):
    print(*parts, flush=True)


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise BenchError(f"{name} is not installed")
    return path


def free_port(taken):
    """A port free for UDP and TCP on 127.0.0.1, not in `taken`."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            if port in taken:
                continue
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            taken.add(port)
            return port
    raise BenchError("no free port")


# ---- /proc ----------------------------------------------------------------------------------

def proc_stat(pid):
    """(ppid, utime + stime in seconds) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def process_tree(root):
    """root and all its descendants (Kamailio forks its workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid, _ = proc_stat(int(entry))
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def runqueue_wait_seconds(pids):
    """Time the processes spent runnable but waiting for a CPU (/proc/PID/schedstat)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        try:
            total += proc_stat(pid)[1]
        except OSError:
            pass
    return total


def udp_drops(ports):
    """Datagrams the kernel dropped (receive buffer full) on the UDP sockets bound to these
    ports of 127.0.0.1, from the drops column of /proc/net/udp."""
    wanted = {f"0100007F:{port:04X}" for port in ports}
    total = 0
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] in wanted:
                total += int(fields[-1])
    return total


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---- users ------------------------------------------------------------------------------------

def make_users(count):
    # 20 random letters and digits; never starting with "0x", which SIPp reads as hex bytes.
    alphabet = string.ascii_letters + string.digits
    return [(f"b{i:06d}", secrets.choice(string.ascii_letters)
             + "".join(secrets.choice(alphabet) for _ in range(19)))
            for i in range(count)]


def write_csv(path, users):
    # field0 extension, field1 the [authentication] keyword (SIPp 3.6 takes no keyword inside
    # another, so the whole keyword is injected), field2 the domain.
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for user, password in users:
            f.write(f"{user};[authentication username={user} password={password}];{DOMAIN}\n")


def ha1(algorithm, user, password):
    h = hashlib.sha256 if algorithm == "SHA-256" else hashlib.md5
    return h(f"{user}:{DOMAIN}:{password}".encode()).hexdigest()


# ---- servers ----------------------------------------------------------------------------------

def wait_for_sip(port, process, what, timeout=20):
    """Sends OPTIONS over UDP until any response comes back."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        local = sock.getsockname()[1]
        n = 0
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"{what} exited with {process.returncode}")
            n += 1
            message = (f"OPTIONS sip:{DOMAIN} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-ready{n};rport\r\n"
                       "Max-Forwards: 70\r\n"
                       f"From: <sip:probe@{DOMAIN}>;tag=probe{n}\r\n"
                       f"To: <sip:probe@{DOMAIN}>\r\n"
                       f"Call-ID: ready-{n}@bench\r\nCSeq: {n} OPTIONS\r\n"
                       "Content-Length: 0\r\n\r\n")
            sock.sendto(message.encode(), ("127.0.0.1", port))
            try:
                sock.recvfrom(65535)
                return
            except socket.timeout:
                continue
    raise BenchError(f"{what} did not answer on 127.0.0.1:{port}")


class Server:
    name = ""
    sipp_env = None

    def __init__(self, work, port):
        self.work = work
        self.port = port
        self.process = None
        self.log = None

    def pids(self):
        return process_tree(self.process.pid)

    def cpu(self):
        return cpu_seconds(self.pids())

    def runqueue_wait(self):
        return runqueue_wait_seconds(self.pids())

    def memory_kib(self):
        raise NotImplementedError

    def peak_kib(self):
        raise NotImplementedError

    def stop(self):
        if self.process is None:
            return
        pids = self.pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for pid in pids:  # workers left behind, if any
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.process.poll() is None:
            self.process.wait()
        self.process = None
        if self.log:
            self.log.close()


class Hardline(Server):
    name = "hardline"

    def __init__(self, work, port, binary, users):
        super().__init__(work, port)
        self.binary = binary
        self.dir = os.path.join(work, "hardline")
        self.config = os.path.join(self.dir, "hardline.toml")
        self.users = users
        self.md5_how = ""
        self.guard_how = ""

    def setup(self):
        run([self.binary, "init", "--dir", self.dir, "--domain", DOMAIN,
             "--listen", f"udp:127.0.0.1:{self.port}", "--listen", f"tcp:127.0.0.1:{self.port}"])
        with open(self.config) as f:
            text = f.read()
        self.limits_how = "hardline: [transactions] as shipped"
        self.max_completed = int(re.search(r"^max_completed = (\d+)$", text, re.M).group(1))
        # SIPp 3.6.1 answers the first challenge of a 401 and knows only MD5, where Hardline
        # offers SHA-256 first (RFC 8760): [auth] algorithms puts MD5 first (both challenges
        # are still sent), the documented setting for such clients.
        default_algorithms = 'algorithms = ["SHA-256", "MD5"]'
        if default_algorithms not in text:
            raise BenchError(f"{self.config}: expected '{default_algorithms}'")
        text = text.replace(default_algorithms, 'algorithms = ["MD5", "SHA-256"]')
        # The admin API on a free port too: the default, 8088, may be a running demo's.
        text = text.replace('listen = "127.0.0.1:8088"',
                            f'listen = "127.0.0.1:{free_port({self.port})}"')
        self.md5_how = 'hardline: [auth] algorithms = ["MD5", "SHA-256"], for SIPp 3.6.1'
        # SIPp plays thousands of phones from one address, where the guard's per-source limits
        # are sized for one office: raised far above the rates measured (the guard still runs).
        for key, value in (("packet_rate", 10_000_000), ("packet_burst", 10_000_000),
                           ("byte_rate", 1_000_000_000), ("byte_burst", 4_000_000_000),
                           ("register_rate", 1_000_000), ("register_burst", 1_000_000)):
            text, n = re.subn(rf"^{key} = \d+$", f"{key} = {value}", text, flags=re.M)
            if n != 1:
                raise BenchError(f"{self.config}: expected one '{key} = N' line")
        self.guard_how = "hardline: [guard] per-source limits raised (SIPp is one source)"
        with open(self.config, "w") as f:
            f.write(text)
        # Accounts straight into the store (schema: src/store/sqlite_store.cc), HA1 computed
        # here exactly as `hardline user add` does; one transaction for all.
        database = os.path.join(self.dir, "hardline.db")
        db = sqlite3.connect(database)
        now = int(time.time())
        db.executemany(
            "INSERT INTO accounts (extension, name, ha1_md5, ha1_sha256, created_at) "
            "VALUES (?, '', ?, ?, ?)",
            [(u, ha1("MD5", u, p), ha1("SHA-256", u, p), now) for u, p in self.users])
        db.commit()
        db.close()

    def start(self):
        self.log = open(os.path.join(self.work, "hardline.log"), "w")
        self.process = subprocess.Popen([self.binary, "serve", "-c", self.config],
                                        stdout=self.log, stderr=self.log,
                                        stdin=subprocess.DEVNULL)
        wait_for_sip(self.port, self.process, "hardline serve")

    def pids(self):
        return [self.process.pid]

    def memory_kib(self):
        return status_kib(self.process.pid, "VmRSS")

    def peak_kib(self):
        return status_kib(self.process.pid, "VmHWM")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=10)
                if code != 0:
                    log(f"warning: hardline serve exited {code}; see {self.log.name}")
            except subprocess.TimeoutExpired:
                log("warning: hardline serve did not stop within 10 s of SIGTERM")
        super().stop()


class Kamailio(Server):
    name = "kamailio"

    def __init__(self, work, port, users, children, db_mode, timer_interval):
        super().__init__(work, port)
        self.dir = os.path.join(work, "kamailio")
        self.database = os.path.join(self.dir, "kamailio.db")
        self.users = users
        self.children = children
        self.db_mode = db_mode
        self.timer_interval = timer_interval
        self.peak = 0

    def setup(self):
        os.makedirs(self.dir)
        schema = next((d for d in KAMAILIO_SCHEMA_DIRS if os.path.isdir(d)), None)
        modules = next((d for d in KAMAILIO_MODULE_DIRS
                        if os.path.exists(os.path.join(d, "db_sqlite.so"))), None)
        if schema is None or modules is None:
            raise BenchError("kamailio's SQLite schema or db_sqlite.so not found: "
                             "apt-get install kamailio kamailio-sqlite-modules")
        # The schema with the sqlite3 CLI from Kamailio's own files; the users in one transaction.
        sql = os.path.join(self.dir, "create.sql")
        with open(sql, "w") as f:
            for part in ("standard", "auth_db", "usrloc"):
                with open(os.path.join(schema, f"{part}-create.sql")) as s:
                    f.write(s.read())
            f.write("PRAGMA journal_mode=WAL;\nBEGIN;\n")
            for u, p in self.users:
                # ha1 = MD5(user:realm:password); ha1b = MD5(user@domain:realm:password)
                ha1b = hashlib.md5(f"{u}@{DOMAIN}:{DOMAIN}:{p}".encode()).hexdigest()
                f.write("INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES "
                        f"('{u}', '{DOMAIN}', '', '{ha1('MD5', u, p)}', '{ha1b}');\n")
            f.write("COMMIT;\n")
        with open(sql) as f:
            result = subprocess.run([tool("sqlite3"), self.database], stdin=f,
                                    capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise BenchError(f"sqlite3 {self.database}: {result.stderr}")
        with open(KAMAILIO_CFG) as f:
            text = f.read()
        for key, value in (("CHILDREN", self.children), ("LISTEN", f"127.0.0.1:{self.port}"),
                           ("DOMAIN", DOMAIN), ("MODULES", modules + "/"),
                           ("DBFILE", self.database), ("DBMODE", self.db_mode),
                           ("TIMER_INTERVAL", self.timer_interval)):
            text = text.replace(f"@{key}@", str(value))
        self.config = os.path.join(self.dir, "kamailio.cfg")
        with open(self.config, "w") as f:
            f.write(text)

    def start(self):
        self.log = open(os.path.join(self.work, "kamailio.log"), "w")
        # -DD: the main process stays in the foreground (a child of ours) and forks its workers.
        self.process = subprocess.Popen(
            [tool("kamailio"), "-f", self.config, "-DD", "-E", "-Y", self.dir,
             "-m", "256", "-M", "16"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_for_sip(self.port, self.process, "kamailio")

    def memory_kib(self):
        # Workers share the shared-memory segment: RSS summed over processes would count it once
        # per worker. PSS shares each page among the processes that map it, so its sum is the
        # memory the whole server holds.
        return sum(pss_kib(pid) for pid in self.pids())

    def sample(self):
        self.peak = max(self.peak, self.memory_kib())

    def peak_kib(self):
        self.sample()
        return self.peak


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    if result.returncode != 0:
        raise BenchError(f"{' '.join(args)}: {result.stderr or result.stdout}")
    return result


# ---- SIPp ---------------------------------------------------------------------------------------

def read_sipp_stats(path):
    """The last line of a -trace_stat file as {column: value}."""
    try:
        with open(path) as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
    except OSError:
        return {}
    if len(lines) < 2:
        return {}
    header = lines[0].split(";")
    values = lines[-1].split(";")
    return dict(zip(header, values))


def stat_int(stats, key):
    try:
        return int(stats.get(key, "0") or 0)
    except ValueError:
        return 0


class SippRun:
    def __init__(self, server, rate, calls, csv, sipp_port, tag, work, step_seconds, env):
        self.stat_file = os.path.join(work, f"{tag}.csv")
        self.error_file = os.path.join(work, f"{tag}.errors")
        self.screen = open(os.path.join(work, f"{tag}.screen"), "w")
        self.expected = calls
        args = [tool("sipp"), "-sf", SCENARIO, "-inf", csv, f"127.0.0.1:{server.port}",
                "-i", "127.0.0.1", "-p", str(sipp_port), "-t", "u1",
                "-buff_size", str(4 << 20),  # as Hardline's own; SIPp's default is 64 KiB
                "-auth_uri", DOMAIN,  # the digest uri is the Request-URI, sip:DOMAIN
                "-r", str(rate), "-rp", "1000", "-m", str(calls),
                "-l", str(max(100, rate * 10)),  # never throttle: a slow server shows as timeouts
                "-recv_timeout", "5000", "-timeout", f"{int(step_seconds * 3 + 20)}s",
                "-timeout_error", "-nostdin", "-trace_stat", "-stf", self.stat_file,
                "-fd", "3600", "-trace_err", "-error_file", self.error_file]
        self.process = subprocess.Popen(args, stdout=self.screen, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env)
        self.cpu = None
        self.code = None

    def reap(self, block):
        """Waits for SIPp with wait4 to read its CPU time; True once it has exited."""
        if self.code is not None:
            return True
        pid, status, usage = os.wait4(self.process.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self.code = os.waitstatus_to_exitcode(status)
        self.process.returncode = self.code
        self.cpu = usage.ru_utime + usage.ru_stime
        self.screen.close()
        return True

    def kill(self):
        if self.code is None:
            try:
                self.process.kill()
            except OSError:
                pass
            self.reap(True)

    def result(self):
        stats = read_sipp_stats(self.stat_file)
        ok = stat_int(stats, "SuccessfulCall(C)")
        failed = stat_int(stats, "FailedCall(C)")
        return {
            "ok": ok, "failed": failed, "expected": self.expected, "code": self.code,
            "retrans": stat_int(stats, "Retransmissions(C)"),
            "timeouts": stat_int(stats, "FailedTimeoutOnRecv(C)")
            + stat_int(stats, "FailedMaxUDPRetrans(C)"),
            "unexpected": stat_int(stats, "FailedUnexpectedMessage(C)"),
            "cpu": self.cpu or 0.0,
        }


class Bench:
    def __init__(self, options):
        self.options = options
        self.started = time.monotonic()
        self.runs = []
        self.servers = []
        self.ports = set()
        self.sipp_ports = []
        self.sipp_procs = 1 if options.sipp_procs == "auto" else int(options.sipp_procs)

    # -- set-up ---------------------------------------------------------------------------------

    def setup(self):
        o = self.options
        for name in ("sipp", "kamailio", "sqlite3"):
            tool(name)
        if not os.access(o.hardline, os.X_OK):
            raise BenchError(f"{o.hardline} is not an executable: build it first "
                             "(make bench-register does)")
        self.work = o.workdir or tempfile.mkdtemp(prefix="hardline-bench-register-")
        os.makedirs(self.work, exist_ok=True)
        log(f"work directory: {self.work}")
        started = time.monotonic()
        self.users = make_users(o.users)
        self.csv_all = os.path.join(self.work, "users.csv")
        write_csv(self.csv_all, self.users)
        self.csv_parts = []
        for i in range(2):
            path = os.path.join(self.work, f"users-{i}of2.csv")
            write_csv(path, self.users[i::2])
            self.csv_parts.append(path)
        self.sipp_ports = [free_port(self.ports) for _ in range(2)]
        wanted = [s.strip() for s in o.servers.split(",") if s.strip()]
        if "hardline" in wanted:
            self.servers.append(Hardline(self.work, free_port(self.ports),
                                         os.path.abspath(o.hardline), self.users))
        if "kamailio" in wanted:
            self.servers.append(Kamailio(self.work, free_port(self.ports), self.users,
                                         o.kamailio_children, o.kamailio_db_mode,
                                         o.kamailio_timer_interval))
        if not self.servers:
            raise BenchError("--servers names none of hardline, kamailio")
        for server in self.servers:
            server.setup()
        log(f"{len(self.users)} users created in {time.monotonic() - started:.1f} s "
            "(HA1 rows written straight into each server's SQLite database)")
        fs = subprocess.run(["stat", "-f", "-c", "%T", self.work], capture_output=True,
                            text=True).stdout.strip()
        sipp_version = subprocess.run([tool("sipp"), "-v"], capture_output=True,
                                      text=True).stdout.strip().split("\n")[0].strip()
        log(f"SIPp: {sipp_version}; the databases are on {fs or 'an unknown file system'}")
        for server in self.servers:
            if isinstance(server, Kamailio):
                log(f"kamailio: usrloc db_mode={server.db_mode} "
                    f"({'write-through' if server.db_mode == 1 else 'write-back'}), "
                    f"{server.children} UDP worker(s), timer_interval {server.timer_interval} s")
            else:
                log(server.md5_how)
                log(server.limits_how)
                log(server.guard_how)
        for server in self.servers:
            server.start()
            log(f"{server.name} listening on 127.0.0.1:{server.port} "
                f"(pids {' '.join(map(str, server.pids()))})")

    def stop(self):
        for run_ in self.runs:
            run_.kill()
        for server in self.servers:
            try:
                server.stop()
            except Exception as error:  # keep stopping the others
                log(f"warning: stopping {server.name}: {error}")

    # -- one step -------------------------------------------------------------------------------

    def step(self, server, rate, procs, seconds, csvs, tag):
        """Runs `procs` SIPp processes sharing `rate` registrations/s for `seconds`."""
        per = max(1, round(rate / procs))
        calls = max(1, round(per * seconds))
        if isinstance(server, Kamailio):
            server.sample()
        cpu_before = server.cpu()
        waited_before = server.runqueue_wait()
        sipp_ports = self.sipp_ports[:procs]
        drops_before = (udp_drops([server.port]), udp_drops(sipp_ports))
        rss_before = server.memory_kib()
        started = time.monotonic()
        self.runs = [SippRun(server, per, calls, csvs[i], self.sipp_ports[i],
                             f"{tag}-sipp{i}", self.work, seconds, server.sipp_env)
                     for i in range(procs)]
        deadline = started + seconds * 3 + 30
        while not all(r.reap(False) for r in self.runs):
            if isinstance(server, Kamailio):
                server.sample()
            if time.monotonic() > deadline:
                for r in self.runs:
                    r.kill()
                break
            time.sleep(0.1)
        wall = time.monotonic() - started
        cpu = server.cpu() - cpu_before
        waited = server.runqueue_wait() - waited_before
        drops = (udp_drops([server.port]) - drops_before[0],
                 udp_drops(sipp_ports) - drops_before[1])
        results = [r.result() for r in self.runs]
        self.runs = []
        ok = sum(r["ok"] for r in results)
        failed = sum(r["failed"] for r in results)
        expected = sum(r["expected"] for r in results)
        step = {
            "server": server.name, "rate": rate, "procs": procs, "wall": wall, "ok": ok,
            "failed": failed, "expected": expected,
            "retrans": sum(r["retrans"] for r in results),
            "timeouts": sum(r["timeouts"] for r in results),
            "unexpected": sum(r["unexpected"] for r in results),
            "codes": [r["code"] for r in results],
            "cpu": cpu, "sipp_cpu": [r["cpu"] for r in results], "runq": waited,
            "drops": drops[0], "sipp_drops": drops[1],
            "rss_before": rss_before, "rss_after": server.memory_kib(),
            "peak": server.peak_kib(),
        }
        step["achieved"] = ok / wall if wall > 0 else 0.0
        step["us_per_reg"] = cpu / ok * 1e6 if ok else float("nan")
        step["server_util"] = cpu / wall if wall > 0 else 0.0
        step["sipp_util"] = max(step["sipp_cpu"]) / wall if wall > 0 else 0.0
        clean = failed == 0 and ok == expected and all(c == 0 for c in step["codes"])
        if not clean:
            step["verdict"] = "FAIL"  # a timeout, an unexpected answer, or calls left over
        elif step["achieved"] >= REACHED * rate:
            step["verdict"] = "pass"
        elif step["sipp_util"] >= SIPP_SATURATED:
            step["verdict"] = "sipp"  # every call answered, but SIPp could not send faster
        else:
            step["verdict"] = "slow"  # every call answered, but the server fell behind
        step["passed"] = step["verdict"] == "pass"
        return step

    # -- phases ---------------------------------------------------------------------------------

    def binding_memory(self, server):
        """Registers every user once (new bindings), then once more (refreshes only)."""
        o = self.options
        seconds = len(self.users) / o.binding_rate
        time.sleep(0.5)
        first = self.step(server, o.binding_rate, 1, seconds, [self.csv_all], f"{server.name}-new")
        time.sleep(0.5)
        after_first = server.memory_kib()
        second = self.step(server, o.binding_rate, 1, seconds, [self.csv_all],
                           f"{server.name}-refresh")
        time.sleep(0.5)
        after_second = server.memory_kib()
        n = len(self.users)
        grow_first = (after_first - first["rss_before"]) * 1024
        grow_second = (after_second - after_first) * 1024
        result = {
            "server": server.name, "first": first, "second": second,
            "all_per_user": grow_first / n, "refresh_per_user": grow_second / n,
            "binding": (grow_first - grow_second) / n,
            "ok": first["passed"] and second["passed"],
        }
        return result

    def print_step(self, s):
        sipp_cpu = "/".join(f"{c / s['wall'] * 100:.0f}" for c in s["sipp_cpu"])
        verdict = s["verdict"]
        log(f"{s['server']:<9} {s['rate']:>6} {s['procs']:>2} {s['ok']:>7} {s['failed']:>6} "
            f"{s['timeouts']:>5} {s['unexpected']:>5} {s['retrans']:>6} "
            f"{str(s['drops']) + '/' + str(s['sipp_drops']):>11} "
            f"{s['achieved']:>8.0f} "
            f"{s['server_util'] * 100:>6.0f}% {s['runq'] * 1000:>6.0f} {s['us_per_reg']:>8.1f} "
            f"{s['us_per_reg'] / 2 * 10000 / 1e6:>8.3f} {sipp_cpu:>8}% "
            f"{s['peak'] / 1024:>8.1f} {verdict:>5}")

    def header(self):
        log(f"{'server':<9} {'rate/s':>6} {'np':>2} {'ok':>7} {'failed':>6} {'tmout':>5} "
            f"{'unexp':>5} {'retr':>6} {'drops srv/sipp':>11} {'done/s':>8} {'srvCPU':>7} "
            f"{'runqms':>6} {'us/reg':>8} "
            f"{'s/10kREG':>8} {'SIPpCPU':>9} {'peakMiB':>8} {'':>5}")

    def main(self):
        o = self.options
        self.setup()
        # 1. What a binding takes.
        log("")
        log(f"== memory: each of {len(self.users)} users registered once (new bindings), then "
            f"again (refresh), at {o.binding_rate}/s")
        self.header()
        memory = {}
        for server in self.servers:
            m = self.binding_memory(server)
            memory[server.name] = m
            self.print_step(m["first"])
            self.print_step(m["second"])
        for server in self.servers:
            m = memory[server.name]
            cap = getattr(server, "max_completed", None)
            if cap is not None and 4 * len(self.users) > cap:
                log(f"warning: 4 x {len(self.users)} answered transactions exceed hardline's "
                    f"max_completed ({cap}): the refresh pass evicts the first pass's, and the "
                    f"figure per binding below is skewed; use --users {cap // 4} or fewer")
            what = "RSS" if server.name == "hardline" else "PSS summed over its processes"
            log(f"{server.name}: {what} grew {m['all_per_user']:.0f} B per user on the first pass "
                f"(binding + the pass's transient state), {m['refresh_per_user']:.0f} B on the "
                f"refresh pass: {m['binding']:.0f} B per binding")
        # 2. Rates, alternately per server.
        log("")
        log(f"== rates: {o.step_seconds:g} s per step; a step passes when every registration "
            "got its 200 (no timeout, no unexpected message)")
        self.header()
        steps = {s.name: [] for s in self.servers}
        active = list(self.servers)
        rates = [int(r) for r in o.rates.split(",") if r.strip()]
        budget_end = self.started + o.budget
        for rate in rates:
            for server in list(active):
                while True:
                    if time.monotonic() + o.step_seconds + 3 > budget_end:
                        log(f"-- time budget of {o.budget:g} s reached: no more steps")
                        active = []
                        break
                    csvs = [self.csv_all] if self.sipp_procs == 1 else self.csv_parts
                    s = self.step(server, rate, self.sipp_procs, o.step_seconds, csvs,
                                  f"{server.name}-{rate}-{self.sipp_procs}")
                    steps[server.name].append(s)
                    self.print_step(s)
                    time.sleep(1)
                    can_split = o.sipp_procs == "auto" and self.sipp_procs == 1
                    if s["verdict"] == "sipp" and can_split:
                        self.sipp_procs = 2
                        log(f"-- one SIPp at {s['sipp_util'] * 100:.0f}% of a core could not "
                            "send faster: the same rate again with two SIPp processes")
                        continue
                    if s["verdict"] != "pass":
                        why = {"FAIL": "failures", "slow": "the server fell behind",
                               "sipp": "SIPp saturated"}[s["verdict"]]
                        log(f"-- {server.name}: {why} at {rate}/s; no higher steps")
                        active.remove(server)
                    elif can_split and s["sipp_util"] > o.sipp_split:
                        self.sipp_procs = 2
                        log(f"-- one SIPp used {s['sipp_util'] * 100:.0f}% of a core: two SIPp "
                            "processes from now on")
                    break
            if not active:
                break
        self.summary(memory, steps)

    # -- the figures the issue asks for -----------------------------------------------------------

    def summary(self, memory, steps):
        log("")
        log("== summary")
        best = {}
        for server in self.servers:
            ran = steps[server.name]
            passed = [s for s in ran if s["passed"]]
            top = max(passed, key=lambda s: s["rate"], default=None)
            best[server.name] = top
            stopper = next((s for s in ran if not s["passed"] and s["verdict"] != "sipp"), None)
            saturated = [s for s in ran if s["verdict"] == "sipp"
                         or (s["passed"] and s["sipp_util"] >= SIPP_SATURATED)]
            if stopper is not None:
                why = {"FAIL": f"failures ({stopper['failed']} of {stopper['expected']}: "
                               f"{stopper['timeouts']} timeouts, {stopper['unexpected']} "
                               "unexpected answers)",
                       "slow": f"the server fell behind ({stopper['achieved']:.0f}/s done, "
                               f"{stopper['retrans']} retransmissions)"}[stopper["verdict"]]
                limit = (f"at {stopper['rate']}/s {why}, server at "
                         f"{stopper['server_util'] * 100:.0f}% of a core")
            elif saturated:
                s = saturated[-1]
                limit = (f"SIPp saturated before the server: at {s['rate']}/s SIPp used "
                         f"{s['sipp_util'] * 100:.0f}% of a core, the server "
                         f"{s['server_util'] * 100:.0f}%")
            else:
                limit = "no step failed: the ladder or the time budget ended first"
            if top is None:
                log(f"{server.name}: no step passed ({limit})")
                continue
            costs = [s["us_per_reg"] for s in passed]
            log(f"{server.name}: highest rate with no failures {top['rate']}/s "
                f"({top['achieved']:.0f}/s done, server at {top['server_util'] * 100:.0f}% of a "
                f"core, SIPp at {top['sipp_util'] * 100:.0f}%); above it: {limit}")
            log(f"{server.name}: server CPU {top['us_per_reg']:.1f} us per registration at "
                f"{top['rate']}/s = {top['us_per_reg'] / 2 * 10000 / 1e6:.3f} CPU s per 10,000 "
                f"REGISTERs (passing steps: {min(costs):.1f} to {max(costs):.1f} us, median "
                f"{statistics.median(costs):.1f})")
            m = memory[server.name]
            peak = max(s["peak"] for s in ran + [m["second"]])
            what = "VmHWM" if server.name == "hardline" else "PSS summed over its processes"
            log(f"{server.name}: peak memory {peak / 1024:.1f} MiB ({what}); "
                f"{m['binding']:.0f} B per binding")
            if server.name == "hardline" and m["refresh_per_user"] > 0:
                per_txn = m["refresh_per_user"] / 2
                held = top["rate"] * 2 * 32
                cap = ""
                if server.max_completed is not None and held > server.max_completed:
                    held = server.max_completed
                    cap = f", capped by max_completed = {server.max_completed}"
                log(f"hardline: each answered UDP REGISTER is kept ~{per_txn:.0f} B for up to "
                    f"32 s (Timer J): at a sustained {top['rate']}/s, {held} of them = "
                    f"~{held * per_txn / 2**20:.0f} MiB{cap}")
        h, k = best.get("hardline"), best.get("kamailio")
        if h is None:
            return
        log("")
        log("== against the issue")
        cost = h["us_per_reg"]
        log(f"[{'ok' if cost <= 25 else 'NO'}] Hardline CPU per registration {cost:.1f} us at "
            f"{h['rate']}/s (bar: 25 us)")
        if k is not None:
            kam = {s["rate"]: s for s in steps["kamailio"] if s["passed"]}
            pairs = [(s, kam[s["rate"]]) for s in steps["hardline"]
                     if s["passed"] and s["rate"] in kam]
            if pairs:
                ratios = [a["us_per_reg"] / b["us_per_reg"] for a, b in pairs]
                ratio = statistics.median(ratios)
                log(f"[{'ok' if ratio <= 0.5 else 'NO'}] Hardline CPU / Kamailio CPU at the "
                    f"{len(pairs)} rates both passed: median {ratio:.2f} (range "
                    f"{min(ratios):.2f} to {max(ratios):.2f}; bar: 0.5)")
            log(f"[{'ok' if h['rate'] >= k['rate'] else 'NO'}] highest rate with no failures: "
                f"Hardline {h['rate']}/s, Kamailio {k['rate']}/s")
        binding = memory["hardline"]["binding"]
        log(f"[{'ok' if binding <= 1024 else 'NO'}] Hardline memory per binding {binding:.0f} B "
            "(bar: 1024 B)")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hardline", default="build/hardline", help="the hardline binary")
    p.add_argument("--users", type=int, default=10000)
    p.add_argument("--rates", default=DEFAULT_RATES,
                   help="registrations per second, comma-separated, increasing")
    p.add_argument("--step-seconds", type=float, default=6.0)
    p.add_argument("--binding-rate", type=int, default=2000,
                   help="registrations per second for the memory passes")
    p.add_argument("--servers", default="hardline,kamailio")
    p.add_argument("--sipp-procs", default="auto", choices=["auto", "1", "2"])
    p.add_argument("--sipp-split", type=float, default=0.6,
                   help="with --sipp-procs auto, go to two SIPp processes once one uses more "
                        "than this share of a core")
    p.add_argument("--kamailio-children", type=int,
                   help="UDP worker processes (default: 1 with --kamailio-db-mode 1, since "
                        "db_sqlite sets no busy timeout and two writers get 'database is "
                        "locked'; 2 with --kamailio-db-mode 2, where only the timer writes)")
    p.add_argument("--kamailio-db-mode", type=int, default=1, choices=[1, 2],
                   help="usrloc db_mode: 1 write-through, 2 write-back")
    p.add_argument("--kamailio-timer-interval", type=int, default=1,
                   help="usrloc timer_interval in seconds (the write-back flush)")
    p.add_argument("--budget", type=float, default=270,
                   help="seconds: start no step that would end after this")
    p.add_argument("--workdir", help="where databases, configs and logs go (default: a new "
                                     "temporary directory, removed at the end unless --keep)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args(argv)


def main(argv):
    options = parse_args(argv)
    if options.kamailio_children is None:
        options.kamailio_children = 1 if options.kamailio_db_mode == 1 else 2
    bench = Bench(options)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    code = 0
    try:
        bench.main()
    except BenchError as error:
        log(f"error: {error}")
        code = 1
    except KeyboardInterrupt:
        log("interrupted")
        code = 130
    finally:
        bench.stop()
        work = getattr(bench, "work", None)
        if work and not options.keep and not options.workdir:
            shutil.rmtree(work, ignore_errors=True)
        elif work:
            log(f"kept {work}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
