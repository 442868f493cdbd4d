// Tests of the icmp directory (icmp.cc, IPv4): ping through conversations
// over loopback, the stack's own echo replies, reply matching, errors
// handed to the quoted protocol or the pinging conversation, counters, the
// log line of a bad message, and the stats and status texts.
#include <gtest/gtest.h>

#include "proto/icmp_testing.h"

namespace ninet::icmptest {
namespace {

using v4 = IcmpFixture;

std::vector<uint8_t> echo(uint16_t id, uint16_t seq, std::string_view data) {
  return IcmpFixture::icmp4_msg(wire::icmp::kEchoRequest, 0, uint32_t(id) << 16 | seq, bytes(data));
}

TEST_F(v4, PingLoopbackThroughAConversation) {
  Conv* c = open(icmp, "connect 127.0.0.1");
  EXPECT_EQ(c->lport, 5000) << "the echo identifier";
  // The user leaves id and checksum to the stack.
  std::vector<uint8_t> req = {8, 0, 0xde, 0xad, 0, 0, 0, 7, 'p', 'i', 'n', 'g', '!'};
  auto w = write(c, req);
  ASSERT_TRUE(w.ok()) << w.error().text();
  EXPECT_EQ(*w, req.size());
  auto r = read(c);
  ASSERT_TRUE(r);
  auto m = wire::IcmpRepr::parse(*r);
  ASSERT_TRUE(m.ok()) << "a valid checksum";
  EXPECT_EQ(m->type, wire::icmp::kEchoReply);
  EXPECT_EQ(m->id(), 5000);
  EXPECT_EQ(m->seq(), 7);
  EXPECT_EQ(std::string(m->data.begin(), m->data.end()), "ping!");
  EXPECT_FALSE(read(c)) << "one reply";
  std::string st = icmp->stats();
  EXPECT_EQ(stat(st, "InMsgs"), 2);
  EXPECT_EQ(stat(st, "InEchos"), 1);
  EXPECT_EQ(stat(st, "InEchoReps"), 1);
  EXPECT_EQ(stat(st, "OutMsgs"), 2);
  EXPECT_EQ(stat(st, "OutEchos"), 1);
  EXPECT_EQ(stat(st, "OutEchoReps"), 1);
}

TEST_F(v4, PingThroughTheLoopbackMedium) {
  // 127.0.0.5 is not in the self table: the packets cross the medium.
  Conv* c = open(icmp, "connect 127.0.0.5!1");  // as Plan 9's ping dials
  EXPECT_EQ(icmp->remote(*c), "127.0.0.5!1\n");
  ASSERT_TRUE(write(c, echo(0, 1, "x")).ok());
  // The request crosses the medium; the reply to 127.0.0.1 (ours) is looped
  // back inside IP.
  EXPECT_GE(lo->medium->stats().out_packets, 1u);
  auto r = read(c);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], wire::icmp::kEchoReply);
  EXPECT_EQ(load16(r->data() + 4), c->lport);
}

TEST_F(v4, ConversationsGetTheirOwnIdentifiers) {
  Conv* a = open(icmp, "connect 127.0.0.1");
  Conv* b = open(icmp, "connect 127.0.0.1");
  Conv* given = open(icmp, "connect 127.0.0.1 77");
  EXPECT_NE(a->lport, b->lport);
  EXPECT_EQ(given->lport, 77);
  ASSERT_TRUE(write(b, echo(0, 2, "b")).ok());
  ASSERT_TRUE(write(given, echo(0, 3, "g")).ok());
  EXPECT_FALSE(read(a));
  auto rb = read(b);
  ASSERT_TRUE(rb);
  EXPECT_EQ(load16(rb->data() + 6), 2);
  auto rg = read(given);
  ASSERT_TRUE(rg);
  EXPECT_EQ(load16(rg->data() + 4), 77);
}

TEST_F(v4, TheStackAnswersFromTheAddressAskedFor) {
  inject(ip4_packet(A("10.0.0.9"), A("10.0.0.2"), wire::ipproto::kIcmp, echo(4321, 9, "data!")));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto h = wire::Ip4Repr::parse(out[0]);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, A("10.0.0.2")) << "not 10.0.0.1, the first address";
  EXPECT_EQ(h->dst, A("10.0.0.9"));
  EXPECT_EQ(h->proto, wire::ipproto::kIcmp);
  EXPECT_EQ(h->ttl, Ip::kDefaultTtl);
  auto m = wire::IcmpRepr::parse(std::span(out[0]).subspan(20));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, wire::icmp::kEchoReply);
  EXPECT_EQ(m->id(), 4321);
  EXPECT_EQ(m->seq(), 9);
  EXPECT_EQ(std::string(m->data.begin(), m->data.end()), "data!");
}

