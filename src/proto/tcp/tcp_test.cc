// TCP connections between two stacks in one process (ip/sim_testing.h):
// handshakes, transfers that arrive intact under every fault of the fault
// medium, closes in every order, refusals and timeouts, zero windows, all
// in simulated time (ManualClock), so nothing here depends on speed.
#include "proto/tcp/tcp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/tcp/rcvbuf.h"
#include "proto/tcp/rto.h"
#include "proto/tcp/tcp_testing.h"
#include "wire/tcp.h"

namespace ninet {
namespace {

using tcp::Rto;
using tcptest::announce;
using tcptest::clone;
using tcptest::connect;
using tcptest::drain;
using tcptest::feed;
using tcptest::forged;
using tcptest::frame_tcp;
using tcptest::Host;
using tcptest::kNoWait;
using tcptest::Pair;
using tcptest::random_bytes;
using tcptest::start_connect;
using tcptest::stat;
using tcptest::state;
using tcptest::status;
using tcptest::take_call;
using tcptest::tcp;
using tcptest::TcpSim;
using tcptest::transfer;

TEST(Tcp, HandshakeDataBothWaysAndClose) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  EXPECT_EQ(state(s.a, p.client), "Established");
  EXPECT_EQ(state(s.b, p.server), "Established");
  EXPECT_EQ(tcp(s.a).remote(*p.client), "10.0.0.2!80\n");
  EXPECT_EQ(tcp(s.b).remote(*p.server), "10.0.0.1!" + std::to_string(p.client->lport) + "\n");
  EXPECT_EQ(stat(s.a, "ActiveOpens"), 1u);
  EXPECT_EQ(stat(s.b, "PassiveOpens"), 1u);
  EXPECT_EQ(stat(s.b, "CurrEstab"), 1u);

  EXPECT_EQ(transfer(s, s.a, p.client, s.b, p.server, "hello", sec(1)), "hello");
  EXPECT_EQ(transfer(s, s.b, p.server, s.a, p.client, "world", sec(1)), "world");

  // The client closes first: FIN_WAIT, TIME_WAIT; the server sees the end
  // of the stream, closes, and is gone once its FIN is acknowledged.
  ASSERT_TRUE(tcp(s.a).ctl_message(*p.client, "close", s.a.l, nullptr).ok());
  s.run(s.clock.now() + sec(1), [&] { return p.server->rx_done; });
  EXPECT_TRUE(p.server->rx_done);
  EXPECT_FALSE(p.server->hungup) << "the server may still send";
  EXPECT_EQ(state(s.b, p.server), "Close_wait");
  EXPECT_EQ(state(s.a, p.client), "Finwait2");
  // In CLOSE_WAIT a writer that finds the send buffer full waits for room
  // (here: is interrupted), as in ESTABLISHED; it is not told "hangup".
  std::string big = random_bytes(3 << 20, 4);
  size_t at = 0;
  while (tcp(s.b).send_space(*p.server))
    feed(s.b, p.server, big, at);
  auto w = tcp(s.b).write_data(*p.server, {reinterpret_cast<const uint8_t*>(big.data()), 10}, s.b.l,
                               &kNoWait);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Err::Interrupted);
  std::string got;
  s.run(s.clock.now() + sec(30), [&] {
    feed(s.b, p.server, big, at);
    got += drain(s.a, p.client);
    return got.size() >= big.size();
  });
  EXPECT_TRUE(got == big) << "a half-closed connection carries the other way: " << got.size();
  ASSERT_TRUE(tcp(s.b).ctl_message(*p.server, "close", s.b.l, nullptr).ok());
  s.run(s.clock.now() + sec(1), [] { return false; });
  EXPECT_EQ(state(s.a, p.client), "Time_wait");
  EXPECT_EQ(state(s.b, p.server), "Closed");
  EXPECT_EQ(stat(s.b, "CurrEstab"), 0u);
  EXPECT_EQ(stat(s.a, "CurrEstab"), 0u);
}

