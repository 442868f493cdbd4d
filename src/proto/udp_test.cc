// Tests of the udp directory (udp.cc): conversations talking over loopback
// (IPv4 and IPv6), announce + listen making one conversation per remote,
// one datagram per read, the headers mode read and written back, checksum
// and length drops, port unreachable and the advice it brings back,
// multicast membership, input hooks, ctl errors, port rules, and the
// status and stats texts. The fixture is icmp's (icmp_testing.h) with the
// real udp registered in the recording protocol's place.
#include "proto/udp.h"

#include <gtest/gtest.h>

#include "proto/icmp_testing.h"
#include "wire/udp.h"

namespace ninet::icmptest {
namespace {

struct UdpFixture : IcmpFixture {
  Proto* udpp = nullptr;

  void SetUp() override {
    IcmpFixture::SetUp();
    // IP protocol 17 (and ICMP's advice) now reaches the real udp.
    auto p = make_udp(ip);
    udpp = p.get();
    ip.add_proto(std::move(p));
  }

  Conv* udp_conv(std::string_view msg = {}) { return open(udpp, msg); }
  Result<size_t> send(Conv* c, std::string_view s) { return write(c, bytes(s)); }
  std::string text(Conv* c) {
    auto r = read(c);
    return r ? std::string(r->begin(), r->end()) : "(nothing)";
  }
  // The call an open of c's listen would return (nullptr if none is queued).
  Conv* accept(Conv* c) {
    if (c->incall.empty()) return nullptr;
    auto n = udpp->listen(*c, l, nullptr);
    return n ? *n : nullptr;
  }
  long count(const std::string& name) { return stat(udpp->stats(), name); }

