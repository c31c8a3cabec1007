"""`hardline dialplan check | explain | test | graph` through the real binary, as an operator runs
them: on the dialplans in tests/data/dialplan/ (offline, no database) and on a fresh `hardline
init` deployment with accounts and groups in its database."""
import os
import re
import subprocess
import unittest

from harness import HARDLINE, Deployment, run

DATA = os.environ.get("HARDLINE_TEST_DATA",
                      os.path.join(os.path.dirname(__file__), "..", "data"))
DIALPLANS = os.path.join(DATA, "dialplan")
SECRET = "never-shown-8c1d"  # the trunk password in office.toml


def data(name):
    return os.path.join(DIALPLANS, name)


class OfflineDialplanTest(unittest.TestCase):
    """The tools on config files alone."""

    def dialplan(self, *args):
        result = run("dialplan", *args)
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        self.assertNotIn("4930123456\n", result.stdout)  # the trunk's username
        return result

    def test_check_passes_a_good_dialplan_with_an_include(self):
        result = self.dialplan("check", "-c", data("office.toml"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"7 rules, 1 trunks, 2 source categories: 0 errors, "
                                        r"0 warnings\n$")
        self.assertIn("accounts and groups unknown", result.stderr)

    def test_check_reports_shadowed_rules_and_empty_patterns_with_lines(self):
        result = self.dialplan("check", "-c", data("shadowed.toml"))
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        lines = [line for line in result.stdout.splitlines() if ": error: " in line]
        self.assertEqual(len(lines), 2, result.stdout)
        self.assertRegex(lines[0], r"shadowed\.toml:14: error: rule 'national' can never decide "
                                   r"a call: .* rule 'outside' \(line 8\)")
        self.assertRegex(lines[1], r"shadowed\.toml:20: error: rule 'never' can never match")
        self.assertNotIn("'fine'", result.stdout)
        self.assertIn("2 errors, 0 warnings", result.stdout)

    def test_check_refuses_a_trunk_rule_that_does_not_say_who_may_use_it(self):
        result = self.dialplan("check", "-c", data("unrestricted-trunk.toml"))
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"unrestricted-trunk\.toml:9: rule 'everyone-out' sends "
                                        r"calls to trunk 'provider' without saying who may use it")
        self.assertIn('groups = ["dialout"]', result.stderr)  # the fix

    def test_errors_in_an_included_file_name_that_file(self):
        result = self.dialplan("check", "-c", data("bad-include.toml"))
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"bad-include-rules\.toml:8: rule 'out' sends calls to "
                                        r"trunk 'provder', which is not defined")

    def test_check_of_a_missing_file_is_a_usage_error(self):
        result = self.dialplan("check", "-c", data("missing.toml"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("no such file", result.stderr)

    def test_test_passes_the_cases_that_hold(self):
        result = self.dialplan("test", data("office-cases.toml"), "-c", data("office.toml"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout, "10 cases, 10 passed, 0 failed\n")

    def test_test_prints_each_failing_case_with_expected_and_actual(self):
        result = self.dialplan("test", data("office-cases-failing.toml"), "-c",
                               data("office.toml"))
        self.assertEqual(result.returncode, 1)
        failures = re.findall(r"office-cases-failing\.toml:(\d+): FAIL number (\S+): expected "
                              r"(.*), got (.*)", result.stdout)
        self.assertEqual(failures, [
            ("4", "1001", "local 1001", "reject 404 Not Found"),
            ("9", "0049301234567", "reject 403", "trunk provider +49301234567"),
            ("14", "09001234", "trunk provider 09001234",
             "reject 403 Premium-rate numbers are barred"),
        ])
        self.assertIn("3 cases, 0 passed, 3 failed", result.stdout)

    def test_test_file_mistakes_are_reported_with_their_line(self):
        path = os.path.join(self.tmp(), "cases.toml")
        with open(path, "w") as f:
            f.write('[[case]]\nnumber = "1"\nexpect = "ring"\n')
        result = self.dialplan("test", path, "-c", data("office.toml"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("cases.toml:3: expect must be", result.stderr)
        result = self.dialplan("test", os.path.join(self.tmp(), "none.toml"), "-c",
                               data("office.toml"))
        self.assertEqual(result.returncode, 2)

    def tmp(self):
        import tempfile
        path = tempfile.mkdtemp(prefix="hardline-dialplan-")
        self.addCleanup(lambda: __import__("shutil").rmtree(path, ignore_errors=True))
        return path

    def test_explain_shows_every_rule_tried_and_the_result(self):
        result = self.dialplan("explain", "+33 1 23 45 67 89", "--from", "1000", "--group",
                               "dialout", "--time", "Mon 14:30", "-c", data("office.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        self.assertIn("caller:    account 1000 (groups dialout)", out)
        self.assertIn("time:      Mon 14:30", out)
        tried = re.findall(r"^rule (\d) '([a-z-]+)' \(.*office-rules\.toml:\d+\): (passed over|"
                           r"decides)", out, re.MULTILINE)
        self.assertEqual(tried, [("1", "internal", "passed over"),
                                 ("2", "emergency", "passed over"),
                                 ("3", "premium", "passed over"),
                                 ("4", "international", "decides")])
        self.assertIn("normalised: 0033123456789 (national form (country code 49", out)
        self.assertIn("result: trunk provider +33123456789 (rule 'international'), at most "
                      "3600 s", out)
        # The own country's numbers, written internationally, are national calls.
        result = self.dialplan("explain", "0049301234567", "--from", "1000", "--group",
                               "dialout", "--time", "Mon 14:30", "-c", data("office.toml"))
        self.assertIn("result: trunk provider +49301234567 (rule 'national')", result.stdout)

    def test_explain_takes_one_group_per_option_so_the_number_may_follow(self):
        result = self.dialplan("explain", "--from", "1000", "--group", "dialout", "--group",
                               "sales", "0033123456789", "-c", data("office.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("caller:    account 1000 (groups dialout, sales)", result.stdout)
        self.assertIn("result: trunk provider +33123456789", result.stdout)

    def test_explain_says_why_a_rule_was_passed_over(self):
        result = self.dialplan("explain", "030123456", "--from", "1000", "--group", "dialout",
                               "--time", "Sun 11:00", "-c", data("office.toml"))
        self.assertIn("Sun 11:00 is outside times", result.stdout)
        self.assertIn("result: reject 403 Outside calls need the dialout group", result.stdout)
        result = self.dialplan("explain", "112", "--source", "192.0.2.7", "-c",
                               data("office.toml"))
        self.assertIn("callers does not admit the caller (anonymous caller)", result.stdout)
        self.assertIn("result: reject 403 Forbidden", result.stdout)

    def test_explain_recognises_a_trunk_by_its_source_address(self):
        result = self.dialplan("explain", "+4930123455", "--source", "2001:db8:5::9",
                               "--transport", "tls", "-c", data("office.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("caller:    trunk provider (recognised by its source address)",
                      result.stdout)
        self.assertIn("rule 7 'did'", result.stdout)
        # No account 1055 exists offline: the rule decides and refuses.
        self.assertIn("is no local account: reject 404", result.stdout)

    def test_explain_refuses_bad_input_clearly(self):
        cases = [
            (["--time", "Funday 25:00"], "--time"),
            (["--transport", "sctp"], "--transport"),
            (["--source", "10.0.0"], "--source"),
            (["--group", "dialout"], "--group needs --from"),
        ]
        for extra, says in cases:
            result = self.dialplan("explain", "1000", "-c", data("office.toml"), *extra)
            self.assertEqual(result.returncode, 2, extra)
            self.assertIn(says, result.stderr)
            self.assertNotIn("Traceback", result.stderr)

    def test_explain_survives_hostile_numbers(self):
        for number in ["", "x" * 5000, "1\x1b[2J", "%00", "' OR 1=1 --", "\u00e9\u00e9",
                       "1\nresult: local 1000"]:
            result = self.dialplan("explain", number, "--from", "1000", "-c", data("office.toml"))
            self.assertIn(result.returncode, (0, 2), number)
            self.assertNotIn("\x1b", result.stdout)
            if result.returncode == 0:
                self.assertEqual(len(re.findall("^result: ", result.stdout, re.MULTILINE)), 1)

    # Issue 13: the smaller dialplan findings, through the real binary.

    def write(self, name, text):
        path = os.path.join(self.tmp(), name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def config_with_rule(self, match_line):
        return self.write("hardline.toml", (
            '[sip]\ndomain = "pbx.example.org"\nlisten = ["udp:127.0.0.1:5060"]\n\n'
            '[store]\ndatabase = "none.db"\n\n'
            '[[dialplan.rule]]\nname = "national"\n' + match_line + '\naction = "reject"\n'))

    def test_check_refuses_an_unclosed_repeat_at_its_column(self):
        # RE2 reads '{5,13' as literal text: the rule would match no number, silently.
        config = self.config_with_rule("match = '0[1-9][0-9]{5,13'")
        result = self.dialplan("check", "-c", config)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("hardline.toml:10:21: dialplan.rule.match '0[1-9][0-9]{5,13' is not a "
                      "valid pattern: the '{' at column 12 of the pattern begins a repeat that "
                      "is never closed", result.stderr)
        self.assertIn("close it, e.g. {5,13}", result.stderr)
        for match, column, says in [
                ("'[0-9'", 10, "'[' at column 1 of the pattern opens a class"),
                ("'(0[0-9]+'", 10, "'(' at column 1 of the pattern opens a group"),
                ("'0[0-9]+)'", 17, "')' at column 8 of the pattern closes no")]:
            result = self.dialplan("check", "-c", self.config_with_rule("match = " + match))
            self.assertEqual(result.returncode, 1, match)
            self.assertIn(f"hardline.toml:10:{column}: ", result.stderr)
            self.assertIn(says, result.stderr)
        # Closed, it is fine.
        result = self.dialplan("check", "-c", self.config_with_rule("match = '0[1-9][0-9]{5,13}'"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_check_warns_about_a_pattern_for_characters_no_number_has(self):
        config = self.config_with_rule(r"match = '0[1-9][0-9]\{5,13\}'")
        result = self.dialplan("check", "-c", config)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"hardline\.toml:8: warning: rule 'national' can never "
                                        r"match a dialled number: .* \('\{' in '0\d{2}\{5,13\}'\)")
        self.assertIn("0 errors, 1 warnings", result.stdout)

    def test_a_backslash_in_double_quotes_gets_the_single_quote_hint(self):
        config = self.config_with_rule('match = "\\d{3}"')
        result = self.dialplan("check", "-c", config)
        self.assertEqual(result.returncode, 1)
        self.assertIn("hardline.toml:10:", result.stderr)
        self.assertIn("unknown escape sequence", result.stderr)
        self.assertIn("in single quotes, which keep them as written, e.g. match = '\\d{3}'",
                      result.stderr)
        self.assertNotIn("strings need", result.stderr)

    def test_check_warns_about_a_trunk_with_sources_that_no_rule_admits(self):
        result = self.dialplan("check", "-c", data("no-inbound.toml"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"no-inbound\.toml:10: warning: trunk 'provider' has "
                                        r"sources, .* but no rule admits it: every call it "
                                        r"delivers is refused \(404\); add a rule .* "
                                        r"callers = \[\"trunk:provider\"\]")
        self.assertIn("0 errors, 1 warnings", result.stdout)
        # office.toml has a rule for its provider: no such warning.
        result = self.dialplan("check", "-c", data("office.toml"))
        self.assertNotIn("no rule admits it", result.stdout)

    def test_explain_says_no_rule_admits_the_trunk_rather_than_blame_the_number(self):
        result = self.dialplan("explain", "202", "--source", "198.51.100.7", "-c",
                               data("no-inbound.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("caller:    trunk provider (recognised by its source address)",
                      result.stdout)
        self.assertIn("none admits calls from trunk provider", result.stdout)
        self.assertIn('callers = ["trunk:provider"]', result.stdout)
        self.assertNotIn("is none", result.stdout)
        self.assertNotIn("is no local account", result.stdout)
        self.assertIn("result: reject 404 Not Found", result.stdout)
        # With a rule for the trunk that does not match this number, that is the reason.
        result = self.dialplan("explain", "+4930999999", "--source", "2001:db8:5::9", "-c",
                               data("office.toml"))
        self.assertIn("no rule that admits trunk provider matches", result.stdout)

    def test_explain_from_without_a_database_is_taken_as_given_with_a_note(self):
        result = self.dialplan("explain", "1001", "--from", "999", "-c", data("office.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("account 999 is taken as given", result.stderr)

    def test_help_advertises_only_what_exists(self):
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        self.assertNotRegex(result.stdout, r"\((registrar[^)]*)(media relay|voicemail)")
        self.assertIn("No media relay or voicemail yet", result.stdout)

    def test_graph_in_every_format(self):
        mermaid = self.dialplan("graph", "--format", "mermaid", "-c", data("office.toml"))
        self.assertEqual(mermaid.returncode, 0, mermaid.stderr)
        self.assertTrue(mermaid.stdout.startswith("flowchart TD\n"))
        self.assertEqual(len(re.findall(r"^  r\d+\{", mermaid.stdout, re.MULTILINE)), 7)
        self.assertIn("default", mermaid.stdout)
        dot = self.dialplan("graph", "--format", "dot", "-c", data("office.toml"))
        self.assertTrue(dot.stdout.startswith("digraph dialplan {"))
        self.assertTrue(dot.stdout.rstrip().endswith("}"))
        table = self.dialplan("graph", "--format", "table", "-c", data("office.toml"))
        rows = [line for line in table.stdout.splitlines() if line.startswith("| ")]
        self.assertEqual(len(rows), 1 + 7 + 2)  # header, rules, the default's two rows
        self.assertIn("| 4 | international | `00([1-9][0-9]{6,14})` | accounts in dialout | "
                      "trunk provider +$1 (2 at once, 10/hour, 3600 s max) |", table.stdout)
        bad = self.dialplan("graph", "--format", "svg", "-c", data("office.toml"))
        self.assertEqual(bad.returncode, 2)
        self.assertIn("use mermaid, dot or table", bad.stderr)

    def test_every_subcommand_explains_itself(self):
        for sub in ["check", "explain", "test", "graph"]:
            result = run("dialplan", sub, "--help")
            self.assertEqual(result.returncode, 0, sub)
            self.assertGreater(len(result.stdout), 300, sub)
        result = run("dialplan")
        self.assertEqual(result.returncode, 2)


class DeploymentDialplanTest(unittest.TestCase):
    """The example dialplan `hardline init` writes, with accounts and groups in the database."""

    def setUp(self):
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def test_init_writes_an_example_that_checks_and_routes_as_documented(self):
        config = self.deployment.config
        self.assertTrue(os.path.exists(os.path.join(self.deployment.dir, "dialplan.toml")))
        self.assertEqual(os.stat(os.path.join(self.deployment.dir, "dialplan.toml")).st_mode
                         & 0o777, 0o640)
        check = run("dialplan", "check", "-c", config)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        # No account is in dialout yet: a warning, not an error.
        self.assertIn("names group 'dialout', which no account is in yet", check.stdout)
        self.assertIn("0 errors, 2 warnings", check.stdout)

        self.deployment.add_user("1000", "--display-name", "Alice")
        self.deployment.add_user("1001")
        groups = run("user", "groups", "1000", "--set", "dialout,sales", "-c", config)
        self.assertEqual(groups.returncode, 0, groups.stderr)
        self.assertEqual(groups.stdout, "groups of 1000: dialout,sales\n")
        listing = run("user", "list", "-c", config)
        self.assertRegex(listing.stdout, r"1000\s+Alice\s+any\s+dialout,sales\n")
        check = run("dialplan", "check", "-c", config)
        self.assertEqual(check.returncode, 0)
        self.assertIn("0 errors, 0 warnings", check.stdout)

        def explain(number, caller):
            result = run("dialplan", "explain", number, "--from", caller, "--time",
                         "Wed 10:00", "-c", config)
            self.assertEqual(result.returncode, 0, result.stderr)
            return re.search(r"^result: (.*)$", result.stdout, re.MULTILINE).group(1)

        self.assertEqual(explain("1001", "1000"), "local 1001 (rule 'internal')")
        # Numbers are normalised first (country_code = "49"): 0049 30... is a national call.
        self.assertEqual(explain("0049301234567", "1000"),
                         "trunk provider 0301234567 (rule 'national'), at most 7200 s")
        self.assertEqual(explain("+33123456789", "1000"),
                         "trunk provider +33123456789 (rule 'international'), at most 3600 s")
        self.assertEqual(explain("+49900123456", "1000"),
                         "reject 403 Premium-rate numbers are barred (rule 'premium')")
        self.assertEqual(explain("030123456", "1000"),
                         "trunk provider 030123456 (rule 'national'), at most 7200 s")
        self.assertEqual(explain("0049301234567", "1001"),
                         "reject 403 Outside calls need the dialout group (rule 'no-dialout')")
        self.assertEqual(explain("09001234567", "1000"),
                         "reject 403 Premium-rate numbers are barred (rule 'premium')")
        self.assertEqual(explain("00881123456", "1000"),
                         "reject 403 Premium-rate numbers are barred (rule 'premium')")
        self.assertEqual(explain("1999", "1000"), "reject 404 Not Found (rule 'internal')")

    def test_explain_from_an_account_that_does_not_exist_is_an_error(self):
        config = self.deployment.config
        self.deployment.add_user("1000")
        result = run("dialplan", "explain", "1001", "--from", "999", "-c", config)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("--from 999: there is no account 999 in ", result.stderr)
        self.assertIn("hardline user add 999", result.stderr)
        self.assertEqual(result.stdout, "")
        # A hostile name is refused without its control bytes reaching the terminal.
        result = run("dialplan", "explain", "1001", "--from", "9\x1b[2J9", "-c", config)
        self.assertEqual(result.returncode, 2)
        self.assertNotIn("\x1b", result.stderr)
        self.assertIn("--from 9?[2J9: there is no account", result.stderr)
        # --group does not make it exist either.
        result = run("dialplan", "explain", "1001", "--from", "999", "--group", "dialout", "-c",
                     config)
        self.assertEqual(result.returncode, 2)
        # An account that exists is explained.
        result = run("dialplan", "explain", "1001", "--from", "1000", "-c", config)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("caller:    account 1000", result.stdout)

    def test_serve_refuses_a_dialplan_that_check_rejects_with_the_same_messages(self):
        config = self.deployment.config
        # Shadowed by the example's 'internal' rule ([1-9][0-9]{2,3}, for every account).
        with open(os.path.join(self.deployment.dir, "dialplan.toml"), "a") as f:
            f.write('\n[[dialplan.rule]]\nname = "extensions"\nmatch = \'1[0-9]{3}\'\n'
                    'action = "local"\n')
        check = run("dialplan", "check", "-c", config)
        self.assertEqual(check.returncode, 1, check.stdout + check.stderr)
        errors = [line for line in check.stdout.splitlines() if ": error: " in line]
        self.assertEqual(len(errors), 1, check.stdout)
        self.assertIn("rule 'extensions' can never decide a call", errors[0])
        serve = subprocess.run([HARDLINE, "serve", "-c", config], capture_output=True, text=True,
                               timeout=30)
        self.assertEqual(serve.returncode, 2, serve.stderr)
        self.assertIn(errors[0], serve.stderr)
        self.assertIn("not starting: 1 dialplan error(s) above", serve.stderr)
        self.assertIn("exit status 2: the dialplan has errors", serve.stderr)
        self.assertNotIn("listening on", serve.stderr)
        # Fixed, it serves.
        with open(os.path.join(self.deployment.dir, "dialplan.toml")) as f:
            text = f.read()
        with open(os.path.join(self.deployment.dir, "dialplan.toml"), "w") as f:
            f.write(text.replace("match = '1[0-9]{3}'", "match = '1[0-9]{5}'"))
        self.assertEqual(run("dialplan", "check", "-c", config).returncode, 0)
        self.deployment.start()
        self.deployment.stop()

    def test_user_groups_refuses_bad_names_and_unknown_accounts(self):
        config = self.deployment.config
        self.deployment.add_user("1000")
        bad = run("user", "groups", "1000", "--set", "dial out", "-c", config)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("invalid group", bad.stderr)
        missing = run("user", "groups", "1999", "--set", "dialout", "-c", config)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no extension 1999", missing.stderr)
        cleared = run("user", "groups", "1000", "--set", "", "-c", config)
        self.assertEqual(cleared.returncode, 0, cleared.stderr)
        self.assertEqual(cleared.stdout, "groups of 1000: (none)\n")


if __name__ == "__main__":
    unittest.main()
