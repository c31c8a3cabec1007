"""The admin API, /metrics and /health on the real binary: the bearer token (missing, wrong,
right, rotated), each endpoint, the access log (OS-8) without the token, wrong tokens banning
their source, the loopback rule of the config loader (NET-4), HTTPS, and a real Prometheus
(Debian package `prometheus`) scraping /metrics with the example scrape config (MON-1).
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import time
import unittest

from harness import OUTSIDE_ON_LOOPBACK, Deployment, SipClient, free_port, run, tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRAPE_CONFIG = os.path.join(ROOT, "packaging", "prometheus", "hardline.yml")


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


class Admin:
    """An HTTP client of one deployment's admin API from a chosen loopback address."""

    def __init__(self, deployment, source="127.0.0.1", tls=False):
        self.deployment = deployment
        self.source = source
        self.tls = tls

    def request(self, method, path, body=None, token="default"):
        token = self.deployment.admin_token if token == "default" else token
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            body = json.dumps(body) if not isinstance(body, str) else body
            headers["Content-Type"] = "application/json"
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.deployment.admin_port, timeout=5,
                                               source_address=(self.source, 0), context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.deployment.admin_port, timeout=5,
                                              source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read().decode()
            return response.status, data, dict(response.getheaders())
        finally:
            conn.close()

    def json(self, method, path, body=None, token="default"):
        status, data, _ = self.request(method, path, body, token)
        return status, json.loads(data)


def start(deployment):
    """Starts `serve` and waits until the admin API listens too (it binds after the SIP
    sockets, which is what Deployment.start() waits for)."""
    deployment.start()
    if not wait_for(lambda: "serving domain" in deployment.read_log(), timeout=15):
        raise AssertionError("serve did not finish starting: " + deployment.read_log())