  // A datagram as a peer sends it, checksummed.
  static std::vector<uint8_t> datagram(const Ipaddr& src, const Ipaddr& dst, uint16_t sport,
                                       uint16_t dport, std::string_view data) {
    std::vector<uint8_t> u(8 + data.size());
    wire::UdpRepr{sport, dport, {}, true}.emit(src, dst, u, bytes(data));
    return src.is_v4() ? ip4_packet(src, dst, wire::ipproto::kUdp, u)
                       : ip6_packet(src, dst, wire::ipproto::kUdp, u);
  }
  void inject_udp(const Ipaddr& src, const Ipaddr& dst, uint16_t sport, uint16_t dport,
                  std::string_view data) {
    inject(datagram(src, dst, sport, dport, data));
  }
};

using UdpTest = UdpFixture;

TEST_F(UdpTest, TwoConversationsTalkOverLoopback) {
  for (const char* host : {"127.0.0.1", "::1"}) {
    SCOPED_TRACE(host);
    Conv* server = udp_conv("announce 7000");
    Conv* client = udp_conv(std::string("connect ") + host + "!7000");
    EXPECT_GE(client->lport, 5000) << "an ephemeral port";
    ASSERT_TRUE(send(client, "hello").ok());
    Conv* call = accept(server);
    ASSERT_TRUE(call) << "the new remote is a call";
    EXPECT_EQ(text(call), "hello");
    EXPECT_FALSE(read(server)) << "nothing on the announced conversation";
    std::string addr = host[0] == ':' ? "::1" : "127.0.0.1";
    EXPECT_EQ(udpp->remote(*call), addr + "!" + std::to_string(client->lport) + "\n");
    EXPECT_EQ(udpp->local(*call), addr + "!7000\n");
    ASSERT_TRUE(send(call, "world").ok());
    EXPECT_EQ(text(client), "world");
    ASSERT_TRUE(send(client, "again").ok());
    EXPECT_EQ(text(call), "again") << "the same remote, the same call";
    EXPECT_FALSE(accept(server));
    udpp->last_close(*call);
    udpp->last_close(*client);
    udpp->last_close(*server);
  }
  EXPECT_EQ(count("InDatagrams"), 6);
  EXPECT_EQ(count("OutDatagrams"), 6);
  EXPECT_EQ(count("NoPorts"), 0);
  EXPECT_EQ(count("InErrors"), 0);
}

TEST_F(UdpTest, EachRemoteBecomesItsOwnCall) {
  Conv* server = udp_conv("announce 53");
  inject_udp(A("10.0.0.9"), A("10.0.0.1"), 1111, 53, "a");
  inject_udp(A("10.0.0.9"), A("10.0.0.1"), 2222, 53, "b");
  inject_udp(A("2001:db8::9"), A("2001:db8::1"), 1111, 53, "c");
  inject_udp(A("10.0.0.9"), A("10.0.0.1"), 1111, 53, "d");
  Conv* a = accept(server);
  Conv* b = accept(server);
  Conv* c = accept(server);
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(accept(server));
  EXPECT_EQ(udpp->remote(*a), "10.0.0.9!1111\n");
  EXPECT_EQ(udpp->remote(*b), "10.0.0.9!2222\n");
  EXPECT_EQ(udpp->remote(*c), "2001:db8::9!1111\n");
  EXPECT_EQ(text(a), "a");
  EXPECT_EQ(text(a), "d");
  EXPECT_EQ(text(b), "b");
  EXPECT_EQ(text(c), "c");
  // A reply leaves from the address the call came to.
  ASSERT_TRUE(send(c, "reply").ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto h = wire::Ip6Repr::parse(out[0]);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, A("2001:db8::1"));
  auto u = wire::UdpRepr::parse(h->src, h->dst, std::span(out[0]).subspan(40));
  ASSERT_TRUE(u.ok()) << "a valid checksum";
  EXPECT_EQ(u->src_port, 53);
  EXPECT_EQ(u->dst_port, 1111);
}

TEST_F(UdpTest, AReadReturnsOneDatagram) {
  Conv* server = udp_conv("announce 7000");
  Conv* client = udp_conv("connect 127.0.0.1!7000");
  ASSERT_TRUE(send(client, "first datagram").ok());
  ASSERT_TRUE(send(client, "second").ok());
  Conv* call = accept(server);
  ASSERT_TRUE(call);
  EXPECT_EQ(udpp->status(*call), "Open qin 20 qout 0\n");
  std::vector<uint8_t> small(5);
  auto n = call->read(l, small, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  EXPECT_EQ(std::string(small.begin(), small.end()), "first") << "the rest is discarded";
  EXPECT_EQ(text(call), "second");
  EXPECT_EQ(udpp->status(*call), "Open qin 0 qout 0\n");
}

TEST_F(UdpTest, EmptyDatagrams) {
  Conv* server = udp_conv("announce 7000");
  Conv* client = udp_conv("connect 127.0.0.1!7000");
  ASSERT_TRUE(send(client, "").ok());
  Conv* call = accept(server);
  ASSERT_TRUE(call);
  auto r = read(call);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

// The 52-byte Udphdr of ip(3).
std::vector<uint8_t> udphdr(const Ipaddr& raddr, const Ipaddr& laddr, uint16_t rport,
                            uint16_t lport, std::string_view body) {
  std::vector<uint8_t> h(52);
  std::memcpy(h.data(), raddr.data(), 16);
  std::memcpy(h.data() + 16, laddr.data(), 16);
  store16(h.data() + 48, rport);
  store16(h.data() + 50, lport);
  h.insert(h.end(), body.begin(), body.end());
  return h;
}

TEST_F(UdpTest, HeadersModeReplyIsTheBufferWrittenBack) {
  Conv* server = udp_conv("announce 7001");
  ASSERT_TRUE(ctl(server, "headers").ok());
  for (const char* from : {"10.0.0.9", "2001:db8::9"}) {
    SCOPED_TRACE(from);
    Ipaddr peer = A(from), us = peer.is_v4() ? A("10.0.0.2") : A("2001:db8::1");
    inject_udp(peer, us, 4444, 7001, "ping");
    EXPECT_FALSE(accept(server)) << "no calls in headers mode";
    auto r = read(server);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 52u + 4);
    EXPECT_EQ(Ipaddr(r->data()), peer) << "raddr";
    EXPECT_EQ(Ipaddr(r->data() + 16), us) << "laddr";
    EXPECT_EQ(Ipaddr(r->data() + 32), peer.is_v4() ? A("10.0.0.1") : A("2001:db8::1"))
        << "ifcaddr: the interface's address";
    EXPECT_EQ(load16(r->data() + 48), 4444);
    EXPECT_EQ(load16(r->data() + 50), 7001);
    EXPECT_EQ(std::string(r->begin() + 52, r->end()), "ping");
    // The same buffer with a new body goes back to the sender.
    std::copy_n("pong", 4, r->begin() + 52);
    auto w = write(server, *r);
    ASSERT_TRUE(w.ok()) << w.error().text();
    EXPECT_EQ(*w, r->size());
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    size_t hl = peer.is_v4() ? 20 : 40;
    Ipaddr src =
        peer.is_v4() ? Ipaddr::from_v4_bytes(out[0].data() + 12) : Ipaddr(out[0].data() + 8);
    Ipaddr dst =
        peer.is_v4() ? Ipaddr::from_v4_bytes(out[0].data() + 16) : Ipaddr(out[0].data() + 24);
    EXPECT_EQ(src, us) << "from the address the datagram came to";
    EXPECT_EQ(dst, peer);
    auto u = wire::UdpRepr::parse(src, dst, std::span(out[0]).subspan(hl));
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->src_port, 7001);
    EXPECT_EQ(u->dst_port, 4444);
    EXPECT_EQ(std::string(u->data.begin(), u->data.end()), "pong");
  }
}

TEST_F(UdpTest, HeadersModeOverridesLocalPortAndForeignAddress) {
  Conv* server = udp_conv("announce 7002");
  ASSERT_TRUE(ctl(server, "headers").ok());
  // A local address that is not ours and another local port: both ignored.
  ASSERT_TRUE(write(server, udphdr(A("10.0.0.9"), A("10.0.0.77"), 99, 1234, "x")).ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Ipaddr::from_v4_bytes(out[0].data() + 12), A("10.0.0.1"));
  EXPECT_EQ(load16(out[0].data() + 20), 7002);
  EXPECT_EQ(load16(out[0].data() + 22), 99);
  auto w = write(server, std::vector<uint8_t>(51));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().text(), "message too short: udp headers");
  // A conversation that holds no port cannot borrow one from the header.
  Conv* idle = udp_conv("headers");
  w = write(idle, udphdr(A("10.0.0.9"), A("10.0.0.1"), 99, 7002, "x"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().text(), "bad port number: no local port");
  EXPECT_TRUE(sent().empty());
}

TEST_F(UdpTest, HeadersOverLoopbackBetweenTwoConversations) {
  Conv* server = udp_conv("announce 7003");
  ASSERT_TRUE(ctl(server, "headers").ok());
  Conv* client = udp_conv("connect ::1!7003");
  ASSERT_TRUE(send(client, "q").ok());
  auto r = read(server);
  ASSERT_TRUE(r);
  EXPECT_EQ(load16(r->data() + 48), client->lport);
  (*r)[52] = 'a';
  ASSERT_TRUE(write(server, *r).ok());
  EXPECT_EQ(text(client), "a");
}

TEST_F(UdpTest, ChecksumAndLengthErrorsAreCountedDrops) {
  Conv* server = udp_conv("announce 53");
  ASSERT_TRUE(ctl(server, "headers").ok());
  ASSERT_TRUE(ip.log.ctl("set udp").ok());
  ip.log.open();
  auto bad = datagram(A("10.0.0.9"), A("10.0.0.1"), 1, 53, "abc");
  bad[20 + 6] ^= 0x55;
  inject(bad);
  auto zero6 = datagram(A("2001:db8::9"), A("2001:db8::1"), 1, 53, "abc");
  zero6[40 + 6] = zero6[40 + 7] = 0;
  inject(zero6);
  auto longer = datagram(A("10.0.0.9"), A("10.0.0.1"), 1, 53, "abc");
  longer[20 + 5] = 12;  // UDP length past the IP payload
  inject(longer);
  EXPECT_FALSE(read(server));
  EXPECT_TRUE(sent().empty()) << "no ICMP about them";
  EXPECT_EQ(count("InErrors"), 3);
  EXPECT_EQ(count("InDatagrams"), 0);
  std::vector<uint8_t> logbuf(4096);
  auto n = ip.log.read(logbuf, nullptr);
  ASSERT_TRUE(n.ok());
  std::string lg(logbuf.begin(), logbuf.begin() + long(*n));
  EXPECT_NE(lg.find("udp: 10.0.0.9 -> 10.0.0.1: bad arg in system call: udp checksum"),
            std::string::npos)
      << lg;
  EXPECT_NE(lg.find("udp zero checksum over ipv6"), std::string::npos) << lg;
  // Over IPv4 a zero checksum means none was computed: accepted.
  auto zero4 = datagram(A("10.0.0.9"), A("10.0.0.1"), 1, 53, "abc");
  zero4[20 + 6] = zero4[20 + 7] = 0;
  zero4[20 + 8] = 'x';
  inject(zero4);
  auto r = read(server);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->begin() + 52, r->end()), "xbc");
  EXPECT_EQ(count("InDatagrams"), 1);
}

