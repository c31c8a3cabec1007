"""The README's two set-up commands, checked without installing anything: `make run` installs
only what building and running need (`scripts/bootstrap run`) and builds only the server;
`make test` installs everything and builds everything; and scripts/bootstrap starts and enables
no service (issue 13, items 4 and 5).

scripts/bootstrap runs here against stand-ins for apt-get, dpkg-query, systemctl and sudo that
behave as Debian's do (apt-get asks /usr/sbin/policy-rc.d before "starting" a package's units, as
invoke-rc.d and deb-systemd-invoke do, and "enables" them regardless, as deb-systemd-helper does),
in a mount namespace of its own where /usr/sbin and /run are empty: the host's own policy-rc.d
(container images ship one) and its packages are never touched."""
import os
import shlex
import shutil
import subprocess
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOTSTRAP = os.path.join(ROOT, "scripts", "bootstrap")

# Packages whose Debian packages ship a daemon, and what only tests, sanitizers and benchmarks
# use: none of them belongs in the set that `make run` installs.
TEST_ONLY = {"kamailio", "kamailio-sqlite-modules", "prometheus", "apparmor", "nftables",
             "iptables", "sip-tester", "sipsak", "baresip-core", "sipvicious", "libgtest-dev",
             "libgmock-dev", "googletest", "libbenchmark-dev", "python3", "clang", "clang-14",
             "llvm-14", "clang-format", "clang-tidy"}
DAEMONS = {"kamailio": ["/lib/systemd/system/kamailio.service", "/etc/init.d/kamailio"],
           "prometheus": ["/lib/systemd/system/prometheus.service", "/etc/init.d/prometheus"]}


def package_set(name):
    result = subprocess.run([BOOTSTRAP, "--list", name], capture_output=True, text=True,
                            check=True)
    return result.stdout.split()


STUBS = {
    "dpkg-query": r'''
        import os, sys
        state = os.environ["STUB_STATE"]
        installed = open(os.path.join(state, "installed")).read().split()
        args = sys.argv[1:]
        if args[0] == "-L":
            path = os.path.join(state, "files", args[1])
            if args[1] not in installed:
                sys.exit(1)
            if os.path.exists(path):
                print(open(path).read(), end="")
            sys.exit(0)
        fmt = args[1][len("-f="):] if args[1].startswith("-f=") else args[2]
        names = [a for a in args[1:] if not a.startswith("-") and a != fmt]
        if not names:  # every installed package
            for name in installed:
                print(fmt.replace("${binary:Package}", name)
                         .replace("${db:Status-Status}", "installed").replace("\\n", "\n"), end="")
            sys.exit(0)
        if names[0] not in installed:
            sys.exit(1)
        print("install ok installed", end="")
    ''',
    "apt-get": r'''
        import os, subprocess, sys
        state = os.environ["STUB_STATE"]
        def append(name, line):
            with open(os.path.join(state, name), "a") as f:
                f.write(line + "\n")
        append("calls", "apt-get " + " ".join(sys.argv[1:]))
        if sys.argv[1] != "install":
            sys.exit(0)
        policy = "/usr/sbin/policy-rc.d"
        verdict = (subprocess.run([policy, "kamailio", "start"]).returncode
                   if os.access(policy, os.X_OK) else 0)
        append("calls", f"policy-rc.d kamailio start: {verdict}")
        fail_after = os.environ.get("STUB_APT_FAIL_AFTER")
        for i, package in enumerate(a for a in sys.argv[2:] if not a.startswith("-")):
            if fail_after is not None and i == int(fail_after):
                print(f"E: dpkg was interrupted at {package}", file=sys.stderr)
                sys.exit(100)
            append("installed", package)
            files = os.path.join(state, "files", package)
            for path in (open(files).read().split() if os.path.exists(files) else []):
                if path.startswith("/lib/systemd/system/"):
                    unit = os.path.basename(path)
                    append("enabled", unit)          # deb-systemd-helper enable
                    if verdict != 101:
                        append("active", unit)       # deb-systemd-invoke start
    ''',
    "systemctl": r'''
        import os, sys
        state = os.environ["STUB_STATE"]
        def units(name):
            path = os.path.join(state, name)
            return open(path).read().split() if os.path.exists(path) else []
        def write(name, values):
            with open(os.path.join(state, name), "w") as f:
                f.write("".join(v + "\n" for v in values))
        with open(os.path.join(state, "calls"), "a") as f:
            f.write("systemctl " + " ".join(sys.argv[1:]) + "\n")
        args = [a for a in sys.argv[1:] if not a.startswith("--")]
        verb, unit = args[0], args[-1]
        quiet = "--quiet" in sys.argv
        if verb == "is-enabled":
            print("enabled" if unit in units("enabled") else "disabled")
            sys.exit(0 if unit in units("enabled") else 1)
        if verb == "is-active":
            active = unit in units("active")
            if not quiet:
                print("active" if active else "inactive")
            sys.exit(0 if active else 3)
        if verb == "disable":
            write("enabled", [u for u in units("enabled") if u != unit])
            if "--now" in sys.argv:
                write("active", [u for u in units("active") if u != unit])
            sys.exit(0)
        sys.exit(1)
    ''',
    "sudo": r'''
        import os, sys
        with open(os.path.join(os.environ["STUB_STATE"], "calls"), "a") as f:
            f.write("sudo " + " ".join(sys.argv[1:]) + "\n")
    ''',
}

