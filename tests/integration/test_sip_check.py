#!/usr/bin/env python3
"""`hardline sip check` as an operator runs it: verdict lines, JSON, exit statuses, stdin,
the RFC 4475 corpus from ../shared/test-data and the project's own torture messages."""

import csv
import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

BIN = os.environ.get("HARDLINE_BIN", "build/hardline")
SHARED = Path(os.environ.get("HARDLINE_SHARED_TEST_DATA", "../shared/test-data"))
OWN = Path(os.environ.get("HARDLINE_TEST_DATA", "tests/data"))
RFC4475 = SHARED / "rfc4475"


def check(*args, stdin=None):
    return subprocess.run([BIN, "sip", "check", *map(str, args)], input=stdin,
                          capture_output=True, timeout=60)


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
                    self.assertTrue(verdict.startswith("ok "), verdict)
                    self.assertEqual(r.returncode, 0)
                else:
                    self.assertRegex(verdict, r"^invalid (drop|[45]\d\d) \S")
                    self.assertEqual(r.returncode, 1)

    def test_all_files_at_once_give_one_line_each(self):
        paths = [RFC4475 / row["filename"] for row in self.rows]
        r = check(*paths)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), len(paths))
        self.assertEqual(r.returncode, 1, "some are invalid, so the status is 1")

    def test_answers_named_by_the_rfc(self):
        expected = {"dat/badvers.dat": "invalid 505", "dat/bigcode.dat": "invalid drop",
                    "dat/scalarlg.dat": "invalid drop", "dat/mismatch02.dat": "invalid 501",
                    "dat/wsinv.dat": "ok request INVITE", "dat/unreason.dat": "ok response 200",
                    "dat/esc02.dat": "ok request RE%47IST%45R"}
        for name, verdict in expected.items():
            with self.subTest(file=name):
                out = check(RFC4475 / name).stdout.decode()
                self.assertIn(f": {verdict}", out)


class OwnTortureMessages(unittest.TestCase):
    def test_each_file_gets_the_expected_verdict(self):
        rows = read_tsv(OWN / "sip" / "expected.tsv")
        self.assertGreaterEqual(len(rows), 20)
        for row in rows:
            with self.subTest(file=row["file"]):
                path = OWN / "sip" / row["file"]
                out = check(path).stdout.decode()
                self.assertTrue(out.startswith(f"{path}: {row['verdict']}"), out)


class Behaviour(unittest.TestCase):
    VALID = (b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
             b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@x\r\n"
             b"CSeq: 5 OPTIONS\r\nContent-Length: 4\r\n\r\nbody")

    def test_stdin(self):
        r = check("-", stdin=self.VALID)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.decode(), "-: ok request OPTIONS\n")

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

    def test_json_error_and_non_utf8_bytes(self):
        bad = self.VALID.replace(b"OPTIONS sip", b"OPTIONS sip:\xff\xfe") \
            .replace(b"CSeq: 5", b"CSeq: x")
        r = check("--json", "-", stdin=bad)
        self.assertEqual(r.returncode, 1)
        j = json.loads(r.stdout)
        self.assertFalse(j["valid"])
        self.assertEqual(j["answer"], 400)
        self.assertTrue(j["error"])
        self.assertTrue(j["reason"])

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

    def test_oversized_input_is_513_and_bounded(self):
        big = self.VALID + b"x" * 200_000
        big = big.replace(b"Content-Length: 4\r\n", b"")
        r = check("-", stdin=big)
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid 513", r.stdout.decode())

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
        for word in (b"--json", b"FILE", b"drop", b"Exit status"):
            self.assertIn(word, r.stdout)


if __name__ == "__main__":
    unittest.main()