TEST_F(UdpTest, PortUnreachableForPortsNobodyHas) {
  inject_udp(A("10.0.0.9"), A("10.0.0.1"), 1234, 9999, "anyone?");
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto m = wire::IcmpRepr::parse(std::span(out[0]).subspan(20));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, wire::icmp::kUnreach);
  EXPECT_EQ(m->code, wire::icmp::kPortUnreach);
  EXPECT_EQ(Ipaddr::from_v4_bytes(out[0].data() + 16), A("10.0.0.9"));
  // It quotes the datagram from its IP header on.
  EXPECT_EQ(Ipaddr::from_v4_bytes(m->data.data() + 16), A("10.0.0.1"));
  EXPECT_EQ(load16(m->data.data() + 22), 9999);

  inject_udp(A("2001:db8::9"), A("2001:db8::1"), 1234, 9999, "anyone?");
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto m6 =
      wire::Icmp6Repr::parse(A("2001:db8::1"), A("2001:db8::9"), std::span(out[0]).subspan(40));
  ASSERT_TRUE(m6.ok());
  EXPECT_EQ(m6->type, wire::icmp6::kDstUnreach);
  EXPECT_EQ(m6->code, wire::icmp6::kPortUnreach);

  // Not for broadcasts and multicasts (nor port 0).
  inject_udp(A("10.0.0.9"), A("10.0.0.255"), 1234, 9999, "x");
  inject_udp(A("10.0.0.9"), A("255.255.255.255"), 1234, 9999, "x");
  inject_udp(A("10.0.0.9"), A("224.0.0.1"), 1234, 9999, "x");
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count("NoPorts"), 5);
  EXPECT_EQ(count("InDatagrams"), 0);
}

