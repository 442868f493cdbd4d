// Tests of the rudp directory on two stacks over a perfect simulated wire
// (proto/rudp_testing.h): the ctl messages and their errors, connect and
// headers mode both ways, IPv6, acknowledgements, hangup, randdrop, the
// port-unreachable answer and what an ICMP error does, the limits on
// remotes and on what is held, status and stats.
#include <gtest/gtest.h>

#include "proto/rudp_testing.h"
#include "wire/rudp.h"

namespace ninet {
namespace {

using namespace rudptest;

const Ipaddr kA = Ipaddr::v4(10, 0, 0, 1), kB = Ipaddr::v4(10, 0, 0, 2);

TEST(Rudp, CtlMessages) {
  Sim s;
  Conv* c = open(s.a, {"announce 7000", "headers", "randdrop", "randdrop 0", "randdrop 100",
                       "hangup 10.0.0.9 5"});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->headers);
  auto bad = [&](const std::string& m, const std::string& text) {
    auto st = rudp(s.a)->ctl_message(*c, m, s.a.l, nullptr);
    ASSERT_FALSE(st.ok()) << m;
    EXPECT_EQ(st.error().text(), text) << m;
    EXPECT_EQ(c->err, text) << "the err file";
  };
  bad("randdrop 101", "bad arg in system call: randdrop percent 101");
  bad("randdrop x", "bad arg in system call: randdrop percent x");
  bad("hangup 10.0.0.9", "unknown control request: hangup");
  bad("hangup 10.0.0.x 5", "bad ip address syntax: 10.0.0.x");
  bad("hangup 10.0.0.9 70000", "bad port number: 70000");
  bad("headers 1", "unknown control request: headers");
  Conv* star = *rudp(s.a)->clone("test");
  EXPECT_FALSE(rudp(s.a)->ctl_message(*star, "announce *", s.a.l, nullptr).ok());
  EXPECT_FALSE(rudp(s.a)->ctl_message(*star, "connect 255.255.255.255!7", s.a.l, nullptr).ok());
}

TEST(Rudp, ConnectedMessagesBothWays) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  ASSERT_TRUE(srv && cli);
  EXPECT_EQ(rudp(s.a)->remote(*cli), "10.0.0.2!7000\n");
  for (uint32_t i = 1; i <= 3; i++)
    ASSERT_TRUE(send(s.a, *cli, u32(i)).ok());
  EXPECT_EQ(rudp(s.a)->qout(*cli), 12u) << "unacknowledged";
  s.run_for(ms(1));
  auto got = drain(s.b, *srv);
  ASSERT_EQ(got.size(), 3u);
  for (uint32_t i = 0; i < 3; i++) {
    const Bytes& m = got[i];
    ASSERT_EQ(m.size(), 56u);
    EXPECT_EQ(Ipaddr(m.data()), kA);
    EXPECT_EQ(Ipaddr(m.data() + 16), kB);
    EXPECT_EQ(Ipaddr(m.data() + 32), kB) << "ifcaddr";
    EXPECT_EQ(load16(m.data() + 48), cli->lport);
    EXPECT_EQ(load16(m.data() + 50), 7000);
    EXPECT_EQ(load32(m.data() + 52), i + 1);
  }
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u) << "acknowledged";
  EXPECT_EQ(stat(s.b, "AcksOut"), 1u) << "one ack for the burst";
  EXPECT_EQ(stat(s.b, "InDatagrams"), 3u);
  EXPECT_EQ(stat(s.a, "OutDatagrams"), 3u);
  // A reply is the buffer read, written back.
  ASSERT_TRUE(send(s.b, *srv, got[1]).ok());
  s.run_for(ms(1));
  auto back = drain(s.a, *cli);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], u32(2));
  EXPECT_EQ(rudp(s.b)->qout(*srv), 0u);
  EXPECT_EQ(rudp(s.a)->status(*cli), "Open qin 0 qout 0\n");
  EXPECT_EQ(stat(s.a, "Retransmits") + stat(s.b, "Retransmits"), 0u);
}

