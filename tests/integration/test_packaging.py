"""packaging/ checked with the tools that will load it: the nftables ruleset parses (`nft -c`
inside a network namespace of the test's own), the AppArmor profile parses, the systemd units
pass `systemd-analyze verify`, and the service's exposure (`systemd-analyze security
--offline=true`) is at or below the figure docs/operations.md gives."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGING = os.path.join(ROOT, "packaging")
NFT_FILE = os.path.join(PACKAGING, "nftables", "hardline.nft")
PROFILE = os.path.join(PACKAGING, "apparmor", "usr.bin.hardline")
UNITS = [os.path.join(PACKAGING, name)
         for name in ("hardline.service", "hardline-audit.service", "hardline-audit.timer",
                      "hardline-backup.service", "hardline-backup.timer")]
OPERATIONS = os.path.join(ROOT, "docs", "operations.md")


def tool(name):
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None)


class NftablesTest(unittest.TestCase):
    @unittest.skipUnless(os.geteuid() == 0 and tool("ip") and tool("nft"),
                         "SKIPPED: needs root, ip and nft")
    def test_ruleset_parses_and_loads_in_a_namespace(self):
        netns = f"hlpkg-{os.getpid()}"
        created = subprocess.run([tool("ip"), "netns", "add", netns], capture_output=True,
                                 text=True)
        if created.returncode != 0:
            self.skipTest(f"SKIPPED: ip netns add failed: {created.stderr.strip()}")
        self.addCleanup(subprocess.run, [tool("ip"), "netns", "delete", netns])
        nft = [tool("ip"), "netns", "exec", netns, tool("nft")]
        check = subprocess.run([*nft, "-c", "-f", NFT_FILE], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)
        load = subprocess.run([*nft, "-f", NFT_FILE], capture_output=True, text=True)
        self.assertEqual(load.returncode, 0, load.stderr)
        listing = subprocess.run([*nft, "list", "ruleset"], capture_output=True, text=True).stdout
        self.assertIn("table inet hardline", listing)
        self.assertRegex(listing, r"type filter hook input priority filter; policy drop;")
        # A typo in the file would be caught the same way.
        broken = subprocess.run([*nft, "-c", "-f", "-"], input="table inet x { chain y { junk } }",
                                capture_output=True, text=True)
        self.assertNotEqual(broken.returncode, 0)


@unittest.skipUnless(tool("apparmor_parser"), "SKIPPED: apparmor_parser is not installed")
class AppArmorTest(unittest.TestCase):
    def parse(self, path):
        # -Q: parse and compile, never load; -K: no kernel feature cache (works without
        # AppArmor in the kernel, e.g. in a container).
        return subprocess.run([tool("apparmor_parser"), "-Q", "-K", path], capture_output=True,
                              text=True)

    def test_profile_parses(self):
        result = self.parse(PROFILE)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_broken_profile_is_refused(self):
        with tempfile.NamedTemporaryFile("w", suffix=".profile") as broken:
            with open(PROFILE) as f:
                broken.write(f.read().replace("capability setuid,", "capability setuid"))
            broken.flush()
            self.assertNotEqual(self.parse(broken.name).returncode, 0)


@unittest.skipUnless(tool("systemd-analyze"), "SKIPPED: systemd-analyze is not installed")
class SystemdTest(unittest.TestCase):
    def test_units_verify(self):
        result = subprocess.run([tool("systemd-analyze"), "verify", *UNITS], capture_output=True,
                                text=True)
        # Outside an installed system /usr/bin/hardline is missing; nothing else may be said.
        lines = [line for line in (result.stdout + result.stderr).splitlines()
                 if line.strip() and
                 "Command /usr/bin/hardline is not executable" not in line]
        self.assertEqual(lines, [])

    def test_exposure_is_at_most_the_documented_one(self):
        with open(OPERATIONS) as f:
            documented = re.search(r"Overall exposure level for hardline\.service: ([0-9.]+)",
                                   f.read())
        self.assertIsNotNone(documented, "docs/operations.md gives no exposure level")
        result = subprocess.run([tool("systemd-analyze"), "security", "--offline=true",
                                 UNITS[0]], capture_output=True, text=True)
        measured = re.search(r"Overall exposure level for hardline\.service: ([0-9.]+)",
                             result.stdout + result.stderr)
        if measured is None:
            self.skipTest(f"SKIPPED: systemd-analyze security --offline=true gave no level: "
                          f"{result.stderr.strip()}")
        self.assertLessEqual(float(measured.group(1)), float(documented.group(1)))

    def test_service_sandbox_options(self):
        with open(UNITS[0]) as f:
            unit = f.read()
        for line in ["User=hardline", "Group=hardline", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                     "PrivateDevices=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                     "SystemCallFilter=@system-service", "ReadWritePaths=/var/lib/hardline",
                     "LimitNOFILE=65536", "LimitCORE=0",
                     "ExecStart=/usr/bin/hardline serve -c /etc/hardline/hardline.toml"]:
            self.assertIn(line + "\n", unit)

    def test_service_waits_for_ready_feeds_a_watchdog_and_restarts(self):
        with open(UNITS[0]) as f:
            unit = f.read()
        for line in ["Type=notify", "NotifyAccess=main", "WatchdogSec=30", "Restart=on-failure"]:
            self.assertIn(line + "\n", unit)
        self.assertNotIn("Type=simple", unit)


if __name__ == "__main__":
    unittest.main()