TEST_F(UdpTest, PortUnreachableHangsUpTheConnectedConversation) {
  // Over loopback: the stack's own port unreachable comes back as advice.
  Conv* c = udp_conv("connect 127.0.0.1!9");
  ASSERT_TRUE(send(c, "anyone?").ok());
  EXPECT_TRUE(c->hungup);
  EXPECT_EQ(c->err, "port unreachable");
  std::vector<uint8_t> buf(10);
  auto n = c->read(l, buf, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u) << "end of file";
  auto w = send(c, "more");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().text(), "hangup: port unreachable");
  EXPECT_EQ(count("NoPorts"), 1);

  Conv* quiet = udp_conv("connect 127.0.0.1!9");
  ASSERT_TRUE(ctl(quiet, "ignoreadvice").ok());
  ASSERT_TRUE(send(quiet, "anyone?").ok());
  EXPECT_FALSE(quiet->hungup);
  EXPECT_TRUE(quiet->err.empty());
  EXPECT_TRUE(send(quiet, "still").ok());
}

TEST_F(UdpTest, AdviceFromTheWireReachesOnlyItsConversation) {
  Conv* a = udp_conv("connect 10.0.0.9!53");
  Conv* b = udp_conv("connect 10.0.0.9!54");
  ASSERT_TRUE(send(a, "query").ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  // A router says the host is unreachable, quoting a's datagram.
  inject(ip4_packet(A("10.0.0.254"), A("10.0.0.1"), wire::ipproto::kIcmp,
                    icmp4_msg(wire::icmp::kUnreach, wire::icmp::kHostUnreach, 0, out[0])));
  EXPECT_TRUE(a->hungup);
  EXPECT_EQ(a->err, "host unreachable");
  EXPECT_FALSE(b->hungup);
  // A hung-up conversation takes no more datagrams.
  inject_udp(A("10.0.0.9"), A("10.0.0.1"), 53, a->lport, "late answer");
  EXPECT_FALSE(read(a));
  EXPECT_EQ(count("InErrors"), 1);
  // Packet too big is not an error for UDP.
  ASSERT_TRUE(send(b, "query").ok());
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  inject(ip4_packet(A("10.0.0.254"), A("10.0.0.1"), wire::ipproto::kIcmp,
                    icmp4_msg(wire::icmp::kUnreach, wire::icmp::kFragNeeded, 576, out[0])));
  EXPECT_FALSE(b->hungup);
}

TEST_F(UdpTest, MulticastMembership) {
  Conv* server = udp_conv("announce 5353");
  ASSERT_TRUE(ctl(server, "headers").ok());
  inject_udp(A("10.0.0.9"), A("224.0.0.251"), 5353, 5353, "before");
  EXPECT_FALSE(read(server)) << "not a member yet";
  ASSERT_TRUE(ctl(server, "addmulti 10.0.0.1 224.0.0.251").ok());
  ASSERT_TRUE(ctl(server, "addmulti 2001:db8::1 ff02::fb").ok());
  EXPECT_TRUE(wire->has_group(A("224.0.0.251")));
  EXPECT_TRUE(wire->has_group(A("ff02::fb")));
  inject_udp(A("10.0.0.9"), A("224.0.0.251"), 5353, 5353, "v4 group");
  inject_udp(A("fe80::9"), A("ff02::fb"), 5353, 5353, "v6 group");
  auto r = read(server);
  ASSERT_TRUE(r);
  EXPECT_EQ(Ipaddr(r->data() + 16), A("224.0.0.251")) << "laddr: the group";
  EXPECT_EQ(std::string(r->begin() + 52, r->end()), "v4 group");
  r = read(server);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->begin() + 52, r->end()), "v6 group");
  // A reply to the group leaves from the interface's address.
  ASSERT_TRUE(write(server, udphdr(A("224.0.0.251"), A("224.0.0.251"), 5353, 0, "answer")).ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Ipaddr::from_v4_bytes(out[0].data() + 12), A("10.0.0.1"));
  EXPECT_EQ(Ipaddr::from_v4_bytes(out[0].data() + 16), A("224.0.0.251"));
  // We are a member, so our own datagram to the group came back too.
  r = read(server);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->begin() + 52, r->end()), "answer");

  ASSERT_TRUE(ctl(server, "remmulti 224.0.0.251").ok());
  EXPECT_FALSE(wire->has_group(A("224.0.0.251")));
  EXPECT_TRUE(wire->has_group(A("ff02::fb")));
  inject_udp(A("10.0.0.9"), A("224.0.0.251"), 5353, 5353, "after");
  EXPECT_FALSE(read(server));
  udpp->last_close(*server);
  EXPECT_FALSE(wire->has_group(A("ff02::fb"))) << "closing leaves the groups";
}

