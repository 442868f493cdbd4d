// gso_test.cc — TCP over an interface that takes large segments and leaves
// checksums partial (as AF_PACKET and TAP with virtio-net headers do): whole
// MSS multiples go out as one large segment, the receiver takes them whole,
// and a transfer stays intact, also when large segments are lost.
#include "proto/tcp/tcp_testing.h"

namespace ninet::tcptest {
namespace {

// Gives both hosts' interfaces the offloads (the simulated wire carries
// blocks as they are, flags and all, like a veth).
void offload(TcpSim& s) {
  for (Host* h : {&s.a, &s.b}) {
    MediumCaps& c = h->ip.ifcs()[0]->medium->caps;
    c.gso_max = 65535;
    c.csum_offload = true;
  }
}

// Segments and bytes b's TCP received while 1 MiB went from a to b.
struct Outcome {
  std::string got, want;
  uint64_t segs = 0;  // segments b received
  uint64_t sent = 0;  // segments a sent (a large one counts once)
};

Outcome send_mib(TcpSim& s) {
  Pair p = connect(s);
  Outcome r;
  r.want = random_bytes(1 << 20, 7);
  uint64_t in0 = stat(s.b, "InSegs"), out0 = stat(s.a, "OutSegs");
  size_t at = 0;
  s.run(s.clock.now() + sec(60), [&] {
    feed(s.a, p.client, r.want, at);
    r.got += drain(s.b, p.server);
    return r.got.size() >= r.want.size();
  });
  r.segs = stat(s.b, "InSegs") - in0;
  r.sent = stat(s.a, "OutSegs") - out0;
  return r;
}

TEST(TcpGso, LargeSegmentsWhereTheInterfaceTakesThem) {
  TcpSim s;
  offload(s);
  Outcome r = send_mib(s);
  EXPECT_TRUE(r.got == r.want) << r.got.size();
  // 1 MiB is 725 segments of 1448 bytes: far fewer arrive, each large.
  EXPECT_LT(r.segs, 200u);
  EXPECT_LT(r.sent, 200u);
}

TEST(TcpGso, WireSizedSegmentsWhereItDoesNot) {
  TcpSim s;
  Outcome r = send_mib(s);
  EXPECT_TRUE(r.got == r.want) << r.got.size();
  EXPECT_GE(r.segs, 725u);
  EXPECT_GE(r.sent, 725u);
}

TEST(TcpGso, LostLargeSegmentsAreRecoveredIntact) {
  // The fault medium drops whole large segments (it is told it takes them
  // here); recovery retransmits wire-sized pieces of them.
  TcpSim s("drop=3%,reorder=2%,seed=5", "drop=3%,seed=6");
  offload(s);
  Outcome r = send_mib(s);
  EXPECT_TRUE(r.got == r.want) << r.got.size();
  EXPECT_LT(r.sent, 725u);  // large segments, and their retransmissions
  EXPECT_GT(stat(s.a, "RetransSegs"), 0u);
}

}  // namespace
}  // namespace ninet::tcptest