TEST(Rudp, Ipv6) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* cli = open(s.a, {"connect fd00::2!7000"});
  ASSERT_TRUE(srv && cli);
  s.run_for(sec(2));  // DAD
  ASSERT_TRUE(send(s.a, *cli, u32(6)).ok());
  s.run_for(ms(10));
  auto got = drain(s.b, *srv);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(Ipaddr(got[0].data()), *Ipaddr::parse("fd00::1"));
  EXPECT_EQ(load32(got[0].data() + 52), 6u);
  ASSERT_TRUE(send(s.b, *srv, got[0]).ok());
  s.run_for(ms(10));
  EXPECT_EQ(drain(s.a, *cli).size(), 1u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
}

// Plan 9's rudpadvise: an ICMP error hangs a connected conversation up
// with its text.
TEST(Rudp, NoPortHangsUpAConnectedConversation) {
  Sim s;
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  ASSERT_TRUE(send(s.a, *cli, u32(1)).ok());
  s.run_for(ms(1));
  EXPECT_EQ(stat(s.b, "NoPorts"), 1u);
  EXPECT_TRUE(cli->hungup);
  EXPECT_EQ(cli->err, "port unreachable");
  EXPECT_EQ(stat(s.a, "Unreachable"), 1u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u) << "its queue went with it";
  EXPECT_FALSE(send(s.a, *cli, u32(2)).ok());
  s.run_for(ms(500));
  EXPECT_EQ(stat(s.a, "Retransmits"), 0u);
}

// `ignoreadvice`: the message waits for the remote to come up.
TEST(Rudp, IgnoreAdviceKeepsRetrying) {
  Sim s;
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000", "ignoreadvice"});
  ASSERT_TRUE(send(s.a, *cli, u32(1)).ok());
  s.run_for(ms(1));
  EXPECT_EQ(stat(s.b, "NoPorts"), 1u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 4u) << "still queued";
  EXPECT_TRUE(cli->err.empty());
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  s.run_for(ms(250));
  EXPECT_EQ(drain(s.b, *srv).size(), 1u) << "the retransmission, 200 ms later";
  EXPECT_EQ(stat(s.a, "Retransmits"), 1u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
}

// An announced conversation talks to many remotes: a port unreachable from
// one ends that remote's state by the reboot rule; the others go on.
TEST(Rudp, NoPortEndsOneRemoteOfAnAnnouncedConversation) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* a = open(s.a, {"announce 6000", "headers"});
  ASSERT_TRUE(srv && a);
  ASSERT_TRUE(send(s.a, *a, with_header(kB, 7000, u32(1))).ok());
  ASSERT_TRUE(send(s.a, *a, with_header(kB, 7001, u32(2))).ok());
  s.run_for(ms(1));
  EXPECT_EQ(drain(s.b, *srv).size(), 1u);
  EXPECT_EQ(a->err, "hangup 10.0.0.2!7001");
  EXPECT_FALSE(a->hungup);
  EXPECT_EQ(stat(s.a, "Unreachable"), 1u);
  EXPECT_EQ(rudp(s.a)->qout(*a), 0u) << "7000 acknowledged, 7001's message dropped";
  s.run_for(ms(500));
  EXPECT_EQ(stat(s.a, "Retransmits"), 0u);
  ASSERT_TRUE(send(s.a, *a, with_header(kB, 7000, u32(3))).ok());
  s.run_for(ms(1));
  EXPECT_EQ(drain(s.b, *srv).size(), 1u) << "the other remote goes on";
}