TEST_F(v4, BigEchoesAreAnsweredWhole) {
  std::string data(1400, 'z');
  inject(ip4_packet(A("10.0.0.9"), A("10.0.0.1"), wire::ipproto::kIcmp, echo(1, 1, data)));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 20u + 8 + 1400);
  EXPECT_TRUE(wire::IcmpRepr::parse(std::span(out[0]).subspan(20)).ok());
}

TEST_F(v4, BroadcastPingsAreNotAnswered) {
  for (const char* to : {"10.0.0.255", "255.255.255.255"})
    inject(ip4_packet(A("10.0.0.9"), A(to), wire::ipproto::kIcmp, echo(1, 1, "")));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(stat(icmp->stats(), "InEchos"), 2);
  EXPECT_EQ(stat(icmp->stats(), "OutEchoReps"), 0);
}

TEST_F(v4, BadMessagesAreCountedAndLogged) {
  ASSERT_TRUE(ip.log.ctl("set icmp").ok());
  ip.log.open();
  auto bad = echo(1, 1, "abc");
  bad[2] ^= 0xff;  // checksum
  inject(ip4_packet(A("10.0.0.9"), A("10.0.0.1"), wire::ipproto::kIcmp, bad));
  inject(ip4_packet(A("10.0.0.9"), A("10.0.0.1"), wire::ipproto::kIcmp, {8, 0, 0, 0}));
  EXPECT_TRUE(sent().empty()) << "not answered";
  std::string st = icmp->stats();
  EXPECT_EQ(stat(st, "InMsgs"), 2);
  EXPECT_EQ(stat(st, "InErrors"), 2);
  EXPECT_EQ(stat(st, "InEchos"), 0);
  uint8_t buf[512];
  std::atomic<bool> cancel{true};
  auto n = ip.log.read(buf, &cancel);
  ip.log.close();
  ASSERT_TRUE(n.ok());
  std::string text(reinterpret_cast<char*>(buf), *n);
  EXPECT_NE(text.find("10.0.0.9"), std::string::npos) << text;
  EXPECT_NE(text.find("icmp: "), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

TEST_F(v4, RepliesGoToTheConversationWithTheirIdAndRemote) {
  Conv* a = open(icmp, "connect 10.0.0.9");
  Conv* b = open(icmp, "connect 10.0.0.9");
  Conv* other = open(icmp, "connect 10.0.0.8");
  auto reply = [&](const char* from, uint16_t id) {
    inject(ip4_packet(A(from), A("10.0.0.1"), wire::ipproto::kIcmp,
                      icmp4_msg(wire::icmp::kEchoReply, 0, uint32_t(id) << 16 | 5, bytes("r"))));
  };
  reply("10.0.0.9", b->lport);
  EXPECT_FALSE(read(a));
  EXPECT_TRUE(read(b));
  EXPECT_FALSE(read(other));
  reply("10.0.0.7", b->lport);  // the right id from someone else
  reply("10.0.0.8", a->lport);
  EXPECT_FALSE(read(a));
  EXPECT_FALSE(read(b));
  EXPECT_FALSE(read(other));
  EXPECT_EQ(stat(icmp->stats(), "InEchoReps"), 3);
}

TEST_F(v4, ABroadcastPingHearsEveryMember) {
  Conv* c = open(icmp, "connect 10.0.0.255");
  for (const char* from : {"10.0.0.8", "10.0.0.9"})
    inject(ip4_packet(A(from), A("10.0.0.1"), wire::ipproto::kIcmp,
                      icmp4_msg(wire::icmp::kEchoReply, 0, uint32_t(c->lport) << 16, {})));
  EXPECT_TRUE(read(c));
  EXPECT_TRUE(read(c));
}

TEST_F(v4, WritesCarryTheConversationsIdTtlAndTos) {
  Conv* c = open(icmp, "connect 10.0.0.9");
  ASSERT_TRUE(ctl(c, "ttl 9").ok());
  ASSERT_TRUE(ctl(c, "tos 32").ok());
  ASSERT_TRUE(write(c, echo(0xffff, 3, "abc")).ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto h = wire::Ip4Repr::parse(out[0]);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, A("10.0.0.1"));
  EXPECT_EQ(h->ttl, 9);
  EXPECT_EQ(h->tos, 32);
  auto m = wire::IcmpRepr::parse(std::span(out[0]).subspan(20));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->id(), c->lport);
  EXPECT_EQ(m->seq(), 3);
  // Messages other than echo requests keep their bytes 4-7.
  ASSERT_TRUE(
      write(c, icmp4_msg(wire::icmp::kTimestamp, 0, 0x12345678, bytes("123456789012"))).ok());
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load32(out[0].data() + 24), 0x12345678u);
  EXPECT_EQ(stat(icmp->stats(), "OutTimestamps"), 1);
}

