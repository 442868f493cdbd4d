// SYN cookies that keep the options: past a full SYN backlog, a SYN with
// timestamps gets a SYN-ACK whose TSval carries its window scale and SACK
// (as Linux's), and the connection its ACK makes has all three; a SYN
// without timestamps gets none of them, as before.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/tcp/tcb.h"
#include "proto/tcp/tcp_testing.h"

namespace ninet::tcp {
namespace {

using tcptest::announce;
using tcptest::clone;
using tcptest::forged;
using tcptest::random_bytes;
using tcptest::start_connect;
using tcptest::stat;
using tcptest::status;
using tcptest::take_call;
using tcptest::TcpSim;
using tcptest::transfer;

// Fills b's SYN backlog with SYNs from a spoofed address.
void flood(TcpSim& s) {
  for (uint16_t i = 0; i < kMaxSynBacklog; i++) {
    wire::TcpRepr syn;
    syn.src_port = uint16_t(20000 + i);
    syn.dst_port = 80;
    syn.seq = 1000u * i;
    syn.flags = wt::kSyn;
    syn.window = 65535;
    syn.mss = 1460;
    s.b.wire->in.push_back(forged(s, syn, "10.0.0.50"));
  }
  while (!s.b.wire->in.empty())
    s.b.ip.poll();
}

// What b sent that is TCP, parsed; the wire emptied.
std::vector<wire::TcpRepr> sent_by_b(TcpSim& s) {
  auto out = tcptest::tcp_sent(s.b);
  s.b.wire->sent.clear();
  return out;
}

TcpProto& proto(tcptest::Host& h) {
  return static_cast<TcpProto&>(tcptest::tcp(h));
}

// b listens on port 80 and a connects once, so ARP is resolved both ways
// and what b sends to a afterwards is on the wire at once.
Conv* listen_after_a_call(TcpSim& s) {
  s.clock.set(sec(1000000));  // far from 0: a cookie holds 5 bits of the time
  Conv* l = announce(s.b, "80");
  Conv* client = clone(s.a);
  start_connect(s.a, client, "10.0.0.2!80");
  Conv* server = nullptr;
  s.run(s.clock.now() + sec(5), [&] {
    if (!server) server = take_call(s.b, l);
    return server && client->state == ConvState::kConnected;
  });
  EXPECT_NE(server, nullptr);
  return l;
}

TEST(SynCookie, TimestampsCarryWindowScaleAndSack) {
  TcpSim s;
  Conv* l = listen_after_a_call(s);
  flood(s);
  s.b.wire->sent.clear();

  wire::TcpRepr syn;
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.seq = 777000;
  syn.flags = wt::kSyn;
  syn.window = 65535;
  syn.mss = 1460;
  syn.wscale = 7;
  syn.sack_permitted = true;
  syn.ts = wire::TcpRepr::Timestamps{12345, 0};
  s.b.wire->in.push_back(forged(s, syn));
  s.b.ip.poll();
  auto out = sent_by_b(s);
  ASSERT_EQ(out.size(), 1u);
  const wire::TcpRepr& sa = out[0];
  EXPECT_EQ(sa.flags, wt::kSyn | wt::kAck);
  EXPECT_EQ(stat(s.b, "SynCookiesSent"), 1u);
  ASSERT_TRUE(sa.ts.has_value());
  EXPECT_EQ(sa.ts->ecr, 12345u);
  EXPECT_EQ(sa.ts->val & 63, 7u | 16u) << "window scale 7, SACK";
  ASSERT_TRUE(sa.wscale.has_value());
  EXPECT_EQ(*sa.wscale, kRcvWscale);
  EXPECT_TRUE(sa.sack_permitted);
  EXPECT_EQ(sa.mss, 1460);

  // The ACK echoes the TSval: the connection has the options.
  wire::TcpRepr ack;
  ack.src_port = 40000;
  ack.dst_port = 80;
  ack.seq = syn.seq + 1;
  ack.ack = sa.seq + 1;
  ack.flags = wt::kAck;
  ack.window = 1000;  // << 7
  ack.ts = wire::TcpRepr::Timestamps{12346, sa.ts->val};
  s.b.wire->in.push_back(forged(s, ack));
  s.b.ip.poll();
  EXPECT_EQ(stat(s.b, "SynCookiesTaken"), 1u);
  Conv* call = take_call(s.b, l);
  ASSERT_NE(call, nullptr);
  Tcb* t = TcpProto::tcb(*call);
  EXPECT_EQ(t->st, State::kEstablished);
  EXPECT_EQ(t->snd_wscale, 7);
  EXPECT_EQ(t->rcv_wscale, kRcvWscale);
  EXPECT_EQ(t->snd_wnd, 1000u << 7);
  EXPECT_TRUE(t->sack_ok);
  EXPECT_TRUE(t->ts_ok);
  EXPECT_EQ(t->ts_recent, 12346u);
  EXPECT_EQ(t->mss, 1460);

  // A SYN with no timestamps: no window scale or SACK either, as a cookie
  // without them cannot keep the choice.
  syn.src_port = 40001;
  syn.ts.reset();
  s.b.wire->in.push_back(forged(s, syn));
  s.b.ip.poll();
  out = sent_by_b(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].ts.has_value());
  EXPECT_FALSE(out[0].wscale.has_value());
  EXPECT_FALSE(out[0].sack_permitted);
  ack.src_port = 40001;
  ack.ack = out[0].seq + 1;
  ack.ts.reset();
  s.b.wire->in.push_back(forged(s, ack));
  s.b.ip.poll();
  call = take_call(s.b, l);
  ASSERT_NE(call, nullptr);
  t = TcpProto::tcb(*call);
  EXPECT_EQ(t->st, State::kEstablished);
  EXPECT_EQ(t->snd_wscale, 0);
  EXPECT_EQ(t->rcv_wscale, 0);
  EXPECT_FALSE(t->sack_ok);
  EXPECT_FALSE(t->ts_ok);
}

// The cookie's TSval is never ahead of the clock it stands for: when the
// options' bits would put it ahead, it is 64 ms back.
TEST(SynCookie, TheTsvalDoesNotRunAhead) {
  TcpSim s;
  listen_after_a_call(s);
  flood(s);
  s.b.wire->sent.clear();
  // Our timestamp clock for this 4-tuple at a multiple of 64 ms.
  uint32_t offset =
      proto(s.b).isn.hash(*Ipaddr::parse("10.0.0.2"), 80, *Ipaddr::parse("10.0.0.1"), 40000, 1);
  uint32_t clock = uint32_t(s.clock.now() / ms(1)) + offset;
  s.clock.set(s.clock.now() + ms(64 - (clock & 63)));
  clock = uint32_t(s.clock.now() / ms(1)) + offset;
  ASSERT_EQ(clock & 63, 0u);
  wire::TcpRepr syn;
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.seq = 5;
  syn.flags = wt::kSyn;
  syn.window = 65535;
  syn.sack_permitted = true;
  syn.wscale = 14;
  syn.ts = wire::TcpRepr::Timestamps{1, 0};
  s.b.wire->in.push_back(forged(s, syn));
  s.b.ip.poll();
  auto out = sent_by_b(s);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ts.has_value());
  EXPECT_EQ(out[0].ts->val, clock - 64 + (14 | 16));
}