TEST(Tcp, AConversationWhoseFilesCloseIsKeptUntilTheConnectionEnds) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  int idx = p.client->index;
  p.client->refs = 0;
  tcp(s.a).last_close(*p.client);  // every file closed: FIN, and kept
  EXPECT_TRUE(p.client->inuse);
  EXPECT_TRUE(p.client->held);
  p.server->refs = 0;
  s.run(s.clock.now() + sec(1), [] { return false; });
  tcp(s.b).last_close(*p.server);
  s.run(s.clock.now() + sec(2), [] { return false; });
  EXPECT_FALSE(p.server->inuse) << "LAST_ACK acknowledged: freed";
  EXPECT_EQ(state(s.a, p.client), "Time_wait");
  s.run(s.clock.now() + sec(61), [] { return false; });
  EXPECT_FALSE(tcp(s.a).conv(idx)->inuse) << "TIME_WAIT over: freed";
}

TEST(Tcp, OverIpv6) {
  TcpSim s;
  Pair p = connect(s, "fd00::2!80");
  ASSERT_NE(p.server, nullptr);
  std::string data = random_bytes(200000, 6);
  EXPECT_EQ(transfer(s, s.a, p.client, s.b, p.server, data, sec(10)), data);
  EXPECT_NE(status(s.a, p.client).find("mss 1440"), std::string::npos) << status(s.a, p.client);
}

TEST(Tcp, ConnectionRefusedAndTimedOut) {
  TcpSim s;
  Conv* c = clone(s.a);
  start_connect(s.a, c, "10.0.0.2!81");  // nobody there: RST
  s.run(s.clock.now() + sec(5), [&] { return c->state != ConvState::kConnecting; });
  EXPECT_NE(c->state, ConvState::kConnected);
  EXPECT_EQ(c->err, "connection refused");
  EXPECT_EQ(stat(s.b, "OutRsts"), 1u);

  TcpSim lossy("out.drop=100%", "");
  Conv* d = clone(lossy.a);
  start_connect(lossy.a, d, "10.0.0.2!80");
  lossy.run(lossy.clock.now() + sec(200), [&] { return d->state != ConvState::kConnecting; });
  EXPECT_EQ(d->err, "connection timed out");
  EXPECT_GE(lossy.clock.now(), sec(127)) << "six retransmissions, backing off from 1 s";
}

// A megabyte each way under each fault, and all at once: it arrives whole
// and in order.
TEST(Tcp, TransfersStayIntactUnderFaults) {
  const char* faults[] = {"drop=3%",
                          "dup=5%",
                          "reorder=10%,gap=3ms",
                          "delay=10ms,jitter=8ms",
                          "corrupt=2%",
                          "rate=20mbit,limit=50",
                          "drop=2%,dup=2%,reorder=5%,delay=5ms,jitter=3ms,corrupt=1%"};
  uint32_t seed = 1;
  for (const char* f : faults) {
    SCOPED_TRACE(f);
    std::string fa = std::string(f) + ",seed=" + std::to_string(seed++);
    std::string fb = std::string(f) + ",seed=" + std::to_string(seed++);
    TcpSim s(fa, fb);
    Pair p = connect(s);
    ASSERT_NE(p.server, nullptr);
    std::string up = random_bytes(1 << 20, seed), down = random_bytes(1 << 20, seed + 1);
    size_t at_up = 0, at_down = 0;
    std::string got_up, got_down;
    s.run(s.clock.now() + sec(600), [&] {
      feed(s.a, p.client, up, at_up);
      feed(s.b, p.server, down, at_down);
      got_up += drain(s.b, p.server);
      got_down += drain(s.a, p.client);
      return got_up.size() >= up.size() && got_down.size() >= down.size();
    });
    EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size() << " bytes; "
                              << status(s.a, p.client) << status(s.b, p.server);
    EXPECT_TRUE(got_down == down) << got_down.size() << " of " << down.size() << " bytes";
  }
}

// The receiver reads nothing: the sender fills the window and stops; the
// persist timer probes the zero window; reading opens it and the rest
// follows.
TEST(Tcp, ZeroWindowThenReading) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  std::string data = random_bytes(6 << 20, 9);
  size_t at = 0;
  s.run(s.clock.now() + sec(20), [&] {
    feed(s.a, p.client, data, at);
    return false;
  });
  // The whole receive buffer, and no more (to the 512-byte unit of the
  // window scale): a reader that reads nothing keeps the initial buffer.
  EXPECT_LE(p.server->rq_bytes, tcp::RcvBuf::kInitial);
  EXPECT_GT(p.server->rq_bytes, tcp::RcvBuf::kInitial - 512);
  EXPECT_NE(status(s.a, p.client).find("swin 0>>"), std::string::npos) << status(s.a, p.client);
  std::string got = drain(s.b, p.server);
  s.run(s.clock.now() + sec(60), [&] {
    feed(s.a, p.client, data, at);
    got += drain(s.b, p.server);
    return got.size() >= data.size();
  });
  EXPECT_TRUE(got == data) << got.size() << " of " << data.size();
}

