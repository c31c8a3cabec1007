"""`hardline ban add|remove|list` through the real binary, as an operator runs it: bans in the
database, security events on stderr, refusals and exit statuses."""
import calendar
import json
import os
import re
import sqlite3
import time
import unittest

from harness import Deployment, run

EVENT = re.compile(r"^\S+ warning security event: (.*)$", re.MULTILINE)


def utc(text):
    """Unix seconds of an ISO 8601 UTC time as `ban` prints it: 2026-11-25T12:00:00Z."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class BanCliTest(unittest.TestCase):
    def setUp(self):
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def ban(self, *args, env=None):
        return run("ban", *args, "-c", self.deployment.config, env=env)

    def listing(self):
        result = self.ban("list")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        return result.stdout.splitlines()

    def json_listing(self):
        result = self.ban("list", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def rows(self):
        with sqlite3.connect(self.deployment.database) as db:
            return db.execute("SELECT network, created_at, until, reason, automatic, repeats "
                              "FROM bans ORDER BY network").fetchall()

    def test_add_list_remove_round_trip(self):
        before = int(time.time())
        result = self.ban("add", "192.0.2.7", "--duration", "2h", "--reason", "svcrack on 5060")
        after = int(time.time())
        self.assertEqual(result.returncode, 0, result.stderr)
        match = re.fullmatch(r"banned 192\.0\.2\.7/32 until (\S+Z) \(2h\)\n", result.stdout)
        self.assertTrue(match, result.stdout)
        until = utc(match.group(1))
        self.assertTrue(before + 7200 <= until <= after + 7200, (before, until, after))
        self.assertEqual(EVENT.findall(result.stderr),
                         [f"ban added 192.0.2.7/32 until {match.group(1)} "
                          "(manual: svcrack on 5060)"])

        lines = self.listing()
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0].split()[:2], ["192.0.2.7/32", match.group(1)])
        # The time left, rounded down: "1h59m" when a second boundary passed since the ban was
        # added (a slow run, e.g. under AddressSanitizer).
        self.assertIn(lines[0].split()[2], ("2h", "1h59m"))
        self.assertRegex(lines[0], r"\bmanual\s+svcrack on 5060$")

        result = self.ban("remove", "192.0.2.7/32", "--reason", "the tester's own box")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "unbanned 192.0.2.7/32\n")
        self.assertEqual(EVENT.findall(result.stderr),
                         [f"ban removed 192.0.2.7/32 (manual until {match.group(1)}: svcrack on "
                          "5060; removed: the tester's own box)"])
        self.assertEqual(self.listing(), [])
        self.assertEqual(self.rows(), [])

    def test_default_duration_is_one_hour_and_adding_again_replaces(self):
        result = self.ban("add", "198.51.100.0/24")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("(1h)", result.stdout)
        self.assertIn("(manual: no reason given)", result.stderr)
        result = self.ban("add", "198.51.100.0/24", "--duration", "1d12h", "--reason", "longer")
        self.assertEqual(result.returncode, 0, result.stderr)
        (row,) = self.rows()
        self.assertEqual(row[0], "198.51.100.0/24")
        self.assertEqual(row[2] - row[1], 36 * 3600)
        self.assertEqual(row[3:], ("longer", 0, 0))

    def test_json_listing(self):
        self.assertEqual(self.ban("add", "203.0.113.5", "--duration", "10m",
                                  "--reason", "scan ☎").returncode, 0)
        self.assertEqual(self.ban("add", "192.0.2.0/28", "--duration", "30s").returncode, 0)
        entries = self.json_listing()
        self.assertEqual([e["network"] for e in entries], ["192.0.2.0/28", "203.0.113.5/32"])
        entry = entries[1]
        self.assertEqual(set(entry), {"network", "created_at", "until", "until_utc", "remaining",
                                      "automatic", "repeats", "reason"})
        self.assertEqual(entry["until"] - entry["created_at"], 600)
        self.assertEqual(utc(entry["until_utc"]), entry["until"])
        self.assertTrue(590 <= entry["remaining"] <= 600, entry)
        self.assertIs(entry["automatic"], False)
        self.assertEqual(entry["repeats"], 0)
        self.assertEqual(entry["reason"], "scan ☎")

    def test_ipv6_network_in_any_spelling(self):
        result = self.ban("add", "2001:DB8:1:2:0::/64", "--reason", "v6 flood")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("banned 2001:db8:1:2::/64 until", result.stdout)
        self.assertIn("security event: ban added 2001:db8:1:2::/64", result.stderr)
        self.assertEqual(self.ban("add", "[2001:db8::9]", "--duration", "1w").returncode, 0)
        self.assertEqual([e["network"] for e in self.json_listing()],
                         ["2001:db8:1:2::/64", "2001:db8::9/128"])
        # An address inside the /64 is not the ban; the network in another spelling is.
        result = self.ban("remove", "2001:db8:1:2::1")
        self.assertEqual(result.returncode, 1)
        self.assertIn("no ban on 2001:db8:1:2::1/128", result.stderr)
        result = self.ban("remove", "2001:db8:1:2:0:0:0:0/64")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([e["network"] for e in self.json_listing()], ["2001:db8::9/128"])

    def test_refusals(self):
        cases = [
            # (arguments, exit status, part of the message)
            (["add", "example.org"], 2, "not an IP address or network"),
            (["add", "192.0.2.300"], 2, "not an IP address or network"),
            (["add", "10.0.0.1/8"], 2, "did you mean 10.0.0.0/8?"),
            (["add", "10.0.0.0/33"], 2, "0 to 32 for IPv4"),
            (["add", "::ffff:192.0.2.7"], 2, "ban 192.0.2.7/32 instead"),
            (["add", "192.0.2.7", "--duration", "10"], 2, "expected a number and a unit"),
            (["add", "192.0.2.7", "--duration", "1y"], 2, "expected a number and a unit"),
            (["add", "192.0.2.7", "--duration", "-1h"], 2, "expected a number and a unit"),
            (["add"], 2, "NETWORK is required"),
            (["add", "0.0.0.0/0"], 1, "refusing to ban 0.0.0.0/0"),
            (["add", "::/0"], 1, "refusing to ban ::/0"),
            (["add", "192.0.2.7", "--duration", "366d"], 1, "at most 365d"),
            (["add", "192.0.2.7", "--duration", "53w"], 1, "at most 365d"),
            (["add", "192.0.2.7", "--duration", "0s"], 1, "must be positive"),
            (["add", "192.0.2.7", "--reason", "x" * 201], 1, "longer than 200"),
            (["add", "192.0.2.7", "--reason", "line\nsecurity event: ban removed 192.0.2.7/32"],
             1, "one log line"),
            (["add", "192.0.2.7", "--reason", "\x1b[2J"], 1, "control characters"),
            (["remove", "not-a-network"], 2, "not an IP address or network"),
            (["remove", "192.0.2.7", "--reason", "a\rb"], 1, "control characters"),
        ]
        for args, status, message in cases:
            with self.subTest(args=args):
                result = self.ban(*args)
                self.assertEqual(result.returncode, status, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertEqual(EVENT.findall(result.stderr), [])
                self.assertEqual(result.stdout, "")
        self.assertEqual(self.rows(), [])
        self.assertEqual(run("ban").returncode, 2)

    def test_no_such_ban(self):
        self.assertEqual(self.ban("add", "192.0.2.0/24").returncode, 0)
        for network in ("198.51.100.1", "192.0.2.7"):  # unknown, and inside a banned network
            with self.subTest(network=network):
                result = self.ban("remove", network)
                self.assertEqual(result.returncode, 1)
                self.assertIn(f"hardline: no ban on {network}/32", result.stderr)
                self.assertEqual(EVENT.findall(result.stderr), [])
        self.assertEqual(len(self.rows()), 1)

    def test_expired_and_automatic_bans_as_the_server_leaves_them(self):
        now = int(time.time())
        with sqlite3.connect(self.deployment.database) as db:
            db.execute("INSERT INTO bans VALUES ('203.0.113.1/32', ?, ?, 'flood', 1, 3)",
                       (now - 600, now - 1))
            db.execute("INSERT INTO bans VALUES ('203.0.113.2/32', ?, ?, 'scanner', 1, 2)",
                       (now - 60, now + 240))
        lines = self.listing()
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^203\.0\.113\.2/32 .* automatic\s+scanner$")
        # An expired ban is no ban: nothing to remove, and its back-off history stays.
        result = self.ban("remove", "203.0.113.1")
        self.assertEqual(result.returncode, 1)
        self.assertIn("no ban on 203.0.113.1/32", result.stderr)
        # A manual ban over an automatic one keeps the automatic repeat count.
        result = self.ban("add", "203.0.113.1", "--reason", "still at it")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.rows()[0][3:], ("still at it", 0, 3))
        result = self.ban("remove", "203.0.113.2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(EVENT.findall(result.stderr)[0],
                         r"^ban removed 203\.0\.113\.2/32 \(automatic until \S+Z: scanner\)$")

    def test_bans_survive_reopening_and_a_server_restart(self):
        self.assertEqual(self.ban("add", "192.0.2.7", "--duration", "1d", "--reason",
                                  "kept").returncode, 0)
        first = self.json_listing()
        self.assertEqual(len(first), 1)
        self.deployment.start()
        self.deployment.stop()
        self.assertEqual([(e["network"], e["until"], e["reason"]) for e in self.json_listing()],
                         [(e["network"], e["until"], e["reason"]) for e in first])

    def test_config_from_environment_and_missing_config(self):
        env = dict(os.environ, HARDLINE_CONFIG=self.deployment.config)
        result = run("ban", "add", "192.0.2.8", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        result = run("ban", "list", env=env)
        self.assertTrue(result.stdout.startswith("192.0.2.8/32 "), result.stdout)
        result = run("ban", "list", "-c", self.deployment.config + ".missing")
        self.assertEqual(result.returncode, 2)
        self.assertIn(".missing", result.stderr)


if __name__ == "__main__":
    unittest.main()
