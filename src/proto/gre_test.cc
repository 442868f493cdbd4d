// Tests of the gre directory (gre.cc): connect addr!eproto, datagrams
// written and read byte for byte from the GRE header over IPv4 and IPv6,
// the protocol type the stack sets on write, demultiplexing by source and
// protocol type, what is dropped and counted, the duplicate-connect and
// announce errors, short writes, IP protocol 47's input hooks claiming
// first, and the status, local, remote and stats texts. The fixture is
// icmp's (icmp_testing.h): a pkt interface whose packets the test writes
// and reads, 10.0.0.1 10.0.0.2 and 2001:db8::1 on it.
#include "proto/gre.h"

#include <gtest/gtest.h>

#include "ip/hooks.h"
#include "proto/icmp_testing.h"
#include "wire/gre.h"

namespace ninet::icmptest {
namespace {

using Bytes = std::vector<uint8_t>;

// A version 0 GRE header with protocol type 0x0800 (2048) and a few bytes
// standing for the IPv4 packet it carries.
const Bytes kIp4InGre = {0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x14, 0xde, 0xad};
// The same with the key bit and key 0x01020304 (RFC 2890), type 0x86dd.
const Bytes kKeyed6 = {0x20, 0x00, 0x86, 0xdd, 0x01, 0x02, 0x03, 0x04, 0x60, 0x00};
// PPTP's enhanced GRE (version 1, type 0x880b) for call id 0x1234, S set,
// carrying the 2-byte PPP frame 21 45.
const Bytes kPptp = {0x30, 0x01, 0x88, 0x0b, 0x00, 0x02, 0x12,
                     0x34, 0x00, 0x00, 0x00, 0x05, 0x21, 0x45};

struct GreFixture : IcmpFixture {
  Proto* gre = nullptr;

  void SetUp() override {
    IcmpFixture::SetUp();
    auto p = make_gre(ip);
    gre = p.get();
    ip.add_proto(std::move(p));
  }

  long count(const std::string& name) { return stat(gre->stats(), name); }
  // A GRE datagram from src to dst, as a peer sends it.
  void inject_gre(const Ipaddr& src, const Ipaddr& dst, const Bytes& g) {
    inject(src.is_v4() ? ip4_packet(src, dst, wire::ipproto::kGre, g)
                       : ip6_packet(src, dst, wire::ipproto::kGre, g));
  }
  // The one packet the pkt interface sent, or an empty vector.
  Bytes sent_one() {
    auto out = sent();
    EXPECT_EQ(out.size(), 1u);
    return out.size() == 1 ? out[0] : Bytes();
  }
};

using GreTest = GreFixture;

TEST_F(GreTest, ConnectedConversationTexts) {
  Conv* c = open(gre, "connect 10.0.0.9!2048");
  EXPECT_EQ(c->state, ConvState::kConnected);
  EXPECT_EQ(gre->remote(*c), "10.0.0.9!2048\n");
  EXPECT_EQ(gre->local(*c), "10.0.0.1!0\n") << "the source towards 10.0.0.9; GRE has no port";
  EXPECT_EQ(gre->status(*c), "Datagram Connected qin 0 qout 0\n");
  EXPECT_EQ(gre->stats(), "InErrors: 0\nInDatagrams: 0\nNoConvs: 0\nOutDatagrams: 0\n");
  EXPECT_EQ(gre->name, "gre");
  EXPECT_EQ(ip.proto_for(47), gre);
}

TEST_F(GreTest, WritesOneDatagramInIpv4) {
  Conv* c = open(gre, "connect 10.0.0.9!2048");
  auto n = write(c, kIp4InGre);
  ASSERT_TRUE(n.ok()) << n.error().text();
  EXPECT_EQ(*n, kIp4InGre.size());
  Bytes pkt = sent_one();
  auto h = wire::Ip4Repr::parse(pkt);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->proto, 47);
  EXPECT_EQ(h->src, A("10.0.0.1"));
  EXPECT_EQ(h->dst, A("10.0.0.9"));
  EXPECT_EQ(h->ttl, 255) << "the conversation's ttl (NOTES.md: default 255)";
  EXPECT_EQ(Bytes(pkt.begin() + 20, pkt.end()), kIp4InGre) << "the datagram as written";
  EXPECT_EQ(count("OutDatagrams"), 1);
}

TEST_F(GreTest, WriteSetsTheConversationsProtocolType) {
  // ip(3): "On write, the kernel fills in the eproto field with the port
  // number specified in the connect message."
  Conv* c = open(gre, "connect 10.0.0.9!34827");
  ASSERT_TRUE(write(c, kIp4InGre).ok());
  Bytes pkt = sent_one();
  ASSERT_EQ(pkt.size(), 20 + kIp4InGre.size());
  Bytes want = kIp4InGre;
  want[2] = 0x88;
  want[3] = 0x0b;
  EXPECT_EQ(Bytes(pkt.begin() + 20, pkt.end()), want);
}

TEST_F(GreTest, ReadsOneDatagramPerRead) {
  Conv* c = open(gre, "connect 10.0.0.9!2048");
  Bytes second = kIp4InGre;
  second.push_back(0x77);
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kIp4InGre);
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), second);
  EXPECT_EQ(gre->status(*c), "Datagram Connected qin 21 qout 0\n");
  EXPECT_EQ(read(c), kIp4InGre) << "from the GRE header, byte for byte";
  EXPECT_EQ(read(c), second);
  EXPECT_FALSE(read(c));
  EXPECT_EQ(count("InDatagrams"), 2);
  // A short read gets the start of the datagram; the rest is discarded.
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kIp4InGre);
  Bytes small(4);
  auto n = c->read(l, small, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(small, Bytes(kIp4InGre.begin(), kIp4InGre.begin() + 4));
  EXPECT_FALSE(read(c));
}