def access_log(deployment):
    path = os.path.join(deployment.dir, "admin-access.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def sip_answered(deployment, user, source):
    client = SipClient(deployment.port, source=source)
    try:
        client.register(user, timeout=0.5)
        return True
    except (TimeoutError, OSError):
        return False
    finally:
        client.close()


class AdminApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # 127.0.0.1 stays protected (guard.protected); the other loopback addresses play remote
        # admin clients.
        cls.deployment = Deployment(settings={"guard": {"protected": OUTSIDE_ON_LOOPBACK}})
        start(cls.deployment)
        cls.admin = Admin(cls.deployment)

    @classmethod
    def tearDownClass(cls):
        cls.deployment.stop()
        cls.deployment.close()

    def test_init_shows_a_token_once_and_keeps_only_its_hash(self):
        d = self.deployment
        self.assertRegex(d.admin_token, r"^[A-Za-z0-9_-]{43}$")
        token_file = os.path.join(d.dir, "admin-token.hash")
        self.assertEqual(stat.S_IMODE(os.stat(token_file).st_mode), 0o600)
        with open(token_file) as f:
            stored = f.read()
        self.assertTrue(stored.startswith("$argon2id$"), stored)
        self.assertNotIn(d.admin_token, stored)
        self.assertNotIn(d.admin_token, d.read_log())

    def test_missing_and_wrong_token_are_refused_and_logged_without_the_token(self):
        before = len(access_log(self.deployment))
        status, body = self.admin.json("GET", "/api/status", token=None)
        self.assertEqual(status, 401)
        self.assertIn("error", body)
        wrong = "x" * 43
        status, _, headers = self.admin.request("GET", "/api/bans", token=wrong)
        self.assertEqual(status, 401)
        self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))
        # Without the token, nothing says which paths exist.
        self.assertEqual(self.admin.request("GET", "/no/such/path", token=None)[0], 401)
        lines = access_log(self.deployment)[before:]
        self.assertEqual(len(lines), 3, lines)
        self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ source=127\.0\.0\.1 "
                                   r"method=GET path=/api/status status=401 result=no-token$")
        self.assertRegex(lines[1], r"method=GET path=/api/bans status=401 result=wrong-token$")
        self.assertRegex(lines[2], r"path=\{unknown\} status=401 result=no-token$")
        log = "\n".join(access_log(self.deployment))
        self.assertNotIn(wrong, log)
        self.assertNotIn(self.deployment.admin_token, log)

    def test_health_status_counters_and_metrics(self):
        status, body = self.admin.json("GET", "/health", token=None)
        self.assertEqual((status, body), (200, {"status": "ok"}))
        status, body = self.admin.json("GET", "/api/status")
        self.assertEqual(status, 200)
        self.assertEqual(body["sip_loop"], "ok")
        self.assertEqual(body["calls_active"], 0)
        self.assertEqual(body["privacy_mode"], "stats")
        status, body = self.admin.json("GET", "/api/counters")
        self.assertEqual(status, 200)
        self.assertIn("REGISTER", body["sip_requests_total"])
        self.assertEqual(self.admin.request("GET", "/metrics", token=None)[0], 401)
        status, text, headers = self.admin.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        self.assertIn("# TYPE hardline_sip_requests_total counter", text)
        self.assertRegex(text, r"\nhardline_uptime_seconds \d+\n")
        self.assertIn("hardline_calls_active 0\n", text)

    def test_errors_are_json(self):
        cases = [("PUT", "/api/bans", None, 405), ("GET", "/api/nothing", None, 404),
                 ("POST", "/api/bans", "{not json", 400), ("POST", "/api/users", "[]", 400),
                 ("DELETE", "/api/bans/not-an-address", None, 400)]
        for method, path, body, expected in cases:
            status, data, headers = self.admin.request(method, path, body)
            self.assertEqual(status, expected, (method, path, data))
            self.assertEqual(headers["Content-Type"], "application/json")
            self.assertIn("error", json.loads(data))
            if status == 405:
                self.assertIn("Allow", headers)

    def test_users_and_registrations(self):
        d = self.deployment
        status, body = self.admin.json("POST", "/api/users", {"extension": "301", "name": "Ann"})
        self.assertEqual(status, 201, body)
        password = body["password"]
        phone = SipClient(d.port, source="127.0.0.80")
        try:
            self.assertEqual(phone.register_with_auth("301", password).status, 200)
            status, body = self.admin.json("GET", "/api/registrations")
            self.assertEqual(status, 200)
            mine = [r for r in body["registrations"] if r["aor"] == "301"]
            self.assertEqual(len(mine), 1, body)
            self.assertEqual(mine[0]["transport"], "udp")
            self.assertGreater(mine[0]["expires_in"], 0)
            # privacy.mode "stats" (the default): no contact URI, no caller address.
            self.assertNotIn("contact", mine[0])
            self.assertNotIn("source", mine[0])

            status, body = self.admin.json("POST", "/api/users/301/password")
            self.assertEqual(status, 200)
            new_password = body["password"]
            self.assertNotEqual(new_password, password)
            time.sleep(0.5)  # the server reads changed accounts again within 100 ms
            self.assertEqual(phone.register_with_auth("301", password).status, 401)
            self.assertEqual(phone.register_with_auth("301", new_password).status, 200)
        finally:
            phone.close()
        # The SIP traffic just made shows in /metrics: requests by method, responses by status.
        metrics = self.admin.request("GET", "/metrics")[1]
        registers = re.search(r'^hardline_sip_requests_total\{method="REGISTER"\} (\d+)$',
                              metrics, re.M)
        self.assertGreaterEqual(int(registers.group(1)), 6, metrics)
        for code in ("200", "401"):
            answered = re.search(rf'^hardline_sip_responses_total\{{code="{code}"\}} (\d+)$',
                                 metrics, re.M)
            self.assertIsNotNone(answered, code)
            self.assertGreaterEqual(int(answered.group(1)), 2)
        self.assertRegex(metrics, r"\nhardline_registrations_active [1-9]\d*\n")
        self.assertEqual(self.admin.json("DELETE", "/api/users/301")[0], 200)
        self.assertEqual(self.admin.json("DELETE", "/api/users/301")[0], 404)
        everything = "\n".join(access_log(d)) + d.read_log()
        for secret in (password, new_password, d.admin_token):
            self.assertNotIn(secret, everything)
        self.assertIn("path=/api/users/{extension}/password status=200", everything)

    def test_ban_added_and_removed_through_the_api_applies_to_sip(self):
        d = self.deployment
        run("user", "add", "302", "-c", d.config, check=True)
        self.assertTrue(sip_answered(d, "302", "127.0.0.60"))
        status, body = self.admin.json("POST", "/api/bans",
                                       {"network": "127.0.0.60", "duration": "10m",
                                        "reason": "admin API test"})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["ban"]["network"], "127.0.0.60/32")
        status, body = self.admin.json("GET", "/api/bans")
        self.assertIn("127.0.0.60/32", [b["network"] for b in body["bans"]])
        self.assertTrue(wait_for(lambda: not sip_answered(d, "302", "127.0.0.60"), timeout=5))
        self.assertTrue(sip_answered(d, "302", "127.0.0.61"))
        # The banned address cannot reach the admin API either.
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            Admin(d, source="127.0.0.60").request("GET", "/health", token=None)
        status, _ = self.admin.json("DELETE", "/api/bans/127.0.0.60%2F32")
        self.assertEqual(status, 200)
        self.assertTrue(wait_for(lambda: sip_answered(d, "302", "127.0.0.60"), timeout=5))
        self.assertIn("ban added for a source", d.read_log())  # privacy.mode "stats"
        self.assertIn("ban removed for a source", d.read_log())

    def test_wrong_tokens_ban_their_source(self):
        d = self.deployment
        guesser = Admin(d, source="127.0.0.70")
        statuses = []
        for i in range(10):  # guard.source_auth_failures
            statuses.append(guesser.request("GET", "/api/status", token=f"guess-{i}")[0])
        self.assertEqual(statuses, [401] * 10)

        def refused():
            try:
                guesser.request("GET", "/health", token=None)
                return False
            except (ConnectionError, http.client.HTTPException, OSError):
                return True

        self.assertTrue(wait_for(refused, timeout=5))
        # privacy.mode = "stats": the log says a source was banned, not which one; the API does.
        self.assertIn("ban added for a source", d.read_log())
        self.assertNotIn("127.0.0.70", d.read_log())
        self.assertTrue(any("source=127.0.0.70 method=- path=- status=- result=banned" in line
                            for line in access_log(d)))
        # Banned from SIP too, and nobody else is.
        run("user", "add", "303", "-c", d.config, check=True)
        self.assertFalse(sip_answered(d, "303", "127.0.0.70"))
        self.assertEqual(self.admin.json("GET", "/api/status")[0], 200)
        status, body = self.admin.json("GET", "/api/bans")
        self.assertIn("127.0.0.70/32", [b["network"] for b in body["bans"]])


    def test_wrong_tokens_from_a_protected_address_never_ban_it(self):
        # Issue 13, item 13: a Prometheus on the same host still holding the old token after a
        # rotation banned 127.0.0.1 from the admin API, /health and SIP (and the ban came back
        # after a restart). A token is 256 random bits: wrong ones from guard.protected are
        # refused and logged, never banned.
        d = self.deployment
        before = len(access_log(d))
        statuses = [self.admin.request("GET", "/metrics", token=f"old-{i}")[0] for i in range(12)]
        # Refused, then held back by the source's budget of argon2id checks (429), never cut off;
        # once the budget refills (one per 6 s), refused again: more than 10 failures in all.
        self.assertEqual(set(statuses) - {401, 429}, set(), statuses)
        time.sleep(12.5)
        statuses += [self.admin.request("GET", "/metrics", token=f"old-{i}")[0] for i in range(2)]
        self.assertEqual(statuses[-2:], [401, 401], statuses)
        self.assertGreaterEqual(statuses.count(401), 10, statuses)
        self.assertEqual(self.admin.json("GET", "/api/status")[0], 200)
        status, body = self.admin.json("GET", "/api/bans")
        self.assertEqual(status, 200)
        self.assertNotIn("127.0.0.1/32", [b["network"] for b in body["bans"]])
        run("user", "add", "304", "-c", d.config, check=True)
        self.assertTrue(sip_answered(d, "304", "127.0.0.1"))
        wrong = [line for line in access_log(d)[before:] if "result=wrong-token" in line]
        self.assertEqual(len(wrong), statuses.count(401))