TEST(Rudp, HangupForgetsBothEnds) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  ASSERT_TRUE(send(s.a, *cli, u32(1)).ok());
  s.run_for(ms(1));
  ASSERT_EQ(drain(s.b, *srv).size(), 1u);
  std::string msg = "hangup 10.0.0.1 " + std::to_string(cli->lport);
  ASSERT_TRUE(rudp(s.b)->ctl_message(*srv, msg, s.b.l, nullptr).ok());
  s.run_for(ms(1));
  EXPECT_EQ(stat(s.b, "Hangups"), 1u);
  EXPECT_EQ(stat(s.a, "Hangups"), 1u) << "the remote forgot us too";
  EXPECT_TRUE(cli->err.empty()) << "a hangup is not a reboot";
  // Both start afresh: the next message is the first of a new generation.
  ASSERT_TRUE(send(s.a, *cli, u32(2)).ok());
  s.run_for(ms(1));
  auto got = drain(s.b, *srv);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(load32(got[0].data() + 52), 2u);
  EXPECT_EQ(stat(s.b, "NewGen") + stat(s.a, "NewGen"), 0u);
}

TEST(Rudp, RanddropLosesPacketsNotMessages) {
  Sim s;
  // 20% each way: a try succeeds 64% of the time, so 11 failures in a
  // row (a reboot, which drops the queue) are not to be expected.
  Conv* srv = open(s.b, {"announce 7000", "headers", "randdrop 20"});
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000", "randdrop 20"});
  uint32_t sent = 0;
  std::vector<uint32_t> got;
  s.run_until(s.clock.now() + sec(120), [&] {
    while (sent < 200 && send(s.a, *cli, u32(sent + 1)).ok())
      sent++;
    for (auto& m : drain(s.b, *srv))
      got.push_back(load32(m.data() + 52));
  });
  ASSERT_EQ(got.size(), 200u);
  for (uint32_t i = 0; i < 200; i++)
    ASSERT_EQ(got[i], i + 1);
  EXPECT_GT(stat(s.a, "RandDrops"), 0u);
  EXPECT_GT(stat(s.b, "RandDrops"), 0u) << "acks too";
  EXPECT_GT(stat(s.a, "Retransmits"), 0u);
  EXPECT_GT(stat(s.b, "OutOfOrder"), 0u);
  EXPECT_EQ(stat(s.a, "Timeouts"), 0u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
}

TEST(Rudp, OneRetransmissionFillsAHole) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  ASSERT_TRUE(send(s.a, *cli, u32(1)).ok());
  s.run_for(ms(1));  // ARP
  ASSERT_EQ(drain(s.b, *srv).size(), 1u);
  for (uint32_t i = 2; i <= 6; i++)
    ASSERT_TRUE(send(s.a, *cli, u32(i)).ok());
  s.a.ip.flush();
  ASSERT_EQ(s.a.wire->sent.size(), 5u);
  s.a.wire->sent.erase(s.a.wire->sent.begin());  // message 2 is lost
  Time t0 = s.clock.now();
  std::vector<uint32_t> got;
  s.run_until(t0 + ms(10), [&] {
    for (auto& m : drain(s.b, *srv))
      got.push_back(load32(m.data() + 52));
  });
  EXPECT_EQ(got, (std::vector<uint32_t>{2, 3, 4, 5, 6})) << "long before the 200 ms timeout";
  EXPECT_EQ(stat(s.b, "OutOfOrder"), 4u) << "3 to 6 kept";
  EXPECT_EQ(stat(s.a, "FastRetransmits"), 1u) << "after the repeated ack of 1";
  EXPECT_EQ(stat(s.a, "Retransmits"), 0u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
}

TEST(Rudp, AFullReadQueueHoldsMessagesUnacknowledged) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  srv->rq_limit = 2 * (52 + 4);
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  for (uint32_t i = 1; i <= 5; i++)
    ASSERT_TRUE(send(s.a, *cli, u32(i)).ok());
  s.run_for(ms(1));
  EXPECT_EQ(srv->rq.size(), 2u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 12u) << "3 not taken, so not acknowledged";
  std::vector<uint32_t> got;
  s.run_until(s.clock.now() + ms(10), [&] {
    for (auto& m : drain(s.b, *srv))  // each read makes room for the next
      got.push_back(load32(m.data() + 52));
  });
  EXPECT_EQ(got, (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
  EXPECT_EQ(stat(s.a, "Retransmits"), 0u);
}

TEST(Rudp, AnnounceWithoutHeadersReadsButCannotAnswer) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000"});
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  ASSERT_TRUE(send(s.a, *cli, u32(9)).ok());
  s.run_for(ms(1));
  auto got = drain(s.b, *srv);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], u32(9));
  auto w = send(s.b, *srv, u32(1));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Err::NotConnected);
  Conv* h = open(s.b, {"announce 7001", "headers"});
  EXPECT_EQ(send(s.b, *h, u32(1)).error().code(), Err::TooShort) << "no Udphdr";
}