TEST(Tcp, SimultaneousClose) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  ASSERT_TRUE(tcp(s.a).ctl_message(*p.client, "close", s.a.l, nullptr).ok());
  ASSERT_TRUE(tcp(s.b).ctl_message(*p.server, "close", s.b.l, nullptr).ok());
  s.run(s.clock.now() + sec(1), [] { return false; });
  EXPECT_EQ(state(s.a, p.client), "Time_wait");
  EXPECT_EQ(state(s.b, p.server), "Time_wait");
}

// Simultaneous open (RFC 9293 3.5, figure 8): each end connects to the
// other's port at once; both SYNs cross, each answers with a SYN-ACK, and
// both reach ESTABLISHED with one connection between them.
TEST(Tcp, SimultaneousOpen) {
  TcpSim s;
  Conv* a = clone(s.a);
  Conv* b = clone(s.b);
  start_connect(s.a, a, "10.0.0.2!6000 5000");
  start_connect(s.b, b, "10.0.0.1!5000 6000");
  s.run(s.clock.now() + sec(10),
        [&] { return a->state == ConvState::kConnected && b->state == ConvState::kConnected; });
  ASSERT_EQ(state(s.a, a), "Established");
  ASSERT_EQ(state(s.b, b), "Established");
  EXPECT_EQ(transfer(s, s.a, a, s.b, b, "crossed", sec(1)), "crossed");
  EXPECT_EQ(transfer(s, s.b, b, s.a, a, "and back", sec(1)), "and back");
}

// Everything a sends is lost: its retransmission timer backs off, each
// interval twice the one before (RFC 6298 5.5), up to 120 s; after 15 it
// gives up with "connection timed out".
TEST(Tcp, RetransmissionsBackOff) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  ASSERT_TRUE(tcp(s.a).write(*p.client, {reinterpret_cast<const uint8_t*>("lost"), 4}).ok());
  // Only a runs, from one of its timers to the next; what it sends is lost.
  std::vector<Time> sent_at;
  Time end = s.clock.now() + sec(60);
  for (;;) {
    s.a.ip.flush();
    if (!s.a.wire->sent.empty()) sent_at.push_back(s.clock.now());
    s.a.wire->sent.clear();
    Time next = s.a.ip.timers.next();
    if (next > end) break;
    s.clock.set(std::max(next, s.clock.now() + 1));
    s.a.ip.tick();
  }
  ASSERT_GE(sent_at.size(), 6u);
  // The first is the original; a probe (TLP) may come before the first
  // timeout; after that each gap doubles.
  std::vector<Time> gaps;
  for (size_t i = 1; i < sent_at.size(); i++)
    gaps.push_back(sent_at[i] - sent_at[i - 1]);
  size_t from = gaps.size() - 4;
  for (size_t i = from + 1; i < gaps.size(); i++) {
    EXPECT_GE(gaps[i], 2 * gaps[i - 1] - ms(2)) << "gap " << i;
    EXPECT_LE(gaps[i], 2 * gaps[i - 1] + ms(2)) << "gap " << i;
  }
  EXPECT_GE(stat(s.a, "RetransTimeouts"), 4u);
  EXPECT_EQ(state(s.a, p.client), "Established") << "not given up yet";
  // Fifteen timeouts (the last ones 120 s apart): it gives up.
  for (end = s.clock.now() + sec(1000); s.a.ip.timers.next() <= end;) {
    s.clock.set(std::max(s.a.ip.timers.next(), s.clock.now() + 1));
    s.a.ip.tick();
    s.a.wire->sent.clear();
  }
  EXPECT_EQ(state(s.a, p.client), "Closed");
  EXPECT_EQ(p.client->err, "connection timed out");
  EXPECT_EQ(stat(s.a, "RetransTimeouts"), 16u);
}