TEST_F(UdpTest, ConnectedToAGroup) {
  Conv* c = udp_conv("connect 224.0.0.9!520");
  ASSERT_TRUE(ctl(c, "addmulti 10.0.0.1").ok()) << "the group is the remote";
  ASSERT_TRUE(send(c, "rip").ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u) << "out of the interface of the membership";
  EXPECT_EQ(Ipaddr::from_v4_bytes(out[0].data() + 12), A("10.0.0.1"));
}

struct ClaimAll : InputHook {
  bool take = true;
  int seen = 0;
  bool claim(const HookIn& in, BlockPtr& b) override {
    seen++;
    EXPECT_EQ(in.dport, 1701);
    EXPECT_EQ(std::string(b->data(), b->data() + b->size()), "l2tp") << "b at the payload";
    if (!take) return false;
    b.reset();
    return true;
  }
};

TEST_F(UdpTest, InputHooksClaimFirst) {
  // On a connected conversation before its read queue; on an announced one
  // before a call is made for the peer (pipex's L2TP on port 1701).
  for (bool announced : {false, true}) {
    SCOPED_TRACE(announced ? "announced" : "connected");
    Conv* c = udp_conv(announced ? "announce 1701" : "connect 10.0.0.9!1701 1701");
    ClaimAll hook;
    ip.hooks.add_conv(*c, &hook);
    inject_udp(A("10.0.0.9"), A("10.0.0.1"), 1701, 1701, "l2tp");
    EXPECT_EQ(hook.seen, 1);
    EXPECT_TRUE(c->rq.empty() && c->incall.empty()) << "claimed: not queued, no call";
    hook.take = false;
    inject_udp(A("10.0.0.9"), A("10.0.0.1"), 1701, 1701, "l2tp");
    EXPECT_EQ(hook.seen, 2);
    Conv* to = announced ? accept(c) : c;
    ASSERT_TRUE(to) << "declined: a call as usual";
    EXPECT_EQ(text(to), "l2tp") << "declined: queued as usual";
    ip.hooks.remove(&hook, c);
    udpp->last_close(*to);
    if (to != c) udpp->last_close(*c);
  }
  EXPECT_EQ(count("InDatagrams"), 4);
}