// A real client past a full backlog: the cookie connection scales its
// window, has SACK and timestamps, and carries data both ways.
TEST(SynCookie, AConnectionThroughACookieNegotiatesEverything) {
  TcpSim s;
  s.clock.set(sec(1000000));
  Conv* l = announce(s.b, "80");
  flood(s);
  Conv* client = clone(s.a);
  start_connect(s.a, client, "10.0.0.2!80");
  Conv* server = nullptr;
  s.run(s.clock.now() + sec(10), [&] {
    if (!server) server = take_call(s.b, l);
    return server && client->state == ConvState::kConnected;
  });
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(stat(s.b, "SynCookiesTaken"), 1u);
  Tcb* st = TcpProto::tcb(*server);
  Tcb* ct = TcpProto::tcb(*client);
  EXPECT_EQ(st->snd_wscale, kRcvWscale);
  EXPECT_EQ(st->rcv_wscale, kRcvWscale);
  EXPECT_EQ(ct->snd_wscale, kRcvWscale);
  EXPECT_TRUE(st->sack_ok && ct->sack_ok);
  EXPECT_TRUE(st->ts_ok && ct->ts_ok);
  EXPECT_NE(status(s.b, server).find(">>9 rwin"), std::string::npos) << status(s.b, server);
  std::string data = random_bytes(2 << 20, 31);
  EXPECT_TRUE(transfer(s, s.a, client, s.b, server, data, sec(30)) == data);
  EXPECT_TRUE(transfer(s, s.b, server, s.a, client, data, sec(30)) == data);
  EXPECT_GT(st->snd_wnd, 65535u) << "the client's window, scaled";
}

}  // namespace
}  // namespace ninet::tcp