TEST_F(GreTest, OnlyItsSourceAndProtocolTypeReachAConversation) {
  Conv* v4 = open(gre, "connect 10.0.0.9!2048");
  Conv* v6 = open(gre, "connect 10.0.0.9!34525");    // 0x86dd, same remote
  Conv* other = open(gre, "connect 10.0.0.8!2048");  // same type, another remote
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kKeyed6);
  EXPECT_FALSE(read(v4)) << "another protocol type";
  EXPECT_FALSE(read(other));
  EXPECT_EQ(read(v6), kKeyed6);
  inject_gre(A("10.0.0.8"), A("10.0.0.1"), kIp4InGre);
  EXPECT_FALSE(read(v4)) << "another source";
  EXPECT_EQ(read(other), kIp4InGre);
  // Nobody's: an unknown source, a type nobody connected to.
  inject_gre(A("10.0.0.7"), A("10.0.0.1"), kIp4InGre);
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kPptp);
  EXPECT_FALSE(read(v4));
  EXPECT_FALSE(read(v6));
  EXPECT_FALSE(read(other));
  EXPECT_EQ(count("NoConvs"), 2);
  EXPECT_EQ(count("InDatagrams"), 2);
  EXPECT_EQ(count("InErrors"), 0);
  EXPECT_TRUE(sent().empty()) << "no ICMP error for GRE nobody wants (Plan 9)";
}

TEST_F(GreTest, Ipv6BothWays) {
  Conv* c = open(gre, "connect 2001:db8::9!34827");
  EXPECT_EQ(gre->local(*c), "2001:db8::1!0\n");
  EXPECT_EQ(gre->remote(*c), "2001:db8::9!34827\n");
  ASSERT_TRUE(write(c, kPptp).ok());
  Bytes pkt = sent_one();
  auto h = wire::Ip6Repr::parse(pkt);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->next_header, 47);
  EXPECT_EQ(h->src, A("2001:db8::1"));
  EXPECT_EQ(h->dst, A("2001:db8::9"));
  EXPECT_EQ(Bytes(pkt.begin() + 40, pkt.end()), kPptp);
  inject_gre(A("2001:db8::9"), A("2001:db8::1"), kPptp);
  EXPECT_EQ(read(c), kPptp);
  inject_gre(A("2001:db8::8"), A("2001:db8::1"), kPptp);
  EXPECT_FALSE(read(c)) << "another source";
  // An IPv4 remote with an IPv6 local address is refused.
  Conv* mixed = open(gre);
  EXPECT_FALSE(ctl(mixed, "connect 10.0.0.9!2048 2001:db8::1!0").ok());
}

