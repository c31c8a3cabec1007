#!/usr/bin/env python3
"""Calls under load: Hardline's B2BUA and Kamailio as an authenticating stateful proxy, side by
side, in one run.

A SIPp UAS (uas.xml) registered as the callee answers every call at once; a SIPp UAC (uac.xml)
places authenticated calls (INVITE, 407, INVITE with the MD5 answer, 200, ACK, a hold time,
BYE, 200) at increasing rates, alternately through Hardline and through Kamailio (started here
with kamailio.cfg: auth_db, tm, rr, usrloc), with the same callers and passwords. For each
server and rate it prints whether the step passed (every call completed, no failure of any
kind), the server's CPU per call, SIPp's CPU, and memory. Before the rates, a memory phase holds
many calls up at once: the server's memory growth divided by the calls held is the memory per
active call.

Python 3 standard library only; it reuses bench/register/bench.py's helpers. See README.md.
"""
import argparse
import hashlib
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "register_bench", os.path.join(HERE, "..", "register", "bench.py"))
reg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reg)

UAC = os.path.join(HERE, "uac.xml")
UAS = os.path.join(HERE, "uas.xml")
reg.KAMAILIO_CFG = os.path.join(HERE, "kamailio.cfg")  # the Kamailio class reads it from there
DOMAIN = reg.DOMAIN
CALLEE = "2000"
DEFAULT_RATES = "250,500,1000,1500,2000,2500,3000,4000"
BenchError = reg.BenchError
log = reg.log
tool = reg.tool


# ---- the callee's registration -----------------------------------------------------------------