TEST_F(UdpTest, BadControlMessages) {
  Conv* c = udp_conv();
  auto err = [&](std::string_view msg) {
    auto st = ctl(c, msg);
    return st.ok() ? std::string("ok") : st.error().text();
  };
  EXPECT_EQ(err("bogus"), "unknown control request: bogus");
  EXPECT_EQ(err("headers now"), "unknown control request: headers");
  EXPECT_EQ(err("connect 10.0.0.9"), "bad port number: connect needs a remote port");
  EXPECT_EQ(err("connect 10.0.0.999!53"), "bad ip address syntax: 10.0.0.999");
  EXPECT_EQ(err("connect 10.0.0.9!99999"), "bad port number: 99999");
  EXPECT_EQ(err("connect ::1!53 127.0.0.1!5"), "bad ip address syntax: address families differ");
  EXPECT_EQ(err("announce"), "bad arg in system call: announce [addr!]port|*");
  EXPECT_EQ(err("addmulti 10.0.0.1 10.0.0.5"),
            "bad ip address syntax: addmulti for a non multicast address");
  EXPECT_EQ(err("ttl 300"), "bad arg in system call: ttl n");
  EXPECT_EQ(c->err, "bad arg in system call: ttl n") << "the err file";
  EXPECT_EQ(c->state, ConvState::kIdle) << "no failure left it half connected";
  auto w = send(c, "x");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().text(), "not connected");
  std::string big(65535 - 8 + 1, 'x');
  Conv* d = udp_conv("connect 10.0.0.9!53");
  EXPECT_FALSE(send(d, big).ok());
  EXPECT_EQ(count("OutDatagrams"), 0);
}