class LimitsTest(unittest.TestCase):
    """The listener's limits, each with its defined answer (src/admin/http_server.h)."""

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment()
        start(cls.deployment)

    @classmethod
    def tearDownClass(cls):
        cls.deployment.stop()
        cls.deployment.close()

    def connect(self, source="127.0.0.1"):
        sock = socket.create_connection(("127.0.0.1", self.deployment.admin_port), timeout=5,
                                        source_address=(source, 0))
        self.addCleanup(sock.close)
        return sock

    @staticmethod
    def read_response(sock):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data.decode(errors="replace")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
        while len(body) < length:
            body += sock.recv(65536)
        return (head + b"\r\n\r\n" + body).decode()

    @staticmethod
    def closed(sock):
        try:
            return sock.recv(1) == b""
        except (ConnectionError, socket.timeout):
            return True

    def test_head_and_body_limits(self):
        token = self.deployment.admin_token
        sock = self.connect()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
        self.assertTrue(self.read_response(sock).startswith("HTTP/1.1 431 "))
        self.assertTrue(self.closed(sock))
        sock = self.connect()
        body = b"{" + b" " * 70000 + b"}"
        sock.sendall(b"POST /api/bans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     token.encode() + b"\r\nContent-Length: " + str(len(body)).encode() +
                     b"\r\n\r\n" + body)
        self.assertTrue(self.read_response(sock).startswith("HTTP/1.1 413 "))
        sock = self.connect()
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        self.assertTrue(self.read_response(sock).startswith("HTTP/1.1 400 "))
        self.assertTrue(any("status=431 result=bad-http" in line
                            for line in access_log(self.deployment)))

    def test_requests_per_connection(self):
        sock = self.connect()
        request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        for i in range(100):
            sock.sendall(request)
            response = self.read_response(sock)
            self.assertTrue(response.startswith("HTTP/1.1 200 "), (i, response))
        self.assertIn("Connection: close", response)
        self.assertTrue(self.closed(sock))

    def test_connections_per_source(self):
        held = [self.connect("127.0.0.90") for _ in range(8)]
        extra = self.connect("127.0.0.90")
        self.assertTrue(self.closed(extra))  # the ninth from one source
        other = self.connect("127.0.0.91")
        other.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(self.read_response(other).startswith("HTTP/1.1 200 "))
        for sock in held:
            sock.close()
        fresh = wait_for(lambda: self._health_from("127.0.0.90"), timeout=5)
        self.assertTrue(fresh)

    def _health_from(self, source):
        try:
            return Admin(self.deployment, source=source).request("GET", "/health",
                                                                 token=None)[0] == 200
        except OSError:
            return False