TEST_F(v4, WriteErrors) {
  Conv* idle = open(icmp);
  EXPECT_EQ(idle->proto.write(*idle, echo(0, 0, "")).error().code(), Err::NotConnected);
  Conv* c = open(icmp, "connect 10.0.0.9");
  std::vector<uint8_t> tiny = {8, 0, 0, 0};
  EXPECT_EQ(c->proto.write(*c, tiny).error().code(), Err::TooShort);
  std::vector<uint8_t> huge(70000, 0);
  huge[0] = 8;
  EXPECT_EQ(c->proto.write(*c, huge).error().code(), Err::TooBig);
  EXPECT_EQ(stat(icmp->stats(), "OutErrors"), 1);
  EXPECT_EQ(ctl(open(icmp), "connect ::1").error().code(), Err::BadIp);
  EXPECT_EQ(ctl(open(icmp), "connect 192.168.1.1").error().code(), Err::NoRoute);
  EXPECT_EQ(ctl(c, "headers").error().code(), Err::BadCtl) << "an icmpv6 message";
}

// An ICMP error quoting `quoted` (an IP packet), from 10.0.0.254.
std::vector<uint8_t> icmp_error(uint8_t type, uint8_t code, uint32_t rest,
                                const std::vector<uint8_t>& quoted) {
  auto m = IcmpFixture::icmp4_msg(type, code, rest, quoted);
  return IcmpFixture::ip4_packet(A("10.0.0.254"), A("10.0.0.1"), wire::ipproto::kIcmp, m);
}
std::vector<uint8_t> udp_packet() {
  std::vector<uint8_t> u = {0x15, 0xb3, 0, 53, 0, 12, 0, 0, 'q', 'u', 'e', 'y'};  // 5555 -> 53
  return IcmpFixture::ip4_packet(A("10.0.0.1"), A("10.0.0.9"), wire::ipproto::kUdp, u);
}

TEST_F(v4, ErrorsAdviseTheQuotedProtocol) {
  inject(icmp_error(wire::icmp::kUnreach, wire::icmp::kPortUnreach, 0, udp_packet()));
  ASSERT_EQ(udp->advice.size(), 1u);
  Advised& a = udp->advice[0];
  EXPECT_EQ(a.src, A("10.0.0.1"));
  EXPECT_EQ(a.dst, A("10.0.0.9"));
  EXPECT_EQ(a.msg, "port unreachable");
  EXPECT_EQ(a.kind, Advice::kPortUnreach);
  EXPECT_TRUE(a.hard) << "RFC 1122 4.2.3.9: port unreachable is a hard error";
  ASSERT_GE(a.inner.size(), 8u) << "the quoted UDP header";
  EXPECT_EQ(load16(a.inner.data()), 5555);
  EXPECT_EQ(load16(a.inner.data() + 2), 53);
  // Only the quoted header and 8 bytes (RFC 792) are enough.
  auto cut = udp_packet();
  cut.resize(28);
  inject(icmp_error(wire::icmp::kUnreach, wire::icmp::kFragNeeded, 1400, cut));
  ASSERT_EQ(udp->advice.size(), 2u);
  EXPECT_EQ(udp->advice[1].msg, "fragmentation needed and DF set: mtu 1400");
  EXPECT_EQ(udp->advice[1].kind, Advice::kPacketTooBig);
  EXPECT_EQ(udp->advice[1].mtu, 1400u);
  EXPECT_FALSE(udp->advice[1].hard);
  EXPECT_EQ(udp->advice[1].inner.size(), 8u);
  inject(icmp_error(wire::icmp::kTimeExceeded, wire::icmp::kTtlExceeded, 0, udp_packet()));
  inject(icmp_error(wire::icmp::kParamProblem, 0, 0, udp_packet()));
  ASSERT_EQ(udp->advice.size(), 4u);
  EXPECT_EQ(udp->advice[2].msg, "ttl exceeded");
  EXPECT_EQ(udp->advice[2].kind, Advice::kTtlExceeded);
  EXPECT_FALSE(udp->advice[2].hard);
  EXPECT_EQ(udp->advice[3].msg, "parameter problem");
  std::string st = icmp->stats();
  EXPECT_EQ(stat(st, "InUnreachables"), 2);
  EXPECT_EQ(stat(st, "InTimeExceeds"), 1);
  EXPECT_EQ(stat(st, "InParmProbs"), 1);
}

