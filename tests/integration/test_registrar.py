"""The registrar through the real binary: raw SIP over UDP and TCP from Python sockets."""
import os
import socket
import sqlite3
import stat
import time
import unittest

from harness import DOMAIN, Deployment, SipClient, free_port, run


class RegistrarTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment()
        cls.password = cls.deployment.add_user("201", "--name", "Alice")
        cls.deployment.add_user("202")
        cls.deployment.start()

    @classmethod
    def tearDownClass(cls):
        cls.deployment.stop()
        cls.deployment.close()

    def client(self, transport="udp"):
        client = SipClient(self.deployment.port, transport)
        self.addCleanup(client.close)
        return client

    def test_challenge_offers_sha256_then_md5_and_no_server_header(self):
        # An account of digest policy "any" that no phone has answered with SHA-256 yet.
        self.deployment.add_user("209")
        response = self.client().register("209")
        self.assertEqual(response.status, 401)
        challenges = response.all("WWW-Authenticate")
        self.assertEqual(len(challenges), 2)
        self.assertIn("algorithm=SHA-256", challenges[0])
        self.assertIn("algorithm=MD5", challenges[1])
        for challenge in challenges:
            self.assertIn('qop="auth"', challenge)
            self.assertIn(f'realm="{DOMAIN}"', challenge)
        self.assertIsNone(response.get("Server"))
        self.assertIsNone(response.get("User-Agent"))
        self.assertIn(";tag=", response.get("To"))

    def test_register_with_sha256_and_md5(self):
        # MD5 first: the first SHA-256 answer pins an "any" account to SHA-256 (test_peers.py,
        # DigestPolicyTest), after which MD5 is refused.
        password = self.deployment.add_user("208")
        for algorithm in ("MD5", "SHA-256"):
            with self.subTest(algorithm=algorithm):
                client = self.client()
                response = client.register_with_auth("208", password, algorithm)
                self.assertEqual(response.status, 200, response.text)
                contacts = response.all("Contact")
                self.assertTrue(any(f":{client.local_port};" in c for c in contacts), contacts)
                self.assertTrue(all("expires=" in c for c in contacts))
        self.assertEqual(len(self.client().register("208").all("WWW-Authenticate")), 1)

    def test_response_goes_to_source_port_with_rport(self):
        response = self.client().register("201")
        via = response.get("Via")
        self.assertIn("received=127.0.0.1", via)
        self.assertRegex(via, r"rport=\d+")

    def test_replayed_authorization_gets_a_new_challenge(self):
        client = self.client()
        challenge = client.register("201").challenge("SHA-256")
        auth = SipClient.authorization(challenge, "201", self.password)
        self.assertEqual(client.register("201", authorization=auth).status, 200)
        # The same nonce and nonce-count again, in a new transaction: refused.
        replay = client.register("201", authorization=auth)
        self.assertEqual(replay.status, 401)
        self.assertNotIn("stale=true", " ".join(replay.all("WWW-Authenticate")).lower())
        # A higher nonce-count on the same nonce is a fresh use and is accepted.
        auth2 = SipClient.authorization(challenge, "201", self.password, nc=2)
        self.assertEqual(client.register("201", authorization=auth2).status, 200)

    def test_tampered_nonce_is_refused(self):
        client = self.client()
        challenge = client.register("201").challenge("SHA-256")
        nonce = challenge["nonce"]
        challenge["nonce"] = nonce[:-2] + ("AA" if not nonce.endswith("AA") else "BB")
        auth = SipClient.authorization(challenge, "201", self.password)
        self.assertEqual(client.register("201", authorization=auth).status, 401)

    def test_unknown_user_and_wrong_password_look_the_same(self):
        client = self.client()

        def offered(user):
            return [len(v) for v in client.register(user).all("WWW-Authenticate")]
        # An unknown name is challenged like an account of some digest policy, drawn with the
        # accounts' odds (test_peers.py::UnknownNamesTest): one that looks like 201 is there,
        # among a few.
        target = offered("201")
        unknown = next((name for name in (f"99{i}" for i in range(20))
                        if offered(name) == target), None)
        self.assertIsNotNone(unknown, "no unknown name is challenged like account 201")
        shapes = []
        for user, password in (("201", "wrong-password-123456"), (unknown, "whatever-123456")):
            first = client.register(user)
            auth = SipClient.authorization(first.challenge("SHA-256"), user, password)
            second = client.register(user, authorization=auth)
            for response in (first, second):
                self.assertEqual(response.status, 401)
            shapes.append([(r.status, r.reason, r.names(),
                            [len(v) for v in r.all("WWW-Authenticate")]) for r in (first, second)])
        self.assertEqual(shapes[0], shapes[1])

    def test_authenticated_user_cannot_register_another_aor(self):
        client = self.client()
        first = client.register("201", to_user="202")
        auth = SipClient.authorization(first.challenge("SHA-256"), "201", self.password)
        self.assertEqual(client.register("201", to_user="202", authorization=auth).status, 403)

    def test_expires_below_minimum_gets_423_and_above_maximum_is_clamped(self):
        client = self.client()
        response = client.register_with_auth("201", self.password, expires=30)
        self.assertEqual(response.status, 423)
        self.assertEqual(response.get("Min-Expires"), "60")
        response = client.register_with_auth("201", self.password, expires=99999)
        self.assertEqual(response.status, 200)
        mine = [c for c in response.all("Contact") if f":{client.local_port};" in c]
        expires = int(mine[0].split("expires=")[1])
        self.assertLessEqual(expires, 3600)
        self.assertGreater(expires, 3500)

    def test_contacts_are_capped_and_star_removes_all(self):
        client = self.client()
        for i in range(7):
            contact = f"<sip:202@127.0.0.1:{20000 + i}>"
            password = self.deployment.passwords["202"]
            response = client.register_with_auth("202", password, contact=contact)
            self.assertEqual(response.status, 200, response.text)
        contacts = response.all("Contact")
        self.assertEqual(len(contacts), 5)
        # The oldest two were replaced.
        self.assertFalse(any(":20000>" in c or ":20001>" in c for c in contacts))
        response = client.register_with_auth("202", self.deployment.passwords["202"],
                                             contact="*", expires=0)
        self.assertEqual(response.status, 200, response.text)
        self.assertEqual(response.all("Contact"), [])

    def test_foreign_domain_is_refused(self):
        client = self.client()
        response = client.register("201", request_uri="sip:elsewhere.example")
        self.assertEqual(response.status, 403)

    def test_disabled_and_unknown_methods(self):
        client = self.client()
        for method, status in (("OPTIONS", 405), ("MESSAGE", 405), ("FOO", 501)):
            with self.subTest(method=method):
                client.send(
                    f"{method} sip:201@{DOMAIN} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP 127.0.0.1:{client.local_port};branch=z9hG4bK{method}1;rport\r\n"
                    f"From: <sip:x@{DOMAIN}>;tag=1\r\nTo: <sip:201@{DOMAIN}>\r\n"
                    f"Call-ID: m-{method}\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n")
                response = client.receive()
                self.assertEqual(response.status, status)
                self.assertEqual(response.get("Allow"), "REGISTER, INVITE, ACK, BYE, CANCEL")

    def test_retransmission_gets_the_same_response(self):
        """An authenticated REGISTER's transaction answers its retransmission with the same
        bytes. A challenge is stateless (no state for a forgeable source, issue 12 item 6,
        test_attack_amplify.py): the request again gets a new challenge of the same shape."""
        client = self.client()
        first = client.register("201")
        client.send(client.last_request)
        again = client.receive()
        self.assertEqual(again.status, 401)
        self.assertEqual(first.names(), again.names())
        self.assertEqual(len(first.text), len(again.text))
        ok = client.register_with_auth("201", self.password)
        self.assertEqual(ok.status, 200, ok.text)
        client.send(client.last_request)
        self.assertEqual(client.receive().text, ok.text)

    def test_malformed_datagrams_are_answered_or_dropped_and_the_server_keeps_serving(self):
        client = self.client()
        bad_length = (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
                      f"Via: SIP/2.0/UDP 127.0.0.1:{client.local_port};branch=z9hG4bKbad;rport\r\n"
                      f"From: <sip:201@{DOMAIN}>;tag=1\r\nTo: <sip:201@{DOMAIN}>\r\n"
                      "Call-ID: bad-1\r\nCSeq: 1 REGISTER\r\nContent-Length: banana\r\n\r\n")
        client.send(bad_length)
        self.assertEqual(client.receive().status, 400)
        for garbage in (b"\x00\xff" * 100, b"hello", b"SIP/2.0 200 OK\r\n\r\n", b"\r\n\r\n",
                        b"REGISTER sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n"):
            client.send(garbage)
            self.assertTrue(client.nothing_received(0.2), garbage)
        self.assertEqual(client.register("201").status, 401)

    def test_register_over_tcp(self):
        client = self.client("tcp")
        response = client.register_with_auth("201", self.password)
        self.assertEqual(response.status, 200, response.text)
        # Two messages in one segment are framed apart and both answered.
        first = client.last_request.replace("CSeq: 2", "CSeq: 3").replace("branch=", "branch=a")
        second = client.last_request.replace("CSeq: 2", "CSeq: 4").replace("branch=", "branch=b")
        client.send(first + second)
        self.assertEqual([client.receive().status, client.receive().status], [401, 401])


