#!/usr/bin/env python3
"""bench/flood: real phones keep registering while one source floods Hardline.

For each attack rate, a fresh deployment: SIPp on 127.0.0.2 sends unauthenticated REGISTERs
(tests/data/sipp/register_flood.xml, sent and forgotten) at that rate, while SIPp on 127.0.0.1
registers 1,000 real users with digest (tests/data/sipp/register.xml, 250/s, as phones behind
one NAT address: the per-source limits are raised for that address's sake, as an operator with
such an office would). Prints, per rate: the real registrations that succeeded, what the flood
sent, what the guard dropped and why, bans, server CPU and peak RSS.

  python3 bench/flood/flood.py [--hardline build/hardline] [--rates 5000,10000,20000,40000]
"""
import argparse
import hashlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIPP_DATA = os.path.join(ROOT, "tests", "data", "sipp")
DOMAIN = "hardline.test"
USERS = 1000
REAL_RATE = 250


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t.bind(("127.0.0.1", port))
        return port


def ha1(algorithm, user, password):
    h = hashlib.md5 if algorithm == "MD5" else hashlib.sha256
    return h(f"{user}:{DOMAIN}:{password}".encode()).hexdigest()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


def step(binary, rate, seconds, work):
    directory = os.path.join(work, f"deploy-{rate}")
    port = free_port()
    subprocess.run([binary, "init", "--dir", directory, "--domain", DOMAIN,
                    "--listen", f"udp:127.0.0.1:{port}"], check=True, capture_output=True)
    config = os.path.join(directory, "hardline.toml")
    with open(config) as f:
        text = f.read()
    text = text.replace('algorithms = ["SHA-256", "MD5"]', 'algorithms = ["MD5", "SHA-256"]')
    # The admin API on a free port too: the default, 8088, may be a running demo's.
    text = text.replace('listen = "127.0.0.1:8088"', f'listen = "127.0.0.1:{free_port()}"')
    for key, value in (("packet_rate", 5000), ("packet_burst", 10000),
                       ("register_rate", 2500), ("register_burst", 5000)):
        text = re.sub(rf"^{key} = \d+$", f"{key} = {value}", text, flags=re.M)
    with open(config, "w") as f:
        f.write(text)
    users = [(f"{1000 + i}", f"pw-{i}-{os.urandom(6).hex()}") for i in range(USERS)]
    db = sqlite3.connect(os.path.join(directory, "hardline.db"))
    db.executemany("INSERT INTO accounts (extension, name, ha1_md5, ha1_sha256, created_at) "
                   "VALUES (?, '', ?, ?, ?)",
                   [(u, ha1("MD5", u, p), ha1("SHA-256", u, p), int(time.time()))
                    for u, p in users])
    db.commit()
    db.close()
    csv = os.path.join(work, f"users-{rate}.csv")
    with open(csv, "w") as f:
        f.write("SEQUENTIAL\n" + "".join(f"{u};{p}\n" for u, p in users))

    log_path = os.path.join(work, f"serve-{rate}.log")
    log = open(log_path, "w")
    server = subprocess.Popen([binary, "serve", "-c", config], stdout=log, stderr=log)
    try:
        time.sleep(0.5)
        cpu_before = cpu_seconds(server.pid)
        started = time.monotonic()
        flood = subprocess.Popen(
            ["sipp", f"127.0.0.1:{port}", "-sf", os.path.join(SIPP_DATA, "register_flood.xml"),
             "-m", str(rate * seconds), "-r", str(rate), "-rp", "1000", "-i", "127.0.0.2",
             "-p", str(free_port()), "-t", "u1", "-nostdin", "-timeout", f"{seconds * 3}s",
             "-default_behaviors", "none", "-trace_stat", "-stf",
             os.path.join(work, f"flood-{rate}.csv")],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        flood_started = time.monotonic()
        flood_took = []
        waiter = threading.Thread(
            target=lambda: (flood.wait(), flood_took.append(time.monotonic() - flood_started)))
        waiter.start()
        time.sleep(0.3)
        stat = os.path.join(work, f"real-{rate}.csv")
        subprocess.run(
            ["sipp", f"127.0.0.1:{port}", "-sf", os.path.join(SIPP_DATA, "register.xml"),
             "-inf", csv, "-au", "[field0]", "-ap", "[field1]", "-auth_uri", DOMAIN,
             "-default_behaviors", "all,-bye", "-m", str(USERS), "-r", str(REAL_RATE),
             "-rp", "1000", "-i", "127.0.0.1", "-p", str(free_port()), "-t", "u1", "-nostdin",
             "-timeout", "60s", "-recv_timeout", "5000", "-trace_stat", "-stf", stat],
            cwd=work, capture_output=True, timeout=90)
        waiter.join(timeout=seconds * 3 + 10)
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(server.pid) - cpu_before
        hwm = vm_hwm_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    with open(stat) as f:
        rows = [line.split(";") for line in f.read().splitlines() if line]
    ok = int(rows[-1][rows[0].index("SuccessfulCall(C)")])
    with open(log_path) as f:
        text = f.read()
    summary = re.search(r"stopped after (\d+) messages: (\d+) dropped by the guard \(banned "
                        r"source (\d+), packet rate (\d+), byte rate (\d+), method rate (\d+)",
                        text)
    bans = len(re.findall(r"ban added ", text))
    return {"rate": rate, "ok": ok, "sent": rate * seconds,
            "achieved": rate * seconds / flood_took[0] if flood_took else 0,
            "received": int(summary.group(1)) if summary else -1,
            "dropped": int(summary.group(2)) if summary else -1,
            "banned": int(summary.group(3)) if summary else -1,
            "limited": (int(summary.group(4)) + int(summary.group(5)) + int(summary.group(6)))
            if summary else -1,
            "bans": bans, "cpu": cpu / elapsed * 100, "hwm": hwm}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hardline", default=os.path.join(ROOT, "build", "hardline"))
    parser.add_argument("--rates", default="5000,10000,20000,40000",
                        help="attack rates, REGISTERs a second from 127.0.0.2")
    parser.add_argument("--seconds", type=int, default=5, help="length of each flood")
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        sys.exit("flood: sipp is missing (scripts/bootstrap installs it)")
    work = tempfile.mkdtemp(prefix="hardline-flood-")
    print(f"{USERS} real users at {REAL_RATE}/s from 127.0.0.1; flood from 127.0.0.2 for "
          f"{args.seconds} s per step; work files in {work}")
    print(f"{'attack/s':>9} {'achieved':>9} {'real ok':>8} {'flood sent':>11} {'srv got':>9} {'dropped':>9} "
          f"{'(banned':>8} {'limited)':>9} {'bans':>5} {'srvCPU':>7} {'peakMiB':>8}")
    for rate in (int(r) for r in args.rates.split(",")):
        r = step(args.hardline, rate, args.seconds, work)
        print(f"{r['rate']:>9} {r['achieved']:>9.0f} {r['ok']:>5}/{USERS} {r['sent']:>11} {r['received']:>9} "
              f"{r['dropped']:>9} {r['banned']:>8} {r['limited']:>9} {r['bans']:>5} "
              f"{r['cpu']:>6.0f}% {r['hwm']:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