TEST_F(GreTest, SecondConnectToTheSameAddressAndProtocolIsRefused) {
  Conv* first = open(gre, "connect 10.0.0.9!2048");
  Conv* second = open(gre);
  Status st = ctl(second, "connect 10.0.0.9!2048");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::GreConnected);
  EXPECT_EQ(st.error().text(), "already connected to that addr/proto");
  EXPECT_EQ(second->err, "already connected to that addr/proto");
  EXPECT_EQ(second->state, ConvState::kIdle);
  EXPECT_EQ(gre->remote(*second), "::!0\n") << "the failed connect left nothing";
  // The first still gets its datagrams.
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kIp4InGre);
  EXPECT_EQ(read(first), kIp4InGre);
  // Once the first is closed the pair is free again.
  gre->last_close(*first);
  EXPECT_TRUE(ctl(second, "connect 10.0.0.9!2048").ok());
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kIp4InGre);
  EXPECT_EQ(read(second), kIp4InGre);
  // A connected conversation takes no second connect.
  EXPECT_EQ(ctl(second, "connect 10.0.0.8!2048").error().code(), Err::InUse);
}

TEST_F(GreTest, AnnounceIsRefused) {
  Conv* c = open(gre);
  for (const char* msg : {"announce 2048", "announce *", "announce 10.0.0.1!2048"}) {
    Status st = ctl(c, msg);
    ASSERT_FALSE(st.ok()) << msg;
    EXPECT_EQ(st.error().text(), "gre does not support announce") << msg;
    EXPECT_EQ(c->state, ConvState::kIdle) << msg;
    EXPECT_FALSE(c->hashed()) << msg;
  }
  EXPECT_TRUE(ctl(c, "connect 10.0.0.9!2048").ok()) << "the conversation is still usable";
}

TEST_F(GreTest, ConnectNeedsAnAddressAndAProtocolType) {
  Conv* c = open(gre);
  EXPECT_EQ(ctl(c, "connect 10.0.0.9").error().code(), Err::BadPort);
  EXPECT_EQ(ctl(c, "connect 10.0.0.9!0").error().code(), Err::BadPort);
  EXPECT_EQ(ctl(c, "connect 0.0.0.0!2048").error().code(), Err::BadIp);
  EXPECT_EQ(ctl(c, "connect 10.0.0.9!70000").error().code(), Err::BadPort);
  EXPECT_EQ(c->state, ConvState::kIdle);
}

TEST_F(GreTest, ShortAndUnconnectedWritesAreRefused) {
  Conv* idle = open(gre);
  EXPECT_EQ(write(idle, kIp4InGre).error().code(), Err::NotConnected);
  Conv* c = open(gre, "connect 10.0.0.9!2048");
  for (size_t n : {0, 1, 3}) {
    auto r = write(c, Bytes(kIp4InGre.begin(), kIp4InGre.begin() + long(n)));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().text(), "message too short: gre header") << n;
  }
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count("OutDatagrams"), 0);
  // The bare 4-byte header is a datagram.
  EXPECT_TRUE(write(c, Bytes(kIp4InGre.begin(), kIp4InGre.begin() + 4)).ok());
  EXPECT_EQ(sent_one().size(), 24u);
}

TEST_F(GreTest, MalformedDatagramsAreCountedDrops) {
  Conv* c = open(gre, "connect 10.0.0.9!2048");
  // Three bytes: no room for a GRE header.
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), {0x00, 0x00, 0x08});
  // C set with a wrong checksum (RFC 2784 2.2: the receiver checks it).
  inject_gre(A("10.0.0.9"), A("10.0.0.1"),
             {0x80, 0x00, 0x08, 0x00, 0x12, 0x34, 0x00, 0x00, 0x45, 0x00, 0x00, 0x14});
  // K set but the key cut off.
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), {0x20, 0x00, 0x08, 0x00, 0x01, 0x02});
  EXPECT_FALSE(read(c));
  EXPECT_EQ(count("InErrors"), 3);
  // The same checksummed datagram with the right checksum (the words 8000
  // 0800 0000 0000 4500 0014 sum to 0xcd14, complement 0x32eb) gets through.
  Bytes good = {0x80, 0x00, 0x08, 0x00, 0x32, 0xeb, 0x00, 0x00, 0x45, 0x00, 0x00, 0x14};
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), good);
  EXPECT_EQ(read(c), good);
  EXPECT_EQ(count("InErrors"), 3);
  EXPECT_EQ(count("InDatagrams"), 1);
}