TEST(Tcp, HangupResetsThePeer) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  ASSERT_TRUE(tcp(s.a).ctl_message(*p.client, "hangup", s.a.l, nullptr).ok());
  s.run(s.clock.now() + sec(1), [] { return false; });
  EXPECT_EQ(state(s.b, p.server), "Closed");
  EXPECT_EQ(p.server->err, "connection reset");
  EXPECT_TRUE(p.server->hungup);
  EXPECT_EQ(stat(s.b, "EstabResets"), 1u);
  EXPECT_EQ(stat(s.a, "CurrEstab"), 0u) << "counted out once";
  EXPECT_EQ(stat(s.b, "CurrEstab"), 0u);
}

// RFC 5961: a RST or SYN that is in the window but not exactly at RCV.NXT
// gets a challenge ACK and changes nothing; a RST exactly there resets.
TEST(Tcp, BlindResetsAndSynsGetChallengeAcks) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  // One byte from a shows where both ends are.
  ASSERT_TRUE(tcp(s.a).write(*p.client, {reinterpret_cast<const uint8_t*>("x"), 1}).ok());
  s.a.ip.flush();
  ASSERT_EQ(s.a.wire->sent.size(), 1u);
  wire::TcpRepr x = frame_tcp(s.a.wire->sent.front());
  s.settle();
  uint32_t rcv_nxt = x.seq + 1;  // b's, after the byte
  auto inject = [&](uint32_t seq, uint8_t flags) {
    wire::TcpRepr h;
    h.src_port = x.src_port;
    h.dst_port = x.dst_port;
    h.seq = seq;
    h.ack = x.ack;
    h.flags = flags;
    h.window = 1000;
    s.b.wire->in.push_back(forged(s, h));
    s.b.ip.poll();
    std::vector<wire::TcpRepr> out;
    for (auto& f : s.b.wire->sent)
      out.push_back(frame_tcp(f));
    s.b.wire->sent.clear();
    return out;
  };
  auto out = inject(rcv_nxt + 1000, wire::tcp::kRst);  // in the window, not exact
  ASSERT_EQ(out.size(), 1u) << "a challenge ACK";
  EXPECT_EQ(out[0].flags, wire::tcp::kAck);
  EXPECT_EQ(out[0].ack, rcv_nxt);
  EXPECT_EQ(state(s.b, p.server), "Established");
  out = inject(rcv_nxt, wire::tcp::kSyn);  // a SYN on a synchronized connection
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, wire::tcp::kAck);
  EXPECT_EQ(state(s.b, p.server), "Established");
  out = inject(rcv_nxt + 200000000, wire::tcp::kRst);  // outside the window: ignored
  EXPECT_TRUE(out.empty());
  out = inject(rcv_nxt, wire::tcp::kRst);  // exact
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(state(s.b, p.server), "Closed");
  EXPECT_EQ(p.server->err, "connection reset");
}

// A tail loss (the last three segments of a burst) is repaired by a tail
// loss probe (RFC 8985 7) after about two RTTs, not by a timeout: the probe
// resends the last segment, its SACK shows the other two missing, and RACK
// marks them lost.
TEST(Tcp, TailLossIsRepairedByAProbeNotATimeout) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  EXPECT_EQ(transfer(s, s.a, p.client, s.b, p.server, "warm", sec(1)), "warm");  // an RTT
  std::string burst = random_bytes(10 * 1448, 12);
  ASSERT_EQ(
      *tcp(s.a).write(*p.client, {reinterpret_cast<const uint8_t*>(burst.data()), burst.size()}),
      burst.size());
  s.a.ip.flush();
  ASSERT_EQ(s.a.wire->sent.size(), 10u);
  for (int i = 0; i < 3; i++)
    s.a.wire->sent.pop_back();  // lost on the wire
  Time start = s.clock.now();
  std::string got;
  s.run(start + sec(5), [&] {
    got += drain(s.b, p.server);
    return got.size() >= burst.size();
  });
  EXPECT_TRUE(got == burst) << got.size();
  EXPECT_EQ(stat(s.a, "RetransTimeouts"), 0u) << "repaired without a timeout";
  EXPECT_LT(s.clock.now() - start, Rto::kMin) << "sooner than the shortest timeout";
  EXPECT_EQ(stat(s.a, "RetransSegs"), 3u) << "the probe and the two RACK found";
}