# Empty /usr/sbin and /run (with /run/systemd/system: "systemd is running") in a mount namespace;
# STUB_POLICY, when set, is put in place as an existing policy-rc.d first.
NAMESPACE = r'''
mount -t tmpfs tmpfs /usr/sbin
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
if [ -n "${STUB_POLICY:-}" ]; then
  cp "$STUB_POLICY" /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
fi
"$@"
code=$?
if [ -e /usr/sbin/policy-rc.d ]; then cp /usr/sbin/policy-rc.d "$STUB_STATE/policy-after"; fi
ls -A /usr/sbin > "$STUB_STATE/sbin-after"
exit $code
'''


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"),
                     "SKIPPED: needs root and unshare (a mount namespace)")
class BootstrapTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hardline-bootstrap-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.chmod(self.tmp, 0o755)
        self.bin = os.path.join(self.tmp, "bin")
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(os.path.join(self.state, "files"))
        os.makedirs(self.bin)
        for name, body in STUBS.items():
            path = os.path.join(self.bin, name)
            with open(path, "w") as f:
                f.write("#!/usr/bin/env python3\n" + textwrap.dedent(body))
            os.chmod(path, 0o755)
        for package, files in DAEMONS.items():
            with open(os.path.join(self.state, "files", package), "w") as f:
                f.write("".join(path + "\n" for path in files))
        # Everything is installed but the two daemons.
        self.set_installed([p for p in package_set("test") if p not in DAEMONS])
        os.chmod(self.state, 0o777)

    def set_installed(self, packages):
        with open(os.path.join(self.state, "installed"), "w") as f:
            f.write("".join(p + "\n" for p in packages))

    def read(self, name):
        path = os.path.join(self.state, name)
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def bootstrap(self, *args, policy=None, fail_after=None, namespace=True, prefix=()):
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "STUB_STATE": self.state,
               "LANG": "C.UTF-8"}
        if policy is not None:
            path = os.path.join(self.tmp, "existing-policy-rc.d")
            with open(path, "w") as f:
                f.write(policy)
            env["STUB_POLICY"] = path
        if fail_after is not None:
            env["STUB_APT_FAIL_AFTER"] = str(fail_after)
        command = [*prefix, BOOTSTRAP, *args]
        if namespace:
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", NAMESPACE,
                       "sh", *command]
        return subprocess.run(command, capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=60)

    def test_services_are_forbidden_during_the_install_and_turned_off_after(self):
        result = self.bootstrap("test")
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        calls = self.read("calls")
        daemons = " ".join(p for p in package_set("test") if p in DAEMONS)
        self.assertIn(f"apt-get install -y -q --no-install-recommends {daemons}\n", calls)
        # invoke-rc.d and deb-systemd-invoke asked the policy during the install: forbidden.
        self.assertIn("policy-rc.d kamailio start: 101", calls)
        # deb-systemd-helper enabled both anyway: bootstrap disabled them again, and says so.
        self.assertIn("systemctl disable --now --quiet kamailio.service", calls)
        self.assertIn("systemctl disable --now --quiet prometheus.service", calls)
        self.assertEqual(self.read("enabled").split(), [])
        self.assertEqual(self.read("active").split(), [])
        self.assertRegex(output, r"disabled .*: (kamailio|prometheus)\.service "
                                 r"(kamailio|prometheus)\.service")
        # The policy was ours, and is gone.
        self.assertEqual(self.read("policy-after"), "")
        self.assertEqual(self.read("sbin-after").split(), [])

    def test_an_existing_policy_is_kept_and_what_it_let_start_is_stopped(self):
        permissive = "#!/bin/sh\n# the host's own\nexit 0\n"
        result = self.bootstrap("test", policy=permissive)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("policy-rc.d kamailio start: 0", self.read("calls"))
        self.assertIn("keeping the existing /usr/sbin/policy-rc.d", output)
        self.assertEqual(self.read("policy-after"), permissive)
        self.assertEqual(self.read("active").split(), [])
        self.assertEqual(self.read("enabled").split(), [])

    def test_a_failed_install_leaves_no_policy_and_no_service(self):
        first = next(p for p in package_set("test") if p in DAEMONS)
        result = self.bootstrap("test", fail_after=1)  # one installed, then apt-get fails
        output = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, output)
        self.assertIn("dpkg was interrupted", output)
        self.assertEqual(self.read("policy-after"), "")
        self.assertEqual(self.read("sbin-after").split(), [])
        self.assertIn(f"systemctl disable --now --quiet {first}.service", self.read("calls"))
        self.assertEqual(self.read("enabled").split(), [])

    def test_a_second_run_installs_nothing_and_says_so(self):
        self.set_installed(package_set("test"))
        result = self.bootstrap("test")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("nothing to install", result.stdout)
        self.assertNotIn("apt-get", self.read("calls"))
        self.assertEqual(self.read("sbin-after").split(), [])

    def test_the_run_set_leaves_the_daemons_out(self):
        result = self.bootstrap("run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"all {len(package_set('run'))} packages of the run set present, nothing "
                      "to install", result.stdout)
        self.assertNotIn("kamailio", self.read("calls"))

    def test_an_ordinary_user_goes_through_sudo(self):
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        result = self.bootstrap("test", namespace=False, prefix=nobody)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("through sudo", result.stdout)
        self.assertIn(f"sudo -- {BOOTSTRAP} test", self.read("calls"))
        self.assertNotIn("apt-get", self.read("calls"))
        # Without sudo it says what to run, and changes nothing.
        os.remove(os.path.join(self.bin, "sudo"))
        if shutil.which("sudo", path="/usr/bin:/bin") is None:
            result = self.bootstrap("test", namespace=False, prefix=nobody)
            self.assertEqual(result.returncode, 1)
            self.assertIn(f"sudo {BOOTSTRAP} test", result.stderr)