TEST(Rudp, MalformedPacketsAreCountedDrops) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* udpish = open(s.a, {"connect 10.0.0.2!7000"});
  ASSERT_TRUE(send(s.a, *udpish, u32(1)).ok());
  s.run_for(ms(1));  // ARP
  ASSERT_EQ(drain(s.b, *srv).size(), 1u);
  // Flip a bit of the next message in the frame on the wire.
  ASSERT_TRUE(send(s.a, *udpish, u32(2)).ok());
  s.a.ip.flush();
  ASSERT_EQ(s.a.wire->sent.size(), 1u);
  BlockPtr& f = s.a.wire->sent[0];
  f->data()[f->size() - 1] ^= 1;
  s.run_for(ms(1));
  EXPECT_EQ(stat(s.b, "InErrors"), 1u);
  EXPECT_TRUE(srv->rq.empty());
  s.run_for(ms(300));
  EXPECT_EQ(drain(s.b, *srv).size(), 1u) << "retransmitted whole";
}

// Message seq of generation gen from 10.0.0.1!sport to b's port 7000,
// handed to rudp's input as IP hands it (acks it causes are due at once
// and leave at b's next tick). The body is seq, then zeros to len bytes.
void inject(Sim& s, uint16_t sport, uint32_t seq, uint32_t gen, size_t len = 4) {
  Bytes body(len);
  store32(body.data(), seq);
  Bytes pkt(wire::rudp::kHeaderLen + len);
  wire::RudpRepr{sport, 7000, seq, gen, 0, 0, {}, true}.emit(kA, kB, pkt, body);
  IpRx rx;
  rx.src = kA;
  rx.dst = kB;
  rx.ifc = 0;
  rx.proto = 254;
  rx.net_len = 20;
  rudp(s.b)->rcv(rx, s.pool.copy(pkt.data(), uint32_t(pkt.size())));
}

// The numbers of the messages read, each from the port given.
std::vector<uint32_t> read_from(Sim& s, Conv& c, uint16_t port) {
  std::vector<uint32_t> v;
  for (auto& m : drain(s.b, c)) {
    EXPECT_EQ(load16(m.data() + 48), port);
    v.push_back(load32(m.data() + 52));
  }
  return v;
}

std::vector<uint32_t> range(uint32_t from, uint32_t to) {
  std::vector<uint32_t> v;
  for (uint32_t i = from; i <= to; i++)
    v.push_back(i);
  return v;
}

constexpr uint32_t kGen = 77;
constexpr int kMaxRemotes = 4096;

// A conversation that heard from kMaxRemotes remotes (ports 20000 up), each
// acknowledged, so each quiet.
Conv* full_conversation(Sim& s) {
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  for (int i = 0; i < kMaxRemotes; i++)
    inject(s, uint16_t(20000 + i), 1, kGen);
  s.b.ip.tick();
  EXPECT_EQ(drain(s.b, *srv).size(), size_t(kMaxRemotes));
  EXPECT_EQ(stat(s.b, "AcksOut"), uint64_t(kMaxRemotes));
  return srv;
}