class TcpLimitsTest(unittest.TestCase):
    def test_connections_per_source_and_idle_timeout(self):
        deployment = Deployment(settings={"transport": {
            "max_tcp_connections_per_source": "2", "tcp_idle_timeout": "5"}})
        self.addCleanup(deployment.close)
        deployment.start()
        self.addCleanup(deployment.stop)
        clients = [SipClient(deployment.port, "tcp") for _ in range(3)]
        for client in clients:
            self.addCleanup(client.close)
        # The first two are served; the third is closed at once.
        for client in clients[:2]:
            self.assertEqual(client.register("201").status, 401)
        with self.assertRaises((ConnectionError, OSError)):
            clients[2].register("201")
        # Idle connections are closed after tcp_idle_timeout (swept once a second).
        started = time.monotonic()
        clients[0].sock.settimeout(10)
        self.assertEqual(clients[0].sock.recv(1), b"")
        self.assertGreater(time.monotonic() - started, 3)
        # A new connection is then admitted again.
        fresh = SipClient(deployment.port, "tcp")
        self.addCleanup(fresh.close)
        self.assertEqual(fresh.register("201").status, 401)


class Ipv6Test(unittest.TestCase):
    def test_register_over_ipv6_udp_and_tcp(self):
        port = free_port()
        deployment = Deployment(extra_listen=(f"udp:[::1]:{port}", f"tcp:[::1]:{port}"))
        self.addCleanup(deployment.close)
        password = deployment.add_user("601")
        deployment.start(expect_listening=4)
        self.addCleanup(deployment.stop)
        for transport in ("udp", "tcp"):
            with self.subTest(transport=transport):
                client = SipClient(port, transport, host="::1")
                self.addCleanup(client.close)
                response = client.register_with_auth("601", password)
                self.assertEqual(response.status, 200, response.text)
                self.assertTrue(any(f"[::1]:{client.local_port};" in c
                                    for c in response.all("Contact")))
                if transport == "udp":
                    self.assertIn("received=::1", response.get("Via"))