class TokenFileTest(unittest.TestCase):
    def setUp(self):
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def test_rotation_replaces_the_token_at_the_next_start(self):
        d = self.deployment
        old = d.admin_token
        result = run("admin", "token", "-c", d.config, check=True)
        new = re.search(r"^admin token: (\S+)$", result.stdout, re.M).group(1)
        self.assertNotEqual(new, old)
        self.assertIn("shown once", result.stderr)
        token_file = os.path.join(d.dir, "admin-token.hash")
        self.assertEqual(stat.S_IMODE(os.stat(token_file).st_mode), 0o600)
        start(d)
        admin = Admin(d)
        self.assertEqual(admin.request("GET", "/api/status", token=old)[0], 401)
        self.assertEqual(admin.request("GET", "/api/status", token=new)[0], 200)
        d.stop()

    def test_without_a_token_file_every_request_is_refused(self):
        d = self.deployment
        os.remove(os.path.join(d.dir, "admin-token.hash"))
        start(d)
        self.assertIn("admin API: no usable token", d.read_log())
        admin = Admin(d)
        self.assertEqual(admin.request("GET", "/api/status")[0], 401)
        self.assertEqual(admin.request("GET", "/metrics")[0], 401)
        self.assertTrue(access_log(d)[-1].endswith("status=401 result=no-token-file"))
        d.stop()


