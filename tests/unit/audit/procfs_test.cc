#include "audit/procfs.h"

#include <gtest/gtest.h>

namespace hardline::audit {
namespace {

IpAddress address(const char* text) {
  return parse_ip_address(text).value_or(IpAddress{});
}

TEST(ProcNet, ListeningTcpSocketsOnly) {
  // Captured from /proc/net/tcp: 127.0.0.1:5060 LISTEN, 0.0.0.0:22 LISTEN, one established.
  const char* text =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 0100007F:13C4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 41234 1 0000000000000000 100 0 0 10 0\n"
      "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 1111 1 0000000000000000 100 0 0 10 0\n"
      "   2: 0100007F:13C4 0100007F:A2B0 01 00000000:00000000 00:00000000 00000000     0        "
      "0 2222 1 0000000000000000 20 4 30 10 -1\n";
  const std::vector<SocketEntry> expected = {
      {Protocol::kTcp, address("127.0.0.1"), 5060, 41234},
      {Protocol::kTcp, address("0.0.0.0"), 22, 1111},
  };
  EXPECT_EQ(parse_proc_net(text, Protocol::kTcp, false), expected);
}

TEST(ProcNet, UdpBoundAndUnconnectedIpv6) {
  // udp6: [::1]:5060 unconnected (07), [::]:5353 unconnected, one connected (remote set).
  const char* text =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
      "  10: 00000000000000000000000001000000:13C4 00000000000000000000000000000000:0000 07 "
      "00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0\n"
      "  11: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 "
      "00000000:00000000 00:00000000 00000000   104        0 888 2 0000000000000000 0\n"
      "  12: 00000000000000000000000001000000:9C40 00000000000000000000000001000000:13C4 01 "
      "00000000:00000000 00:00000000 00000000     0        0 999 2 0000000000000000 0\n";
  const std::vector<SocketEntry> expected = {
      {Protocol::kUdp, address("::1"), 5060, 777},
      {Protocol::kUdp, address("::"), 5353, 888},
  };
  EXPECT_EQ(parse_proc_net(text, Protocol::kUdp, true), expected);
}

TEST(ProcNet, GarbageIsSkipped) {
  const char* cases[] = {"",
                         "\n\n",
                         "0: x y z",
                         "   0: 0100007F:FFFFF 00000000:0000 0A a b c d e 5\n",
                         "   0: 0100007G:13C4 00000000:0000 0A a b c d e 5\n",
                         "   0: 0100007F:13C4 00000000:0000 0A a b c d e notanumber\n"};
  for (const char* text : cases) {
    EXPECT_TRUE(parse_proc_net(text, Protocol::kTcp, false).empty()) << text;
  }
}

TEST(ProcStatus, SandboxedServer) {
  const char* text =
      "Name:\thardline\nUmask:\t0027\nState:\tS (sleeping)\nUid:\t0\t998\t998\t998\n"
      "Gid:\t0\t997\t997\t997\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
      "CapEff:\t0000000000000400\nCapBnd:\t0000000000000400\nNoNewPrivs:\t1\nSeccomp:\t2\n"
      "Seccomp_filters:\t1\n";
  ProcessStatus status = parse_proc_status(text);
  EXPECT_TRUE(status.complete);
  EXPECT_EQ(status.uid, 998U);  // the effective one, second column
  EXPECT_EQ(status.gid, 997U);
  EXPECT_EQ(status.cap_effective, 0x400U);
  EXPECT_TRUE(status.no_new_privs);
  EXPECT_EQ(status.seccomp, 2U);
}

TEST(ProcStatus, IncompleteWhenFieldsAreMissing) {
  EXPECT_FALSE(parse_proc_status("Name:\tx\nUid:\t0\t0\t0\t0\n").complete);
  EXPECT_FALSE(parse_proc_status("").complete);
  EXPECT_FALSE(parse_proc_status("Seccomp:\t7\n").complete);
}

TEST(ProcLimits, SoftLimitsAndUnlimited) {
  const char* text =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max core file size        0                    0                    bytes     \n"
      "Max processes             64                   64                   processes \n"
      "Max open files            65536                65536                files     \n"
      "Max address space         unlimited            unlimited            bytes     \n";
  ProcessLimits limits = parse_proc_limits(text);
  EXPECT_EQ(limits.core_bytes, 0U);
  EXPECT_EQ(limits.processes, 64U);
  EXPECT_EQ(limits.open_files, 65536U);
  EXPECT_EQ(limits.address_space_bytes, kUnlimited);
}

}  // namespace
}  // namespace hardline::audit
