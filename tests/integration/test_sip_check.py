#!/usr/bin/env python3
"""`hardline sip check` as an operator runs it: verdict lines (the parser's verdict and what the
server does: its answer, or dropped and why), JSON, exit statuses, stdin, -c CONFIG, the RFC 4475
corpus from ../shared/test-data and the project's own torture messages. That the server really
does what `sip check` says is test_attack_wire.py's SipCheckTellsWhatTheServerDoes."""

import csv
import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import Deployment

BIN = os.environ.get("HARDLINE_BIN", "build/hardline")
SHARED = Path(os.environ.get("HARDLINE_SHARED_TEST_DATA", "../shared/test-data"))
OWN = Path(os.environ.get("HARDLINE_TEST_DATA", "tests/data"))
RFC4475 = SHARED / "rfc4475"


# Without -c, the default config file when there is one: these tests want Hardline's defaults.
NO_CONFIG = dict(os.environ, HARDLINE_CONFIG="/nonexistent/hardline.toml")


def check(*args, stdin=None, env=NO_CONFIG):
    return subprocess.run([BIN, "sip", "check", *map(str, args)], input=stdin,
                          capture_output=True, timeout=60, env=env)


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


class Rfc4475Corpus(unittest.TestCase):
    def setUp(self):
        if not (RFC4475 / "messages.tsv").exists():
            print(f"SKIPPED: {RFC4475} not found")
            self.skipTest("RFC 4475 corpus absent")
        self.rows = read_tsv(RFC4475 / "messages.tsv")

    def test_each_file_gets_the_expected_verdict(self):
        self.assertGreaterEqual(len(self.rows), 50)
        for row in self.rows:
            with self.subTest(file=row["filename"]):
                path = RFC4475 / row["filename"]
                r = check(path)
                out = r.stdout.decode()
                self.assertTrue(out.startswith(f"{path}: "), out)
                verdict = out[len(f"{path}: "):]
                if row["expected"] == "valid":
                    self.assertRegex(verdict, r"^ok (request|response) \S+: (answer \d{3} |dropped \()")
                    self.assertEqual(r.returncode, 0)
                else:
                    self.assertRegex(verdict, r"^invalid: (dropped \(|answer [45]\d\d \S)")
                    self.assertEqual(r.returncode, 1)

    def test_all_files_at_once_give_one_line_each(self):
        paths = [RFC4475 / row["filename"] for row in self.rows]
        r = check(*paths)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), len(paths))
        self.assertEqual(r.returncode, 1, "some are invalid, so the status is 1")

    def test_answers_named_by_the_rfc(self):
        expected = {"dat/badvers.dat": "invalid: answer 505 ",
                    "dat/bigcode.dat": "invalid: dropped (a malformed response",
                    "dat/scalarlg.dat": "invalid: dropped (a malformed response",
                    "dat/mismatch02.dat": "invalid: answer 501 ",
                    "dat/wsinv.dat": "ok request INVITE: answer 481 ",
                    "dat/unreason.dat": "ok response 200: dropped (",
                    "dat/esc02.dat": "ok request RE%47IST%45R: answer 501 ",
                    # The server cannot answer these: no valid To or From to echo.
                    "dat/quotbal.dat": "invalid: dropped (malformed",
                    "dat/insuf.dat": "invalid: dropped (malformed"}
        for name, verdict in expected.items():
            with self.subTest(file=name):
                out = check(RFC4475 / name).stdout.decode()
                self.assertIn(f": {verdict}", out)

    def test_answers_of_a_server_with_options(self):
        # RFC 4475 §3.3.2-3.3.3 expect 416 for unknown schemes, §3.3.5 420, §3.1.1.6 and
        # §3.3.11 an answer to OPTIONS: with OPTIONS enabled and the corpus's domain.
        deployment = Deployment(settings={"sip": {
            "domain": '"example.com"',
            "methods": '["REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"]'}})
        self.addCleanup(deployment.close)
        expected = {"dat/unkscm.dat": "answer 416 Unsupported URI Scheme",
                    "dat/novelsc.dat": "answer 416 Unsupported URI Scheme",
                    "dat/bext01.dat": "answer 420 Bad Extension",
                    "dat/lwsdisp.dat": "answer 200 OK", "dat/zeromf.dat": "answer 200 OK",
                    # The user part "user;par=u%40example.net" names no host: example.com.
                    "dat/semiuri.dat": "answer 200 OK"}
        for name, action in expected.items():
            with self.subTest(file=name):
                out = check("-c", deployment.config, RFC4475 / name).stdout.decode()
                self.assertIn(f"ok request OPTIONS: {action} (", out)


class OwnTortureMessages(unittest.TestCase):
    def test_each_file_gets_the_expected_verdict(self):
        rows = read_tsv(OWN / "sip" / "expected.tsv")
        self.assertGreaterEqual(len(rows), 25)
        for row in rows:
            with self.subTest(file=row["file"]):
                path = OWN / "sip" / row["file"]
                out = check(path).stdout.decode()
                parser = "invalid" if row["parser"].startswith("invalid") else row["parser"]
                self.assertTrue(out.startswith(f"{path}: {parser}: {row['server']} "), out)