class PackageSetsTest(unittest.TestCase):
    def test_run_is_a_subset_of_test_without_peers_or_daemons(self):
        run, test = package_set("run"), package_set("test")
        self.assertTrue(set(run) < set(test), set(run) - set(test))
        self.assertEqual(sorted(set(run) & TEST_ONLY), [])
        self.assertEqual(subprocess.run([BOOTSTRAP, "nonsense"], capture_output=True).returncode,
                         2)

    @unittest.skipUnless(shutil.which("dpkg-query"), "SKIPPED: not a Debian host")
    def test_no_package_of_the_run_set_ships_a_service(self):
        for package in package_set("run"):
            listing = subprocess.run(["dpkg-query", "-L", package], capture_output=True,
                                     text=True)
            if listing.returncode != 0:
                continue  # not installed here: nothing to look at
            with self.subTest(package=package):
                units = [line for line in listing.stdout.splitlines()
                         if "/systemd/system/" in line or line.startswith("/etc/init.d/")]
                self.assertEqual(units, [])


JOBS = 3  # any number: passed as JOBS, and expected back in the commands


def make_commands(target, build):
    """The commands `make -n TARGET` would run, with BUILD=build."""
    result = subprocess.run(["make", "-n", "-C", ROOT, target, f"BUILD={build}", "CI=",
                             f"JOBS={JOBS}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line.strip() for line in result.stdout.splitlines()
            if line.strip() and not line.startswith("make")]


@unittest.skipUnless(shutil.which("make") and shutil.which("cmake") and shutil.which("ninja"),
                     "SKIPPED: needs make, cmake and ninja")
class MakeTargetsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hardline-make-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.build = os.path.join(self.tmp, "build")

    def test_make_run_installs_the_run_set_and_builds_only_the_server(self):
        commands = make_commands("run", self.build)
        self.assertEqual(commands[0], "scripts/bootstrap run")
        builds = [c for c in commands if c.startswith("cmake --build")]
        self.assertEqual(builds, [f"cmake --build {self.build} -j {JOBS} --target hardline"],
                         commands)
        self.assertTrue(commands[-1].endswith("scripts/demo"), commands)
        # Its configure step succeeds without anything only the tests need (as after
        # `scripts/bootstrap run` on a fresh host), and the tree it makes holds the server alone.
        configure = next(c for c in commands if c.startswith("cmake -S"))
        args = shlex.split(configure.replace(">/dev/null", ""))
        args += ["-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON",
                 "-DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON",
                 "-DCMAKE_DISABLE_FIND_PACKAGE_Python3=ON"]
        result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        everything = subprocess.run(["ninja", "-C", self.build, "-n"], capture_output=True,
                                    text=True, check=True).stdout
        server = subprocess.run(["ninja", "-C", self.build, "-n", "hardline"],
                                capture_output=True, text=True, check=True).stdout
        self.assertNotIn("unit_", everything)
        self.assertNotIn("sip_bench", everything)
        self.assertEqual(everything.splitlines()[-1], server.splitlines()[-1])

    def test_make_test_installs_everything_and_builds_everything(self):
        commands = make_commands("test", self.build)
        self.assertEqual(commands[0], "scripts/bootstrap test")
        builds = [c for c in commands if c.startswith("cmake --build")]
        self.assertEqual(builds, [f"cmake --build {self.build} -j {JOBS}"], commands)
        configure = next(c for c in commands if c.startswith("cmake -S"))
        self.assertIn("-DHARDLINE_TESTS=ON", configure)
        self.assertTrue(commands[-1].endswith(f"ctest --output-on-failure -j {JOBS}"), commands)


if __name__ == "__main__":
    unittest.main()