// Spoofed sources cannot grow a conversation without end: at 4096 remotes a
// new one takes the place of the least recently active quiet one.
TEST(Rudp, AtItsLimitANewRemoteTakesTheOldestQuietOnesPlace) {
  Sim s;
  Conv* srv = full_conversation(s);
  // 20000 becomes busy (a message to it awaits its ack) and the most recent.
  ASSERT_TRUE(send(s.b, *srv, with_header(kA, 20000, u32(1))).ok());
  inject(s, 30000, 1, kGen);
  EXPECT_EQ(stat(s.b, "Evictions"), 1u);
  EXPECT_EQ(stat(s.b, "TooManyRemotes"), 0u);
  EXPECT_EQ(read_from(s, *srv, 30000), std::vector<uint32_t>{1});
  // 20002 is remembered; 20001 was forgotten, so its message 2 is of a
  // generation this end does not know: refused (our ack tells it to start
  // anew), and its new state takes 20003's place.
  inject(s, 20002, 2, kGen);
  EXPECT_EQ(read_from(s, *srv, 20002), std::vector<uint32_t>{2});
  inject(s, 20001, 2, kGen);
  EXPECT_TRUE(srv->rq.empty());
  EXPECT_EQ(stat(s.b, "StaleGen"), 1u);
  EXPECT_EQ(stat(s.b, "Evictions"), 2u);
  EXPECT_EQ(rudp(s.b)->qout(*srv), 4u) << "the busy remote kept its message";
}

TEST(Rudp, AtItsLimitWithTheOldestRemotesBusyANewOneIsRefused) {
  Sim s;
  Conv* srv = full_conversation(s);
  for (int i = 0; i < kMaxRemotes; i++)
    ASSERT_TRUE(send(s.b, *srv, with_header(kA, uint16_t(20000 + i), u32(i))).ok());
  inject(s, 30000, 1, kGen);
  EXPECT_TRUE(srv->rq.empty());
  EXPECT_EQ(stat(s.b, "TooManyRemotes"), 1u);
  EXPECT_EQ(stat(s.b, "Evictions"), 0u);
  auto w = send(s.b, *srv, with_header(kA, 30001, u32(1)));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().text(), "no free devices: rudp: 4096 remotes, none quiet");
  EXPECT_EQ(rudp(s.b)->qout(*srv), size_t(4 * kMaxRemotes));
  // A known remote still gets through.
  inject(s, 20005, 2, kGen);
  EXPECT_EQ(read_from(s, *srv, 20005), std::vector<uint32_t>{2});
}

// Messages ahead of a hole are kept, but over all remotes no more than the
// read queue holds: a sender that opens holes in many windows cannot make
// the conversation keep more. What does not fit is dropped unacknowledged
// and taken when it comes again.
TEST(Rudp, WhatIsHeldAheadOfHolesIsAtMostTheReadQueuesSize) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  ASSERT_EQ(srv->rq_limit, 262144u);
  const size_t len = 1400;  // 187 fit in 256 KiB
  for (uint16_t port : {20000, 20001}) {
    inject(s, port, 1, kGen);
    EXPECT_EQ(read_from(s, *srv, port), std::vector<uint32_t>{1});
  }
  for (uint16_t port : {20000, 20001})
    for (uint32_t seq = 3; seq <= 101; seq++)  // message 2 lost
      inject(s, port, seq, kGen, len);
  EXPECT_EQ(stat(s.b, "OutOfOrder"), 187u) << "20000's 99 and 20001's 3 to 90";
  EXPECT_EQ(stat(s.b, "Overflows"), 11u) << "20001's 91 to 101";
  EXPECT_TRUE(srv->rq.empty());
  inject(s, 20000, 2, kGen, len);
  EXPECT_EQ(read_from(s, *srv, 20000), range(2, 101));
  inject(s, 20001, 2, kGen, len);
  EXPECT_EQ(read_from(s, *srv, 20001), range(2, 90));
  for (uint32_t seq = 91; seq <= 101; seq++)  // its retransmissions
    inject(s, 20001, seq, kGen, len);
  EXPECT_EQ(read_from(s, *srv, 20001), range(91, 101));
  // Nothing is held now: a third remote may hold a whole window.
  inject(s, 20002, 1, kGen);
  for (uint32_t seq = 3; seq <= 101; seq++)
    inject(s, 20002, seq, kGen, len);
  EXPECT_EQ(stat(s.b, "OutOfOrder"), 187u + 99u);
  EXPECT_EQ(stat(s.b, "Overflows"), 11u);
}

}  // namespace
}  // namespace ninet