class ListenTest(unittest.TestCase):
    def setUp(self):
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def test_a_non_loopback_listen_is_refused_by_the_config_loader(self):
        d = self.deployment
        port = d.admin_port  # a free port, though none of these is ever bound
        cases = [({"listen": f'"192.0.2.10:{port}"'}, "is not a loopback address"),
                 ({"listen": f'"0.0.0.0:{port}"'}, "is not a loopback address"),
                 ({"listen": f'"[::]:{port}"'}, "is not a loopback address"),
                 ({"listen": f'"192.0.2.10:{port}"', "allow_remote": "true"}, "has no TLS")]
        for settings, message in cases:
            with open(d.config) as f:
                original = f.read()
            d.edit({"admin": settings})
            result = run("serve", "-c", d.config)
            with open(d.config, "w") as f:
                f.write(original)
            self.assertEqual(result.returncode, 2, settings)
            self.assertIn(message, result.stderr)
            self.assertRegex(result.stderr, r"hardline\.toml:\d+")

    def test_https_when_a_certificate_is_configured(self):
        d = self.deployment
        cert = os.path.join(d.dir, "admin.crt")
        key = os.path.join(d.dir, "admin.key")
        subprocess.run([tool("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        os.chmod(key, 0o600)
        d.edit({"admin": {"tls_certificate": '"admin.crt"', "tls_key": '"admin.key"'}})
        start(d)
        self.assertIn(f"admin API listening on https://127.0.0.1:{d.admin_port}", d.read_log())
        status, body = Admin(d, tls=True).json("GET", "/api/status")
        self.assertEqual(status, 200)
        self.assertEqual(body["sip_loop"], "ok")
        # Plain HTTP to the TLS port gets no answer.
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            Admin(d).request("GET", "/health", token=None)
        d.stop()


class PrometheusTest(unittest.TestCase):
    """A real Prometheus scrapes /metrics with the example config (its target and token file
    pointed at this deployment)."""

    def test_prometheus_scrapes_metrics(self):
        prometheus = tool("prometheus")
        d = Deployment()
        self.addCleanup(d.close)
        work = tempfile.mkdtemp(prefix="hardline-prometheus-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        start(d)
        credentials = os.path.join(work, "hardline-admin.token")
        with open(credentials, "w") as f:
            f.write(d.admin_token + "\n")
        os.chmod(credentials, 0o600)
        with open(SCRAPE_CONFIG) as f:
            config = f.read()
        config = config.replace("/etc/prometheus/hardline-admin.token", credentials)
        config = config.replace("127.0.0.1:8088", f"127.0.0.1:{d.admin_port}")
        config = config.replace("scrape_interval: 15s", "scrape_interval: 1s")
        config = config.replace("scrape_timeout: 5s", "scrape_timeout: 1s")
        self.assertIn(credentials, config)
        config_path = os.path.join(work, "prometheus.yml")
        with open(config_path, "w") as f:
            f.write(config)
        port = free_port()
        log = open(os.path.join(work, "prometheus.log"), "w")
        process = subprocess.Popen(
            [prometheus, f"--config.file={config_path}",
             f"--storage.tsdb.path={os.path.join(work, 'data')}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=log)

        def stop():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()

        self.addCleanup(stop)

        def query(expression):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/query?query=" + expression)
                data = json.loads(conn.getresponse().read())
                conn.close()
                results = data.get("data", {}).get("result", [])
                return results[0]["value"][1] if results else None
            except (OSError, ValueError, http.client.HTTPException):
                return None

        up = wait_for(lambda: query("up%7Bjob%3D%22hardline%22%7D") == "1", timeout=30)
        with open(os.path.join(work, "prometheus.log")) as f:
            prometheus_log = f.read()
        self.assertTrue(up, "Prometheus never scraped /metrics:\n" + prometheus_log[-3000:])
        self.assertTrue(wait_for(lambda: query("hardline_calls_active") == "0", timeout=10))
        self.assertIsNotNone(wait_for(lambda: query("hardline_uptime_seconds"), timeout=10))
        stop()
        scrapes = [line for line in access_log(d) if "path=/metrics" in line]
        self.assertTrue(scrapes)
        self.assertTrue(all("status=200 result=ok" in line for line in scrapes), scrapes)
        self.assertNotIn(d.admin_token, "\n".join(access_log(d)))
        d.stop()


if __name__ == "__main__":
    unittest.main()