TEST_F(UdpTest, PortRules) {
  Conv* a = udp_conv("announce 7000");
  Conv* b = udp_conv();
  auto st = ctl(b, "announce 7000");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().text(), "address in use: 7000");
  Conv* star = udp_conv("announce *");
  EXPECT_FALSE(ctl(udp_conv(), "announce *").ok()) << "one announce *";
  EXPECT_FALSE(ctl(a, "connect 10.0.0.9!1").ok()) << "already announced: connection in use";

  Conv* c1 = udp_conv("connect 10.0.0.9!53");
  Conv* c2 = udp_conv("connect 10.0.0.9!53");
  EXPECT_GE(c1->lport, 5000);
  EXPECT_NE(c1->lport, c2->lport) << "ephemeral ports differ";
  Conv* r = udp_conv("connect 10.0.0.9!514!r");
  EXPECT_LT(r->lport, 1024) << "restricted";
  EXPECT_GE(r->lport, 600);
  // The same local port towards another remote is fine; towards the same is not.
  std::string same = "connect 10.0.0.9!53 " + std::to_string(c1->lport);
  EXPECT_FALSE(ctl(udp_conv(), same).ok());
  EXPECT_TRUE(ctl(udp_conv(), "connect 10.0.0.9!54 " + std::to_string(c1->lport)).ok());
  // bind keeps its port for a later connect.
  Conv* bound = udp_conv("bind 6123");
  ASSERT_TRUE(ctl(bound, "connect 10.0.0.9!53").ok());
  EXPECT_EQ(bound->lport, 6123);
  // The port is free again once its conversation is closed.
  udpp->last_close(*a);
  EXPECT_TRUE(ctl(b, "announce 7000").ok());

  // `announce *` takes ports nobody announced; an announced port wins.
  inject_udp(A("10.0.0.9"), A("10.0.0.1"), 1, 4321, "any");
  inject_udp(A("10.0.0.9"), A("10.0.0.1"), 1, 7000, "mine");
  Conv* s = accept(star);
  ASSERT_TRUE(s);
  EXPECT_EQ(udpp->local(*s), "10.0.0.1!4321\n");
  EXPECT_EQ(text(s), "any");
  Conv* m = accept(b);
  ASSERT_TRUE(m);
  EXPECT_EQ(text(m), "mine");
}

TEST_F(UdpTest, AFullListenQueueDropsNewRemotes) {
  Conv* server = udp_conv("announce 53");
  for (int i = 0; i < int(Conv::kListenQueue) + 1; i++)
    inject_udp(A("10.0.0.9"), A("10.0.0.1"), uint16_t(1000 + i), 53, "x");
  EXPECT_EQ(server->incall.size(), Conv::kListenQueue);
  EXPECT_EQ(count("InDatagrams"), long(Conv::kListenQueue));
  EXPECT_EQ(count("InErrors"), 1);
  EXPECT_FALSE(udpp->demux.exact(53, A("10.0.0.9"), uint16_t(1000 + Conv::kListenQueue)))
      << "the refused call's conversation was freed";
}

TEST_F(UdpTest, StatusAndStatsTexts) {
  Conv* c = udp_conv("connect 10.0.0.9!53");
  EXPECT_EQ(udpp->status(*c), "Open qin 0 qout 0\n");
  EXPECT_EQ(udpp->stats(), "InDatagrams: 0\nNoPorts: 0\nInErrors: 0\nOutDatagrams: 0\n");
}

}  // namespace
}  // namespace ninet::icmptest