// A SYN flood from a spoofed address fills the SYN backlog; past it the
// listener answers with SYN cookies and keeps no state, and an ordinary
// connection still succeeds, through a cookie, and carries data.
TEST(Tcp, SynFloodThenAnOrdinaryConnectionThroughACookie) {
  TcpSim s;
  s.clock.set(sec(1000000));  // far from 0: a cookie holds only 5 bits of the time
  Conv* l = announce(s.b, "80");
  for (uint16_t i = 0; i < 1100; i++) {
    wire::TcpRepr syn;
    syn.src_port = uint16_t(20000 + i);
    syn.dst_port = 80;
    syn.seq = 1000u * i;
    syn.flags = wire::tcp::kSyn;
    syn.window = 65535;
    syn.mss = 1460;
    s.b.wire->in.push_back(forged(s, syn, "10.0.0.50"));
  }
  while (!s.b.wire->in.empty())
    s.b.ip.poll();
  EXPECT_EQ(stat(s.b, "SynCookiesSent"), 1100u - 1024u);
  Conv* client = clone(s.a);
  start_connect(s.a, client, "10.0.0.2!80");
  Conv* server = nullptr;
  s.run(s.clock.now() + sec(10), [&] {
    if (!server) server = take_call(s.b, l);
    return server && client->state == ConvState::kConnected;
  });
  ASSERT_EQ(client->state, ConvState::kConnected);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(stat(s.b, "SynCookiesTaken"), 1u);
  EXPECT_NE(status(s.b, server).find("mss 1460"), std::string::npos) << status(s.b, server);
  std::string data = random_bytes(300000, 13);
  EXPECT_TRUE(transfer(s, s.a, client, s.b, server, data, sec(30)) == data);
  EXPECT_EQ(transfer(s, s.b, server, s.a, client, "back", sec(5)), "back");
  // A made-up ACK to the listener is no cookie: it gets a RST.
  wire::TcpRepr fake;
  fake.src_port = 33333;
  fake.dst_port = 80;
  fake.seq = 5;
  fake.ack = 0x12345678;
  fake.flags = wire::tcp::kAck;
  uint64_t rsts = stat(s.b, "OutRsts");
  s.b.wire->in.push_back(forged(s, fake));
  s.b.ip.poll();
  EXPECT_EQ(stat(s.b, "OutRsts"), rsts + 1);
  EXPECT_EQ(stat(s.b, "SynCookiesTaken"), 1u);
}

// More calls than the listen queue holds (64): the rest wait in
// SYN_RECEIVED (their ACKs are dropped, as Linux does) and come in as the
// server takes calls; none is reset.
TEST(Tcp, AFullListenQueueDelaysCallsInsteadOfRefusingThem) {
  TcpSim s;
  Conv* l = announce(s.b, "80");
  std::vector<Conv*> clients;
  for (int i = 0; i < 70; i++) {
    clients.push_back(clone(s.a));
    start_connect(s.a, clients.back(), "10.0.0.2!80");
  }
  s.run(s.clock.now() + sec(2), [] { return false; });
  EXPECT_EQ(l->incall.size(), Conv::kListenQueue);
  int taken = 0;
  s.run(s.clock.now() + sec(60), [&] {
    while (take_call(s.b, l))
      taken++;
    return taken == 70;
  });
  EXPECT_EQ(taken, 70);
  EXPECT_EQ(stat(s.b, "OutRsts"), 0u);
  for (Conv* c : clients)
    EXPECT_EQ(state(s.a, c), "Established");
}

TEST(Tcp, CtlMessages) {
  TcpSim s;
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  auto ctl = [&](const std::string& m) {
    return tcp(s.a).ctl_message(*p.client, m, s.a.l, nullptr);
  };
  EXPECT_TRUE(ctl("keepalive").ok());
  EXPECT_TRUE(ctl("keepalive 1000").ok());
  EXPECT_FALSE(ctl("keepalive x").ok());
  EXPECT_TRUE(ctl("checksum 1").ok());
  EXPECT_FALSE(ctl("checksum 2").ok());
  EXPECT_TRUE(ctl("tcpporthogdefense on").ok());
  EXPECT_FALSE(ctl("tcpporthogdefense maybe").ok());
  EXPECT_FALSE(ctl("congestion vegas").ok());
  EXPECT_FALSE(ctl("frobnicate").ok());
  // Keepalive probes are answered, so an idle connection stays up.
  s.run(s.clock.now() + sec(30), [] { return false; });
  EXPECT_EQ(state(s.a, p.client), "Established");
  EXPECT_EQ(tcp(s.a).stats().substr(0, 15), "MaxConn: 65536\n");
}

}  // namespace
}  // namespace ninet
