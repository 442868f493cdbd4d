// ip(3)'s tcpporthogdefense: with it on, keepalives carry a sequence number
// at random; a peer that keeps state answers them as any keepalive and the
// connection stays, while a stateless one (a port hog) acknowledges the
// random number and the connection is shut down.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "proto/tcp/tcb.h"
#include "proto/tcp/tcp_testing.h"

namespace ninet::tcp {
namespace {

using tcptest::connect;
using tcptest::forged;
using tcptest::frame_tcp;
using tcptest::Pair;
using tcptest::stat;
using tcptest::state;
using tcptest::TcpSim;

void ctl(TcpSim& s, Conv* c, const std::string& msg) {
  ASSERT_TRUE(tcptest::tcp(s.a).ctl_message(*c, msg, s.a.l, nullptr).ok()) << msg;
}

// Runs a's timers alone until a sends a segment; returns what it sent
// (left on the wire for s.run to deliver, or for the test to drop).
std::vector<wire::TcpRepr> next_from_a(TcpSim& s) {
  std::vector<wire::TcpRepr> out;
  for (int i = 0; i < 1000 && out.empty(); i++) {
    s.clock.set(std::max(s.a.ip.timers.next(), s.clock.now() + 1));
    s.a.ip.tick();
    s.a.ip.flush();
    out = tcptest::tcp_sent(s.a);
  }
  return out;
}

TEST(PortHog, KeepalivesCarryARandomSequenceNumberAndALivePeerAnswers) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  Tcb* t = TcpProto::tcb(*p.client);
  ctl(s, p.client, "keepalive 1000");
  auto probe = next_from_a(s);
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(probe[0].seq, t->snd_una - 1) << "without the defense: SND.UNA - 1";
  s.run(s.clock.now() + ms(10), [] { return false; });

  ctl(s, p.client, "tcpporthogdefense on");
  std::set<uint32_t> seqs;
  for (int i = 0; i < 3; i++) {
    probe = next_from_a(s);
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_EQ(probe[0].flags, wt::kAck);
    EXPECT_TRUE(probe[0].payload.empty());
    uint32_t behind = t->snd_una - probe[0].seq;
    EXPECT_GE(behind, 1u << 30);
    EXPECT_LT(behind, (1u << 30) + (1u << 20));
    seqs.insert(probe[0].seq);
    // b keeps state: the probe is out of its window, and it answers with
    // its RCV.NXT; the connection stays.
    s.run(s.clock.now() + ms(10), [] { return false; });
    EXPECT_EQ(state(s.a, p.client), "Established");
  }
  EXPECT_EQ(seqs.size(), 3u) << "a new number each time";
  EXPECT_EQ(stat(s.a, "StatelessHogs"), 0u);
  // Answered probes keep it up past the probes a dead peer would get.
  s.run(s.clock.now() + sec(20), [] { return false; });
  EXPECT_EQ(state(s.a, p.client), "Established");
  EXPECT_EQ(state(s.b, p.server), "Established");
}

// b goes stateless: whatever it is sent, it acknowledges.
wire::TcpRepr hog_answer(const wire::TcpRepr& probe) {
  wire::TcpRepr h;
  h.src_port = probe.dst_port;
  h.dst_port = probe.src_port;
  h.seq = probe.ack;
  h.ack = probe.seq + probe.seg_len();
  h.flags = wt::kAck;
  h.window = 1000;
  return h;
}

TEST(PortHog, AStatelessPeerThatAcknowledgesTheRandomNumberIsShutDown) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  ctl(s, p.client, "keepalive 1000");
  // Without the defense a hog's answer looks like any old ACK.
  auto probe = next_from_a(s);
  ASSERT_EQ(probe.size(), 1u);
  s.a.wire->sent.clear();
  s.a.wire->in.push_back(forged(s, hog_answer(probe[0]), "10.0.0.1", true));
  s.a.ip.poll();
  EXPECT_EQ(state(s.a, p.client), "Established");

  ctl(s, p.client, "tcpporthogdefense on");
  probe = next_from_a(s);
  ASSERT_EQ(probe.size(), 1u);
  s.a.wire->sent.clear();
  s.a.wire->in.push_back(forged(s, hog_answer(probe[0]), "10.0.0.1", true));
  s.a.ip.poll();
  s.a.ip.flush();
  EXPECT_EQ(state(s.a, p.client), "Closed");
  EXPECT_EQ(p.client->err, "stateless hog");
  EXPECT_TRUE(p.client->hungup);
  EXPECT_EQ(stat(s.a, "StatelessHogs"), 1u);
  ASSERT_EQ(s.a.wire->sent.size(), 1u);
  EXPECT_TRUE(frame_tcp(s.a.wire->sent.front()).rst()) << "and the hog is told";
}

}  // namespace
}  // namespace ninet::tcp
