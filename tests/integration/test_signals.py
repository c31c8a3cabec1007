"""Signals, standard descriptors and exit statuses of `hardline serve` (issue 13, item 9),
through the real binary: a log reader that goes away, a stray SIGPIPE or SIGHUP and closed
descriptors 0-2 never stop or corrupt the server, and every exit is logged with its status."""
import os
import re
import select
import signal
import socket
import subprocess
import time
import unittest

from harness import HARDLINE, Deployment, SipClient, run


def wait_until_listening(read_text, process, count=2, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {read_text()}")
        if read_text().count("listening on") >= count:
            return
        time.sleep(0.02)
    raise AssertionError("serve did not start listening: " + read_text())


class SignalsTest(unittest.TestCase):
    def setUp(self):
        self.deployment = Deployment()
        self.password = self.deployment.add_user("201")
        self.addCleanup(self.deployment.close)
        self.process = None

    def tearDown(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def serve(self, **popen):
        self.process = subprocess.Popen([HARDLINE, "serve", "-c", self.deployment.config],
                                        **popen)
        return self.process

    def registers(self):
        client = SipClient(self.deployment.port)
        try:
            return client.register_with_auth("201", self.password).status == 200
        finally:
            client.close()

    def wait_until_it_registers(self, timeout=15):
        """For a server whose log says nothing: polls with REGISTERs until one succeeds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assertIsNone(self.process.poll(), f"serve exited {self.process.returncode}")
            try:
                if self.registers():
                    return
            except (socket.timeout, TimeoutError, ConnectionError):
                time.sleep(0.1)
        raise AssertionError("serve never answered a REGISTER")

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("serve did not stop within 5 s")

    def start_with_stderr_a_pipe_then_close_it(self):
        """stderr a pipe whose reader closes it once the server listens (journald restarted, a
        terminal closed)."""
        with open(os.path.join(self.deployment.tmp, "stdout"), "w") as stdout:
            process = self.serve(stdout=stdout, stderr=subprocess.PIPE)
        seen = bytearray()

        def read_text():
            while select.select([process.stderr], [], [], 0)[0]:
                chunk = os.read(process.stderr.fileno(), 65536)
                if not chunk:
                    break
                seen.extend(chunk)
            return seen.decode(errors="replace")

        wait_until_listening(read_text, process)
        process.stderr.close()
        return process

    def test_sigpipe_does_not_stop_it(self):
        process = self.start_with_stderr_a_pipe_then_close_it()
        process.send_signal(signal.SIGPIPE)
        time.sleep(0.3)
        self.assertIsNone(process.poll(), f"SIGPIPE killed serve (status {process.returncode})")
        self.assertTrue(self.registers(), "no answer to a REGISTER after SIGPIPE")

    def test_log_lines_written_to_a_dead_pipe_do_not_stop_it(self):
        self.start_with_stderr_a_pipe_then_close_it()
        self.assertTrue(self.registers())
        # Stopping writes "SIGTERM received" and the exit line to the dead pipe: before, the
        # first of them raised SIGPIPE and the server died with it (status -13).
        self.assertEqual(self.stop(), 0, "serve did not stop cleanly with its stderr broken")

    def test_started_with_descriptors_0_to_2_closed(self):
        """A supervisor that starts it with 0, 1 and 2 closed: hardline opens /dev/null on them
        (read-write) before anything else, so that no file or socket becomes the log's
        destination. Before, SQLite's own guard happened to fill them with a read-only
        /dev/null when it opened the database, which protected only what came after it."""
        process = self.serve(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             preexec_fn=lambda: [os.close(fd) for fd in (0, 1, 2)])
        self.wait_until_it_registers()
        for fd in (0, 1, 2):
            self.assertEqual(os.readlink(f"/proc/{process.pid}/fd/{fd}"), "/dev/null",
                             f"descriptor {fd}")
            with open(f"/proc/{process.pid}/fdinfo/{fd}") as info:
                flags = int(re.search(r"^flags:\s*(\d+)", info.read(), re.M).group(1), 8)
            self.assertEqual(flags & os.O_ACCMODE, os.O_RDWR, f"descriptor {fd} is not O_RDWR")
        self.assertEqual(self.stop(), 0)

    def start_logged(self):
        self.log_path = os.path.join(self.deployment.tmp, "serve.log")
        with open(self.log_path, "w") as log:
            process = self.serve(stdout=log, stderr=log)
        wait_until_listening(self.read_log, process)
        return process

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def test_sighup_is_logged_and_does_not_stop_it(self):
        self.start_logged()
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        self.assertIsNone(self.process.poll(), f"SIGHUP killed serve ({self.process.returncode})")
        self.assertIn("SIGHUP received: reloading is not supported yet", self.read_log())
        self.assertTrue(self.registers())
        self.assertEqual(self.stop(), 0)

    def test_a_clean_stop_is_logged_with_its_signal_and_status(self):
        for sig, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
            with self.subTest(signal=name):
                self.start_logged()
                self.assertEqual(self.stop(sig), 0)
                log = self.read_log()
                self.assertIn(f"{name} received, stopping", log)
                self.assertIn(f"exit status 0: stopped by {name}", log.splitlines()[-1])

    def test_the_exit_line_shows_whatever_log_level_says(self):
        self.deployment.edit({"log": {"level": '"error"'}})
        self.log_path = os.path.join(self.deployment.tmp, "serve.log")
        with open(self.log_path, "w") as log:
            self.serve(stdout=log, stderr=log)
        self.wait_until_it_registers()
        self.assertEqual(self.stop(), 0)
        self.assertIn("exit status 0: stopped by SIGTERM", self.read_log())

    def test_a_failed_start_is_logged_with_status_1(self):
        taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", self.deployment.port))
        result = run("serve", "-c", self.deployment.config)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("exit status 1: could not start", result.stderr.splitlines()[-1])

    def test_a_config_with_errors_is_logged_with_status_2(self):
        self.deployment.edit({"sip": {"no_such_setting": "1"}})
        result = run("serve", "-c", self.deployment.config)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("hardline.toml:", result.stderr)  # the file:line message stays
        self.assertIn("exit status 2: the configuration has errors", result.stderr)

    def test_help_lists_the_exit_statuses(self):
        result = run("serve", "--help")
        self.assertEqual(result.returncode, 0)
        for text in ("Exit status", "0  stopped by SIGTERM or SIGINT", "1  could not start",
                     "2  bad arguments, a config with errors", "SIGABRT", "SIGSYS",
                     "SIGPIPE is ignored"):
            self.assertIn(text, result.stdout)


class ServiceNotifyTest(unittest.TestCase):
    """sd_notify without libsystemd: the test plays systemd with its own AF_UNIX datagram
    socket, named to the server by NOTIFY_SOCKET (and WATCHDOG_USEC, WATCHDOG_PID)."""

    def setUp(self):
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)
        self.process = None
        self.manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(self.manager.close)
        self.messages = []  # (time received, datagram)

    def tearDown(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def serve(self, socket_name, **env):
        environment = dict(os.environ, NOTIFY_SOCKET=socket_name, **env)
        self.log_path = os.path.join(self.deployment.tmp, "serve.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([HARDLINE, "serve", "-c", self.deployment.config],
                                            stdout=log, stderr=log, env=environment)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def collect(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.manager.settimeout(left)
            try:
                data = self.manager.recv(4096)
            except (socket.timeout, TimeoutError):
                break
            self.messages.append((time.monotonic(), data.decode()))

    def wait_for(self, line, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, message in self.messages:
                if line in message.split("\n"):
                    return when, message
            self.assertIsNone(self.process.poll(), f"serve exited: {self.read_log()}")
            self.collect(0.2)
        raise AssertionError(f"no {line} from serve; got {self.messages}; log: {self.read_log()}")

    def watchdog_times(self, after=0.0):
        return [when for when, message in self.messages
                if "WATCHDOG=1" in message.split("\n") and when > after]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.collect(1.0)
        self.assertEqual(self.process.wait(timeout=5), 0, self.read_log())

    def test_ready_watchdog_at_half_the_timeout_and_stopping(self):
        path = os.path.join(self.deployment.tmp, "notify")
        self.manager.bind(path)
        os.chmod(path, 0o666)
        self.serve(path, WATCHDOG_USEC="1000000")  # a ping every 500 ms
        ready_at, ready = self.wait_for("READY=1")
        self.assertIn("STATUS=serving domain", ready)
        self.assertTrue(any("STATUS=starting" in m for _, m in self.messages), self.messages)
        self.collect(3.0)
        pings = self.watchdog_times(after=ready_at)
        self.assertGreaterEqual(len(pings), 4, pings)  # about 6 in 3 s
        self.assertLessEqual(len(pings), 9, pings)
        gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
        median = gaps[len(gaps) // 2]
        self.assertGreater(median, 0.35, gaps)
        self.assertLess(median, 0.7, gaps)
        self.assertLess(gaps[-1], 1.0, "a gap as long as the whole watchdog timeout")
        self.stop()
        _, stopping = self.wait_for("STOPPING=1")
        self.assertIn("STATUS=stopped by SIGTERM", stopping)

    def test_abstract_socket_and_no_watchdog_unless_asked(self):
        name = f"@hardline-test-notify-{os.getpid()}-{time.monotonic_ns()}"
        self.manager.bind("\0" + name[1:])
        self.serve(name)
        ready_at, _ = self.wait_for("READY=1")
        self.collect(0.6)
        self.assertEqual(self.watchdog_times(), [])
        self.stop()
        self.wait_for("STOPPING=1")

    def test_another_process_watchdog_is_not_fed(self):
        name = f"@hardline-test-notify-{os.getpid()}-{time.monotonic_ns()}"
        self.manager.bind("\0" + name[1:])
        self.serve(name, WATCHDOG_USEC="200000", WATCHDOG_PID="1")
        self.wait_for("READY=1")
        self.collect(0.6)
        self.assertEqual(self.watchdog_times(), [])
        self.stop()


if __name__ == "__main__":
    unittest.main()