def register(server_port, local_port, user, password):
    """REGISTER user from 127.0.0.1:local_port (answering the MD5 challenge): the server then
    sends this user's calls to that port, where the SIPp UAS will listen."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", local_port))
        sock.settimeout(3)
        call_id = secrets.token_hex(8) + "@bench"
        authorization = None
        for cseq in (1, 2):
            lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                     f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{secrets.token_hex(8)}"
                     ";rport",
                     "Max-Forwards: 70", f"From: <sip:{user}@{DOMAIN}>;tag={secrets.token_hex(4)}",
                     f"To: <sip:{user}@{DOMAIN}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                     f"Contact: <sip:{user}@127.0.0.1:{local_port};transport=udp>",
                     "Expires: 3600"]
            if authorization:
                lines.append(authorization)
            lines.append("Content-Length: 0")
            sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), ("127.0.0.1", server_port))
            reply = sock.recvfrom(65535)[0].decode(errors="replace")
            status = int(reply.split(" ", 2)[1])
            if status == 200:
                return
            if status != 401 or authorization:
                raise BenchError(f"registering {user}: {reply.splitlines()[0]}")
            challenge = next(line for line in reply.split("\r\n")
                             if line.lower().startswith("www-authenticate:")
                             and "algorithm=sha-256" not in line.lower())
            params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.split(":", 1)[1]))
            md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
            ha1 = md5(f"{user}:{params['realm']}:{password}")
            ha2 = md5(f"REGISTER:sip:{DOMAIN}")
            cnonce = secrets.token_hex(8)
            response = md5(f"{ha1}:{params['nonce']}:00000001:{cnonce}:auth:{ha2}")
            authorization = (f'Authorization: Digest username="{user}", realm="{params["realm"]}",'
                             f' nonce="{params["nonce"]}", uri="sip:{DOMAIN}", '
                             f'response="{response}", algorithm=MD5, cnonce="{cnonce}", '
                             "qop=auth, nc=00000001")


# ---- servers -----------------------------------------------------------------------------------

class Hardline(reg.Hardline):
    def setup(self):
        super().setup()  # MD5 first, the guard's per-source packet limits raised, accounts
        with open(self.config) as f:
            text = f.read()
        # SIPp is one source for every caller: its INVITE and BYE rates are raised like the
        # packet rates; the tables are sized for the calls in flight at the highest rate.
        for key, value in (("invite_rate", 1_000_000), ("invite_burst", 1_000_000),
                           ("other_rate", 1_000_000), ("other_burst", 1_000_000),
                           ("max_total", 1_000_000), ("max_per_source", 1_000_000),
                           ("max_calls", 1_000_000), ("max_calls_per_account", 10_000)):
            text, n = re.subn(rf"^{key} = \d+$", f"{key} = {value}", text, flags=re.M)
            if n != 1:
                raise BenchError(f"{self.config}: expected one '{key} = N' line")
        self.guard_how = ("hardline: [guard] per-source limits and [transactions], [calls] "
                          "bounds raised (SIPp is one source)")
        with open(self.config, "w") as f:
            f.write(text)


class Kamailio(reg.Kamailio):
    pass


def make_users(callers):
    users = reg.make_users(callers)
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    users.append((CALLEE, "p" + "".join(secrets.choice(alphabet) for _ in range(19))))
    return users


# ---- SIPp --------------------------------------------------------------------------------------

class Sipp:
    """One SIPp process; its CPU time is read with wait4 once it exits."""

    def __init__(self, args, tag, work):
        self.stat_file = os.path.join(work, f"{tag}.csv")
        self.error_file = os.path.join(work, f"{tag}.errors")
        self.screen = open(os.path.join(work, f"{tag}.screen"), "w")
        self.process = subprocess.Popen(
            [tool("sipp"), *args, "-nostdin", "-trace_stat", "-stf", self.stat_file, "-fd", "1",
             "-trace_err", "-error_file", self.error_file, "-buff_size", str(4 << 20)],
            stdout=self.screen, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.code = None
        self.cpu = 0.0

    def reap(self, block):
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

    def stop(self):
        if self.code is None:
            try:
                self.process.send_signal(signal.SIGUSR1)  # SIPp: stop placing calls, then quit
                for _ in range(50):
                    if self.reap(False):
                        return
                    time.sleep(0.1)
                self.process.kill()
            except OSError:
                pass
            self.reap(True)

    def stats(self):
        return reg.read_sipp_stats(self.stat_file)


class Bench:
    def __init__(self, options):
        self.options = options
        self.ports = set()
        self.servers = []
        self.callees = {}
        self.runs = []

    def setup(self):
        o = self.options
        for name in ("sipp", "kamailio", "sqlite3"):
            tool(name)
        if not os.access(o.hardline, os.X_OK):
            raise BenchError(f"{o.hardline} is not an executable: build it first")
        self.work = o.workdir or tempfile.mkdtemp(prefix="hardline-bench-calls-")
        os.makedirs(self.work, exist_ok=True)
        log(f"work directory: {self.work}")
        self.users = make_users(o.callers)
        callers = [u for u in self.users if u[0] != CALLEE]
        self.csv = os.path.join(self.work, "callers.csv")
        reg.write_csv(self.csv, callers)
        wanted = [s.strip() for s in o.servers.split(",") if s.strip()]
        if "hardline" in wanted:
            self.servers.append(Hardline(self.work, reg.free_port(self.ports),
                                         os.path.abspath(o.hardline), self.users))
        if "kamailio" in wanted:
            self.servers.append(Kamailio(self.work, reg.free_port(self.ports), self.users,
                                         o.kamailio_children, 0, 60))
        if not self.servers:
            raise BenchError("--servers names none of hardline, kamailio")
        password = dict(self.users)[CALLEE]
        for server in self.servers:
            server.setup()
            server.start()
            port = reg.free_port(self.ports)
            register(server.port, port, CALLEE, password)
            self.callees[server.name] = Sipp(
                ["-sf", UAS, "-i", "127.0.0.1", "-p", str(port), "-t", "u1",
                 "-recv_timeout", "20000"], f"{server.name}-callee", self.work)
            log(f"{server.name} on 127.0.0.1:{server.port}, callee {CALLEE} registered from "
                f"127.0.0.1:{port} (pids {' '.join(map(str, server.pids()))})")
        time.sleep(0.5)
        for server in self.servers:
            if isinstance(server, Hardline):
                log(server.md5_how)
                log(server.guard_how)
            else:
                log(f"kamailio: {server.children} UDP worker(s), usrloc in memory, tm, rr")

    def stop(self):
        for run_ in self.runs:
            run_.stop()
        for callee in self.callees.values():
            callee.stop()
        for server in self.servers:
            try:
                server.stop()
            except Exception as error:  # keep stopping the others
                log(f"warning: stopping {server.name}: {error}")

    def step(self, server, rate, seconds, hold_ms, tag):
        calls = max(1, round(rate * seconds))
        cpu_before = server.cpu()
        rss_before = server.memory_kib()
        peak = rss_before
        started = time.monotonic()
        port = reg.free_port(self.ports)
        self.ports.discard(port)
        uac = Sipp([f"127.0.0.1:{server.port}", "-sf", UAC, "-inf", self.csv, "-s", CALLEE,
                    "-auth_uri", f"{CALLEE}@{DOMAIN}", "-i", "127.0.0.1", "-p", str(port),
                    "-t", "u1", "-r", str(rate), "-rp", "1000", "-m", str(calls),
                    "-d", str(hold_ms), "-l", str(max(1000, rate * (hold_ms // 1000 + 10))),
                    "-recv_timeout", "10000",
                    "-timeout", f"{int(seconds * 3 + hold_ms / 1000 + 30)}s", "-timeout_error"],
                   tag, self.work)
        self.runs = [uac]
        deadline = started + seconds * 3 + hold_ms / 1000 + 40
        while not uac.reap(False):
            peak = max(peak, server.memory_kib())
            if time.monotonic() > deadline:
                uac.stop()
                break
            time.sleep(0.1)
        self.runs = []
        wall = time.monotonic() - started
        cpu = server.cpu() - cpu_before
        stats = uac.stats()
        ok = reg.stat_int(stats, "SuccessfulCall(C)")
        failed = reg.stat_int(stats, "FailedCall(C)")
        s = {"server": server.name, "rate": rate, "wall": wall, "ok": ok, "failed": failed,
             "expected": calls, "code": uac.code,
             "retrans": reg.stat_int(stats, "Retransmissions(C)"),
             "timeouts": reg.stat_int(stats, "FailedTimeoutOnRecv(C)")
             + reg.stat_int(stats, "FailedMaxUDPRetrans(C)"),
             "unexpected": reg.stat_int(stats, "FailedUnexpectedMessage(C)"),
             "cpu": cpu, "sipp_cpu": uac.cpu, "rss_before": rss_before, "peak_rss": peak,
             "hold_ms": hold_ms}
        # Calls completed per second of the time it took to place them (the hold time aside).
        placing = max(wall - hold_ms / 1000, 1e-9)
        s["achieved"] = ok / placing
        s["us_per_call"] = cpu / ok * 1e6 if ok else float("nan")
        s["server_util"] = cpu / wall
        s["sipp_util"] = uac.cpu / wall
        clean = failed == 0 and ok == calls and uac.code == 0
        if not clean:
            s["verdict"] = "FAIL"
        elif s["achieved"] >= reg.REACHED * rate:
            s["verdict"] = "pass"
        elif s["sipp_util"] >= reg.SIPP_SATURATED:
            s["verdict"] = "sipp"
        else:
            s["verdict"] = "slow"
        s["passed"] = s["verdict"] == "pass"
        return s

    @staticmethod
    def header():
        log(f"{'server':<9} {'rate/s':>6} {'ok':>7} {'failed':>6} {'tmout':>5} {'unexp':>5} "
            f"{'retr':>6} {'done/s':>8} {'srvCPU':>7} {'us/call':>8} {'SIPpCPU':>8} "
            f"{'peakMiB':>8} {'':>5}")

    @staticmethod
    def print_step(s):
        log(f"{s['server']:<9} {s['rate']:>6} {s['ok']:>7} {s['failed']:>6} {s['timeouts']:>5} "
            f"{s['unexpected']:>5} {s['retrans']:>6} {s['achieved']:>8.0f} "
            f"{s['server_util'] * 100:>6.0f}% {s['us_per_call']:>8.1f} "
            f"{s['sipp_util'] * 100:>7.0f}% {s['peak_rss'] / 1024:>8.1f} {s['verdict']:>5}")

    def main(self):
        o = self.options
        self.setup()
        log("")
        held = o.memory_rate * o.memory_hold // 1000
        log(f"== memory: calls at {o.memory_rate}/s held {o.memory_hold} ms each, about {held} "
            "up at once")
        self.header()
        memory = {}
        for server in self.servers:
            s = self.step(server, o.memory_rate, max(o.memory_hold / 1000 * 1.5, 2),
                          o.memory_hold, f"{server.name}-memory")
            self.print_step(s)
            grown = (s["peak_rss"] - s["rss_before"]) * 1024
            memory[server.name] = grown / held if held else float("nan")
            what = "RSS" if server.name == "hardline" else "PSS summed over its processes"
            log(f"{server.name}: {what} grew {grown / 2**20:.1f} MiB for ~{held} calls up at once:"
                f" {memory[server.name]:.0f} B per active call, "
                f"{memory[server.name] * 1000 / 2**20:.1f} MiB per 1,000")
            time.sleep(1)
        log("")
        log(f"== rates: {o.step_seconds:g} s of calls per step, each held {o.hold} ms; a step "
            "passes when every call completed (no timeout, no unexpected message)")
        self.header()
        steps = {s.name: [] for s in self.servers}
        active = list(self.servers)
        for rate in [int(r) for r in o.rates.split(",") if r.strip()]:
            for server in list(active):
                s = self.step(server, rate, o.step_seconds, o.hold, f"{server.name}-{rate}")
                steps[server.name].append(s)
                self.print_step(s)
                time.sleep(1)
                if not s["passed"]:
                    log(f"-- {server.name}: {s['verdict']} at {rate}/s; no higher steps")
                    active.remove(server)
            if not active:
                break
        self.summary(memory, steps)

    def summary(self, memory, steps):
        log("")
        log("== summary")
        best = {}
        for server in self.servers:
            passed = [s for s in steps[server.name] if s["passed"]]
            top = max(passed, key=lambda s: s["rate"], default=None)
            best[server.name] = top
            if top is None:
                log(f"{server.name}: no step passed")
                continue
            costs = [s["us_per_call"] for s in passed]
            log(f"{server.name}: highest rate with no failures {top['rate']}/s "
                f"({top['achieved']:.0f}/s done, server at {top['server_util'] * 100:.0f}% of a "
                f"core, SIPp at {top['sipp_util'] * 100:.0f}%); server CPU per call "
                f"{top['us_per_call']:.1f} us there (median over passing steps "
                f"{statistics.median(costs):.1f} us); {memory[server.name]:.0f} B per active call")
        h, k = best.get("hardline"), best.get("kamailio")
        if h is None:
            return
        log("")
        log("== against the issue")
        log(f"[{'ok' if h['rate'] >= 2000 else 'NO'}] Hardline highest rate with no failures "
            f"{h['rate']}/s (bar: 2,000/s; see SIPp's CPU when it saturates first)")
        if k is not None:
            kam = {s["rate"]: s for s in steps["kamailio"] if s["passed"]}
            pairs = [(s, kam[s["rate"]]) for s in steps["hardline"]
                     if s["passed"] and s["rate"] in kam]
            if pairs:
                ratios = [a["us_per_call"] / b["us_per_call"] for a, b in pairs]
                ratio = statistics.median(ratios)
                log(f"[{'ok' if ratio <= 2 else 'NO'}] Hardline CPU / Kamailio CPU per call at the "
                    f"{len(pairs)} rates both passed: median {ratio:.2f} (bar: 2)")
        per_call = memory["hardline"]
        log(f"[{'ok' if per_call <= 16384 else 'NO'}] Hardline memory per active call "
            f"{per_call:.0f} B (bar: 16 KiB)")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hardline", default="build/hardline", help="the hardline binary")
    p.add_argument("--callers", type=int, default=100, help="caller accounts")
    p.add_argument("--rates", default=DEFAULT_RATES, help="calls per second, increasing")
    p.add_argument("--step-seconds", type=float, default=6.0, help="seconds of calls per step")
    p.add_argument("--hold", type=int, default=1000, help="ms each call stays up in the steps")
    p.add_argument("--memory-rate", type=int, default=1000)
    p.add_argument("--memory-hold", type=int, default=10000,
                   help="ms each call stays up in the memory phase")
    p.add_argument("--servers", default="hardline,kamailio")
    p.add_argument("--kamailio-children", type=int, default=2, help="UDP worker processes")
    p.add_argument("--workdir", help="where configs, databases and logs go (default: a new "
                                     "temporary directory, removed at the end unless --keep)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args(argv)


def main(argv):
    options = parse_args(argv)
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