// Claims PPTP's GRE (version 1) for call id 0x1234 only, as pipex's hook
// claims the data of its registered sessions.
struct Call1234 : InputHook {
  int claimed = 0;
  bool claim(const HookIn& in, BlockPtr& b) override {
    const uint8_t* g = b->data();
    if (b->size() < 8 || (g[1] & 7) != 1 || load16(g + 6) != 0x1234) return false;
    claimed++;
    b.reset();
    return true;
  }
};

TEST_F(GreTest, InputHooksClaimFirstAndTheRestComesHere) {
  Conv* c = open(gre, "connect 10.0.0.9!34827");
  Call1234 hook;
  ip.hooks.add_ipproto(47, &hook);
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kPptp);
  EXPECT_EQ(hook.claimed, 1);
  EXPECT_FALSE(read(c)) << "claimed by the hook";
  Bytes other_call = kPptp;
  other_call[7] = 0x35;  // call id 0x1235: not the hook's
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), other_call);
  EXPECT_EQ(hook.claimed, 1);
  EXPECT_EQ(read(c), other_call) << "left by the hook, for the daemon";
  ip.hooks.remove(&hook);
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kPptp);
  EXPECT_EQ(read(c), kPptp) << "no hook: everything comes to the conversation";
  EXPECT_EQ(count("InDatagrams"), 2) << "what hooks take is not gre's";
}

// Rewrites the sequence number of what a conversation sends, as pipex
// renumbers a PPTP daemon's output.
struct Renumber : InputHook {
  Ipaddr dst;
  uint16_t dport = 0;
  int claims = 0;
  bool claim(const HookIn&, BlockPtr&) override {
    claims++;
    return false;
  }
  void conv_output(Conv&, const Ipaddr& to, uint16_t port, std::span<uint8_t> p) override {
    dst = to;
    dport = port;
    if (p.size() >= 12) store32(p.data() + 8, 100);
  }
};

TEST_F(GreTest, ConversationHooksSeeAndRewriteOutput) {
  Conv* c = open(gre, "connect 10.0.0.9!34827");
  Renumber hook;
  ip.hooks.add_conv(*c, &hook);
  ASSERT_TRUE(write(c, kPptp).ok());
  EXPECT_EQ(hook.dst, A("10.0.0.9"));
  EXPECT_EQ(hook.dport, 0x880b) << "the conversation's protocol type";
  Bytes pkt = sent_one();
  ASSERT_EQ(pkt.size(), 20 + kPptp.size());
  Bytes want = kPptp;
  want[11] = 100;  // seq 5 became 100
  EXPECT_EQ(Bytes(pkt.begin() + 20, pkt.end()), want);
  // Input does not go through the conversation's hooks (IP protocol 47's
  // have seen it): the datagram reaches the reader unchanged.
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kPptp);
  EXPECT_EQ(hook.claims, 0);
  EXPECT_EQ(read(c), kPptp);
  ip.hooks.remove(&hook, c);
}

TEST_F(GreTest, AFullReadQueueDropsAndCounts) {
  Conv* c = open(gre, "connect 10.0.0.9!2048");
  c->rq_limit = 2 * kIp4InGre.size();
  for (int i = 0; i < 3; i++)
    inject_gre(A("10.0.0.9"), A("10.0.0.1"), kIp4InGre);
  EXPECT_EQ(c->rq.size(), 2u);
  EXPECT_EQ(count("InDatagrams"), 2);
  EXPECT_EQ(count("InErrors"), 1);
}

TEST_F(GreTest, ClosedConversationsGetNothing) {
  Conv* c = open(gre, "connect 10.0.0.9!2048");
  gre->last_close(*c);
  inject_gre(A("10.0.0.9"), A("10.0.0.1"), kIp4InGre);
  EXPECT_EQ(count("NoConvs"), 1);
  EXPECT_EQ(count("InDatagrams"), 0);
}

}  // namespace
}  // namespace ninet::icmptest