class Behaviour(unittest.TestCase):
    VALID = (b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
             b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@x\r\n"
             b"CSeq: 5 OPTIONS\r\nContent-Length: 4\r\n\r\nbody")

    def test_stdin(self):
        r = check("-", stdin=self.VALID)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.decode(), "-: ok request OPTIONS: answer 405 Method Not Allowed "
                                            "(a method not enabled in sip.methods)\n")
        # No config: said on stderr, with what is assumed instead.
        self.assertIn("no config", r.stderr.decode())

    def test_json_summary(self):
        r = check("--json", "-", stdin=self.VALID)
        self.assertEqual(r.returncode, 0)
        j = json.loads(r.stdout)
        self.assertEqual(j["file"], "-")
        self.assertTrue(j["valid"])
        self.assertEqual(j["kind"], "request")
        self.assertEqual(j["method"], "OPTIONS")
        self.assertEqual(j["request_uri"], "sip:bob@example.com")
        self.assertEqual(j["call_id"], "c1@x")
        self.assertEqual(j["cseq"], {"number": 5, "method": "OPTIONS"})
        self.assertEqual(j["via_branches"], ["z9hG4bK1"])
        self.assertEqual(j["header_count"], 6)
        self.assertEqual(j["body_length"], 4)
        self.assertEqual(j["answer"], 405)
        self.assertEqual(j["answer_reason"], "Method Not Allowed")
        self.assertEqual(j["route"], "answer")
        self.assertTrue(j["why"])

    def test_json_error_and_non_utf8_bytes(self):
        bad = self.VALID.replace(b"OPTIONS sip", b"OPTIONS sip:\xff\xfe") \
            .replace(b"CSeq: 5", b"CSeq: x")
        r = check("--json", "-", stdin=bad)
        self.assertEqual(r.returncode, 1)
        j = json.loads(r.stdout)
        self.assertFalse(j["valid"])
        # The parser's answer would be 400, but no response can echo a CSeq that does not
        # parse: the server drops it, and says so.
        self.assertEqual(j["answer"], "drop")
        self.assertIn("CSeq", j["why"])
        self.assertTrue(j["error"])
        self.assertTrue(j["reason"])
        j = json.loads(check("--json", "-", stdin=bad.replace(b"CSeq: x", b"CSeq: 5")).stdout)
        self.assertEqual(j["answer"], 400)
        self.assertEqual(j["route"], "answer")

    def test_json_one_line_per_file(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = Path(d) / "a.sip", Path(d) / "b.sip"
            a.write_bytes(self.VALID)
            b.write_bytes(b"SIP/2.0 999 Nope\r\n\r\n")
            r = check("--json", a, b)
            lines = r.stdout.decode().splitlines()
            self.assertEqual(len(lines), 2)
            self.assertTrue(json.loads(lines[0])["valid"])
            self.assertEqual(json.loads(lines[1])["answer"], "drop")
            self.assertEqual(r.returncode, 1)

    def test_oversized_input_is_dropped_and_bounded(self):
        # Over UDP the transport drops a datagram past transport.max_message_size unread.
        big = self.VALID + b"x" * 200_000
        big = big.replace(b"Content-Length: 4\r\n", b"")
        r = check("-", stdin=big)
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid: dropped (a datagram larger than transport.max_message_size",
                      r.stdout.decode())

    def test_the_config_decides(self):
        deployment = Deployment(settings={"transport": {"max_message_size": "1024"}})
        self.addCleanup(deployment.close)
        r = check("-c", deployment.config, "-", stdin=self.VALID)
        self.assertEqual(r.returncode, 0)
        # example.com is not the deployment's domain (hardline.test): no relaying.
        self.assertIn("-: ok request OPTIONS: answer 405 ", r.stdout.decode())
        register = self.VALID.replace(b"OPTIONS", b"REGISTER")
        out = check("-c", deployment.config, "-", stdin=register).stdout.decode()
        self.assertIn("ok request REGISTER: answer 403 Forbidden (", out)
        out = check("-c", deployment.config, "-",
                    stdin=register.replace(b"sip:bob@example.com SIP", b"sip:hardline.test SIP"))
        self.assertIn("ok request REGISTER: answer 401 Unauthorized (", out.stdout.decode())
        out = check("-c", deployment.config, "-", stdin=register + b"x" * 1100).stdout.decode()
        self.assertIn("dropped (a datagram larger than transport.max_message_size", out)
        # -c is an explicit choice: a config that does not load is an error, not the defaults.
        r = check("-c", "/nonexistent/hardline.toml", "-", stdin=self.VALID)
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/hardline.toml", r.stderr.decode())

    def test_missing_file_is_an_io_error(self):
        r = check("/nonexistent/file.sip")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/file.sip", r.stderr.decode())

    def test_usage_errors(self):
        self.assertEqual(subprocess.run([BIN, "sip", "check"], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run([BIN, "bogus"], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run([BIN], capture_output=True).returncode, 2)

    def test_help_explains(self):
        r = subprocess.run([BIN, "--help"], capture_output=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"sip", r.stdout)
        r = subprocess.run([BIN, "sip", "check", "--help"], capture_output=True)
        self.assertEqual(r.returncode, 0)
        for word in (b"--json", b"FILE", b"dropped", b"-c", b"Exit status"):
            self.assertIn(word, r.stdout)


if __name__ == "__main__":
    unittest.main()