TEST_F(v4, QuenchesRedirectsAndBrokenQuotesAdviseNobody) {
  inject(icmp_error(wire::icmp::kSourceQuench, 0, 0, udp_packet()));
  inject(icmp_error(wire::icmp::kRedirect, 1, 0x0a0000fe, udp_packet()));
  auto shortq = udp_packet();
  shortq.resize(16);  // not even the IP header
  inject(icmp_error(wire::icmp::kUnreach, 3, 0, shortq));
  auto v6ish = udp_packet();
  v6ish[0] = 0x65;
  inject(icmp_error(wire::icmp::kUnreach, 3, 0, v6ish));
  auto later = udp_packet();
  later[7] = 1;  // fragment offset 8: no UDP header inside
  inject(icmp_error(wire::icmp::kUnreach, 3, 0, later));
  EXPECT_TRUE(udp->advice.empty());
  std::string st = icmp->stats();
  EXPECT_EQ(stat(st, "InSrcQuenchs"), 1);
  EXPECT_EQ(stat(st, "InRedirects"), 1);
  EXPECT_EQ(stat(st, "InUnreachables"), 3);
}

TEST_F(v4, AnErrorAboutAPingGoesToThePinger) {
  Conv* c = open(icmp, "connect 10.0.0.9");
  Conv* other = open(icmp, "connect 10.0.0.9");
  auto quoted =
      ip4_packet(A("10.0.0.1"), A("10.0.0.9"), wire::ipproto::kIcmp, echo(c->lport, 1, "hello"));
  inject(icmp_error(wire::icmp::kUnreach, wire::icmp::kHostUnreach, 0, quoted));
  auto r = read(c);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], wire::icmp::kUnreach) << "ping sees the error itself";
  EXPECT_EQ((*r)[1], wire::icmp::kHostUnreach);
  EXPECT_EQ(r->size(), 8u + 20 + 8 + 5);
  EXPECT_FALSE(read(other));
  EXPECT_TRUE(udp->advice.empty());
}

TEST_F(v4, StatsHaveIp3s26FieldsInOrder) {
  std::string st = icmp->stats();
  std::vector<std::string> names;
  for (size_t i = 0; i < st.size();) {
    size_t colon = st.find(':', i), nl = st.find('\n', i);
    ASSERT_NE(nl, std::string::npos);
    names.push_back(st.substr(i, colon - i));
    EXPECT_EQ(st.substr(colon, 3), ": 0");
    i = nl + 1;
  }
  std::vector<std::string> want = {
      "InMsgs",          "InErrors",       "InUnreachables", "InTimeExceeds",    "InParmProbs",
      "InSrcQuenchs",    "InRedirects",    "InEchos",        "InEchoReps",       "InTimestamps",
      "InTimestampReps", "InAddrMasks",    "InAddrMaskReps", "OutMsgs",          "OutErrors",
      "OutUnreachables", "OutTimeExceeds", "OutParmProbs",   "OutSrcQuenchs",    "OutRedirects",
      "OutEchos",        "OutEchoReps",    "OutTimestamps",  "OutTimestampReps", "OutAddrMasks",
      "OutAddrMaskReps"};
  EXPECT_EQ(names, want);
}

TEST_F(v4, StatusIsADatagramLine) {
  Conv* c = open(icmp);
  EXPECT_EQ(icmp->status(*c), "Datagram Idle qin 0 qout 0\n");
  ASSERT_TRUE(ctl(c, "connect 127.0.0.1").ok());
  ASSERT_TRUE(write(c, echo(0, 0, "abcd")).ok());
  EXPECT_EQ(icmp->status(*c), "Datagram Connected qin 12 qout 0\n");
  EXPECT_EQ(icmp->local(*c), "127.0.0.1!5000\n");
}

}  // namespace
}  // namespace ninet::icmptest