class DeploymentTest(unittest.TestCase):
    def setUp(self):
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def test_init_modes_and_refusal_to_overwrite(self):
        d = self.deployment
        self.assertEqual(stat.S_IMODE(os.stat(d.dir).st_mode), 0o750)
        self.assertEqual(stat.S_IMODE(os.stat(d.config).st_mode), 0o640)
        self.assertEqual(stat.S_IMODE(os.stat(d.database).st_mode), 0o600)
        with sqlite3.connect(d.database) as db:
            self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        result = run("init", "--dir", d.dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn("already holds a deployment", result.stderr)
        result = run("init", "--dir", d.dir + "-2", "--listen", f"udp:localhost:{d.port}")
        self.assertEqual(result.returncode, 2)
        self.assertFalse(os.path.exists(d.dir + "-2"))

    def test_passwords_are_generated_shown_once_and_never_stored(self):
        d = self.deployment
        password = d.add_user("300", "--name", "Bob", "--group", "dialout")
        self.assertGreaterEqual(len(password), 20)
        listing = run("user", "list", "-c", d.config, check=True).stdout
        self.assertIn("300", listing)
        self.assertIn("dialout", listing)
        self.assertNotIn(password, listing)
        with open(d.database, "rb") as f:
            self.assertNotIn(password.encode(), f.read())
        with sqlite3.connect(d.database) as db:
            dump = "\n".join(db.iterdump())
        self.assertNotIn(password, dump)
        self.assertEqual(run("user", "add", "300", "-c", d.config).returncode, 1)

    def test_weak_passwords_are_refused_with_the_reason(self):
        d = self.deployment
        for weak, reason in (("short1!", "12"), ("password1234", ""),
                             ("xx400-Horse-Battery-Staple", "extension"),
                             (f"{DOMAIN}-Horse-Staple-9", "domain")):
            with self.subTest(weak=weak):
                result = run("user", "add", "400", "-c", d.config, "--password-stdin",
                             input=weak + "\n")
                self.assertEqual(result.returncode, 1)
                self.assertIn(reason, result.stderr)
                self.assertNotIn(weak, result.stderr + result.stdout)
        good = "correct-Horse-battery-Staple-71"
        result = run("user", "add", "400", "-c", d.config, "--password-stdin", input=good + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(good, result.stdout + result.stderr)
        result = run("user", "passwd", "400", "-c", d.config, check=True)
        self.assertRegex(result.stdout, r"password of 400: \S{20,}")
        self.assertEqual(run("user", "remove", "400", "-c", d.config).returncode, 0)
        self.assertEqual(run("user", "remove", "400", "-c", d.config).returncode, 1)

    def test_config_from_environment(self):
        env = dict(os.environ, HARDLINE_CONFIG=self.deployment.config)
        self.assertEqual(run("user", "list", env=env).returncode, 0)

    def test_config_errors_name_file_and_line(self):
        d = self.deployment
        with open(d.config, "a") as f:
            f.write("\n[sip]\n")  # a table defined twice: TOML syntax error
        result = run("serve", "-c", d.config)
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr, r"hardline\.toml:\d+")

    def test_unknown_key_is_an_error(self):
        d = self.deployment
        d.edit({"registrar": {"max_contactz": "3"}})
        result = run("serve", "-c", d.config)
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr, r"hardline\.toml:\d+")
        self.assertIn("max_contactz", result.stderr)

    def test_ok_only_once_the_binding_is_written(self):
        d = self.deployment
        password = d.add_user("700")
        d.start()
        client = SipClient(d.port)
        self.addCleanup(client.close)
        challenge = client.register("700").challenge("SHA-256")
        # Another process holds the database's write lock past the server's busy timeout: the
        # binding cannot be written, so the phone must not hear 200.
        lock = sqlite3.connect(d.database, isolation_level=None)
        self.addCleanup(lock.close)
        lock.execute("BEGIN EXCLUSIVE")
        auth = SipClient.authorization(challenge, "700", password)
        response = client.register("700", authorization=auth, timeout=6)
        lock.execute("ROLLBACK")
        self.assertEqual(response.status, 500, response.text)
        self.assertEqual(response.get("Retry-After"), "5")
        self.assertEqual(response.all("Contact"), [])
        # Once the lock is gone the next REGISTER is written and confirmed.
        response = client.register_with_auth("700", password)
        self.assertEqual(response.status, 200, response.text)
        with sqlite3.connect(d.database) as db:
            self.assertEqual(db.execute("SELECT count(*) FROM bindings WHERE aor = '700'")
                             .fetchone()[0], 1)
        d.stop()

    def test_stops_within_two_seconds_and_bindings_survive_a_restart(self):
        d = self.deployment
        password = d.add_user("500")
        d.start()
        client = SipClient(d.port)
        self.addCleanup(client.close)
        self.assertEqual(client.register_with_auth("500", password).status, 200)
        self.assertLess(d.stop(), 2.0)
        d.start()
        # A REGISTER without Contact asks for the current bindings.
        response = client.register_with_auth("500", password, contact="none")
        self.assertEqual(response.status, 200, response.text)
        self.assertTrue(any(f":{client.local_port};" in c for c in response.all("Contact")))
        d.stop()


if __name__ == "__main__":
    unittest.main()
